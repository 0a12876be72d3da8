//! Integer arithmetic and logic: ADD ADC SUB SBB CMP AND OR XOR TEST, INC DEC NEG NOT.
use super::{flags, ExecResult, Flow};
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// The result and flags of a two-operand ALU operation; `None` result for CMP/TEST.
#[inline(always)]
pub fn alu2_compute(m: Mnemonic, a: u64, b: u64, rflags: u64, size: u32) -> (u64, u64) {
    let cf = rflags & rf::CF;
    match m {
        Mnemonic::Add => flags::add(a, b, 0, size),
        Mnemonic::Adc => flags::add(a, b, cf, size),
        Mnemonic::Sub | Mnemonic::Cmp => flags::sub(a, b, 0, size),
        Mnemonic::Sbb => flags::sub(a, b, cf, size),
        Mnemonic::And | Mnemonic::Test => flags::logic(a & b, size),
        Mnemonic::Or => flags::logic(a | b, size),
        _ => flags::logic(a ^ b, size),
    }
}

impl<V: Virt> Processor<V> {
    pub(crate) fn exec_alu2(&mut self, ins: &Instruction) -> ExecResult {
        let m = ins.mnemonic();
        let size = Self::op_size(ins, 0);
        let writes = !matches!(m, Mnemonic::Cmp | Mnemonic::Test);
        let (a, b) = if ins.op_kind(0) == OpKind::Register && ins.op_kind(1) == OpKind::Register {
            (self.reg_read(ins.op_register(0)), self.reg_read(ins.op_register(1)))
        } else {
            let a = if writes { self.read_op_rmw(ins, 0)? } else { self.read_op(ins, 0)? };
            (a, self.read_op(ins, 1)?)
        };
        let (res, f) = alu2_compute(m, a, b, self.cpu.regs.rflags, size);
        if writes {
            self.write_op(ins, 0, res)?;
        }
        self.set_status(f);
        Ok(Flow::Next)
    }

    pub(crate) fn exec_alu1(&mut self, ins: &Instruction) -> ExecResult {
        let size = Self::op_size(ins, 0);
        let a = self.read_op_rmw(ins, 0)?;
        match ins.mnemonic() {
            Mnemonic::Not => {
                self.write_op(ins, 0, !a & flags::mask(size))?;
            }
            Mnemonic::Neg => {
                let (res, f) = flags::sub(0, a, 0, size);
                self.write_op(ins, 0, res)?;
                self.set_status(f);
            }
            m => {
                // INC/DEC leave CF alone.
                let (res, f) = if m == Mnemonic::Inc { flags::add(a, 1, 0, size) } else { flags::sub(a, 1, 0, size) };
                self.write_op(ins, 0, res)?;
                self.set_flags_masked(f, rf::STATUS & !rf::CF);
            }
        }
        Ok(Flow::Next)
    }
}

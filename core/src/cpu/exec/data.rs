//! Data movement: MOV (all forms but CR/DR), MOVZX/MOVSX/MOVSXD, LEA, XCHG, XADD, CMPXCHG,
//! CMPXCHG8B/16B, BSWAP, PUSH/POP, PUSHF/POPF, ENTER/LEAVE, CBW..CQO, LAHF/SAHF, SETcc, CMOVcc.
use super::{flags, sext, ExecResult, Flow};
use crate::outcome::Fault;
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

/// RFLAGS bits that POPF/IRET may change at CPL 0 (everything but VM, VIF, VIP and reserved bits).
pub const RFLAGS_WRITABLE: u64 = 0x3f_7fd5 & !(1 << 17) & !(3 << 19);
pub const IOPL_MASK: u64 = 3 << 12;

impl<V: Virt> Processor<V> {
    /// Returns `None` when the instruction is not a data-movement instruction.
    pub(crate) fn exec_data(&mut self, ins: &Instruction) -> Option<ExecResult> {
        use Mnemonic as M;
        Some(match ins.mnemonic() {
            M::Mov => self.exec_mov(ins),
            M::Movzx => self.read_op(ins, 1).and_then(|v| self.write_op(ins, 0, v)).map(|_| Flow::Next),
            M::Movsx | M::Movsxd => {
                let s = Self::op_size(ins, 1);
                self.read_op(ins, 1).and_then(|v| self.write_op(ins, 0, sext(v, s))).map(|_| Flow::Next)
            }
            M::Lea => {
                let mut a = ins.memory_displacement64();
                let base = ins.memory_base();
                if base != Register::None && base != Register::RIP && base != Register::EIP {
                    a = a.wrapping_add(self.reg_read(base));
                }
                let idx = ins.memory_index();
                if idx != Register::None {
                    a = a.wrapping_add(self.reg_read(idx).wrapping_mul(ins.memory_index_scale() as u64));
                }
                if base.size() == 4 || idx.size() == 4 {
                    a &= 0xffff_ffff;
                }
                self.reg_write(ins.op_register(0), a);
                Ok(Flow::Next)
            }
            M::Xchg => (|| {
                let a = self.read_op_rmw(ins, 0)?;
                let b = self.read_op(ins, 1)?;
                self.write_op(ins, 0, b)?;
                self.write_op(ins, 1, a)?;
                Ok(Flow::Next)
            })(),
            M::Xadd => (|| {
                let size = Self::op_size(ins, 0);
                let d = self.read_op_rmw(ins, 0)?;
                let s = self.read_op(ins, 1)?;
                let (sum, f) = flags::add(d, s, 0, size);
                self.write_op(ins, 1, d)?;
                self.write_op(ins, 0, sum)?;
                self.set_status(f);
                Ok(Flow::Next)
            })(),
            M::Cmpxchg => (|| {
                let size = Self::op_size(ins, 0);
                let acc_reg = match size {
                    1 => Register::AL,
                    2 => Register::AX,
                    4 => Register::EAX,
                    _ => Register::RAX,
                };
                let d = self.read_op_rmw(ins, 0)?;
                let acc = self.reg_read(acc_reg);
                let (_, f) = flags::sub(acc, d, 0, size);
                if f & rf::ZF != 0 {
                    let s = self.read_op(ins, 1)?;
                    self.write_op(ins, 0, s)?;
                } else {
                    if ins.op_kind(0) == OpKind::Memory {
                        self.write_op(ins, 0, d)?;
                    }
                    self.reg_write(acc_reg, d);
                }
                self.set_status(f);
                Ok(Flow::Next)
            })(),
            M::Cmpxchg8b | M::Cmpxchg16b => self.exec_cmpxchg_wide(ins),
            M::Bswap => {
                let size = Self::op_size(ins, 0);
                let v = self.reg_read(ins.op_register(0));
                let r = match size {
                    8 => v.swap_bytes(),
                    4 => (v as u32).swap_bytes() as u64,
                    // BSWAP r16 is undefined; AMD and Intel both clear the register.
                    _ => 0,
                };
                self.reg_write(ins.op_register(0), r);
                Ok(Flow::Next)
            }
            M::Push => (|| {
                let size = (-ins.stack_pointer_increment()) as u32;
                let v = match ins.op_kind(0) {
                    OpKind::Register if ins.op_register(0).is_segment_register() => {
                        self.seg(ins.op_register(0)).selector as u64
                    }
                    _ => self.read_op(ins, 0)?,
                };
                self.push(size, v)?;
                Ok(Flow::Next)
            })(),
            M::Pop => (|| {
                let size = ins.stack_pointer_increment() as u32;
                let old_rsp = self.cpu.regs.gpr[4];
                let v = self.pop(size)?;
                if ins.op_kind(0) == OpKind::Register && ins.op_register(0).is_segment_register() {
                    if let Err(e) = self.load_data_segment(ins.op_register(0), v as u16) {
                        self.cpu.regs.gpr[4] = old_rsp;
                        return Err(e);
                    }
                    if ins.op_register(0) == Register::SS {
                        self.shadow_next(); // POP SS: the next instruction is in its shadow
                    }
                } else if let Err(e) = self.write_op(ins, 0, v) {
                    self.cpu.regs.gpr[4] = old_rsp;
                    return Err(e);
                }
                Ok(Flow::Next)
            })(),
            M::Pushf | M::Pushfd | M::Pushfq => {
                let size = (-ins.stack_pointer_increment()) as u32;
                let v = self.cpu.regs.rflags & !(1 << 16 | 1 << 17);
                self.push(size, v).map(|_| Flow::Next)
            }
            M::Popf | M::Popfd | M::Popfq => (|| {
                let size = ins.stack_pointer_increment() as u32;
                let v = self.pop(size)?;
                let mut mask = RFLAGS_WRITABLE & flags::mask(size);
                let iopl = (self.cpu.regs.rflags & IOPL_MASK) >> 12;
                if self.cpu.cpl != 0 {
                    mask &= !IOPL_MASK;
                }
                if self.cpu.cpl as u64 > iopl {
                    mask &= !rf::IF;
                }
                mask &= !(1 << 16); // RF is cleared by POPF
                self.cpu.regs.rflags = ((self.cpu.regs.rflags & !mask) | (v & mask)) & !(1 << 16) | rf::FIXED1;
                Ok(Flow::Next)
            })(),
            M::Enter => self.exec_enter(ins),
            M::Leave => (|| {
                let size = if ins.code() == Code::Leavew { 2 } else { 8 };
                let rbp = self.cpu.regs.gpr[5];
                let v = self.stack_read(rbp, size)?;
                self.cpu.regs.gpr[4] = rbp.wrapping_add(size as u64);
                if size == 2 {
                    self.reg_write(Register::BP, v);
                } else {
                    self.cpu.regs.gpr[5] = v;
                }
                Ok(Flow::Next)
            })(),
            M::Cbw => self.widen(Register::AL, Register::AX, 1),
            M::Cwde => self.widen(Register::AX, Register::EAX, 2),
            M::Cdqe => self.widen(Register::EAX, Register::RAX, 4),
            M::Cwd | M::Cdq | M::Cqo => {
                let (src, dst, size) = match ins.mnemonic() {
                    M::Cwd => (Register::AX, Register::DX, 2),
                    M::Cdq => (Register::EAX, Register::EDX, 4),
                    _ => (Register::RAX, Register::RDX, 8),
                };
                let v = self.reg_read(src);
                let hi = if v & flags::sign_bit(size) != 0 { u64::MAX } else { 0 };
                self.reg_write(dst, hi);
                Ok(Flow::Next)
            }
            M::Lahf => {
                let f = self.cpu.regs.rflags & (rf::SF | rf::ZF | rf::AF | rf::PF | rf::CF) | rf::FIXED1;
                self.reg_write(Register::AH, f);
                Ok(Flow::Next)
            }
            M::Sahf => {
                let ah = self.reg_read(Register::AH);
                self.set_flags_masked(ah, rf::SF | rf::ZF | rf::AF | rf::PF | rf::CF);
                Ok(Flow::Next)
            }
            M::Seta | M::Setae | M::Setb | M::Setbe | M::Sete | M::Setne | M::Setg | M::Setge | M::Setl | M::Setle | M::Seto | M::Setno | M::Setp | M::Setnp | M::Sets | M::Setns => {
                let c = flags::cond(ins.condition_code() as u8 - 1, self.cpu.regs.rflags);
                self.write_op(ins, 0, c as u64).map(|_| Flow::Next)
            }
            M::Cmova | M::Cmovae | M::Cmovb | M::Cmovbe | M::Cmove | M::Cmovne | M::Cmovg | M::Cmovge | M::Cmovl | M::Cmovle | M::Cmovo | M::Cmovno | M::Cmovp | M::Cmovnp | M::Cmovs | M::Cmovns => {
                (|| {
                    let v = self.read_op(ins, 1)?;
                    let r = ins.op_register(0);
                    if flags::cond(ins.condition_code() as u8 - 1, self.cpu.regs.rflags) {
                        self.reg_write(r, v);
                    } else if r.size() == 4 {
                        // A 32-bit CMOV zero-extends even when it does not move.
                        let cur = self.reg_read(r);
                        self.reg_write(r, cur);
                    }
                    Ok(Flow::Next)
                })()
            }
            _ => return None,
        })
    }

    fn widen(&mut self, src: Register, dst: Register, size: u32) -> ExecResult {
        let v = self.reg_read(src);
        self.reg_write(dst, sext(v, size));
        Ok(Flow::Next)
    }

    fn exec_mov(&mut self, ins: &Instruction) -> ExecResult {
        match ins.code() {
            Code::Mov_r64_cr | Code::Mov_cr_r64 | Code::Mov_r64_dr | Code::Mov_dr_r64 | Code::Mov_r32_cr
            | Code::Mov_cr_r32 | Code::Mov_r32_dr | Code::Mov_dr_r32 => self.exec_mov_crdr(ins),
            Code::Mov_Sreg_rm16 | Code::Mov_Sreg_r32m16 | Code::Mov_Sreg_r64m16 => {
                let sel = self.read_op(ins, 1)? as u16;
                let sreg = ins.op_register(0);
                if sreg == Register::CS {
                    return Err(Fault::ud().into());
                }
                self.load_data_segment(sreg, sel)?;
                if sreg == Register::SS {
                    self.shadow_next(); // MOV SS: the next instruction is in its shadow
                }
                Ok(Flow::Next)
            }
            Code::Mov_rm16_Sreg | Code::Mov_r32m16_Sreg | Code::Mov_r64m16_Sreg => {
                let sel = self.seg(ins.op_register(1)).selector as u64;
                self.write_op(ins, 0, sel)?;
                Ok(Flow::Next)
            }
            _ => {
                let v = if ins.op_kind(1) == OpKind::Register {
                    self.reg_read(ins.op_register(1))
                } else {
                    self.read_op(ins, 1)?
                };
                self.write_op(ins, 0, v)?;
                Ok(Flow::Next)
            }
        }
    }

    fn exec_cmpxchg_wide(&mut self, ins: &Instruction) -> ExecResult {
        let la = self.effective_address(ins);
        let wide = ins.mnemonic() == Mnemonic::Cmpxchg16b;
        let half = if wide { 8 } else { 4 };
        if wide && la & 15 != 0 {
            return Err(Fault::gp0().into());
        }
        let lo = self.read_mem_rmw(la, half)?;
        let hi = self.read_mem_rmw(la.wrapping_add(half as u64), half)?;
        let m = flags::mask(half);
        let (rax, rdx) = (self.gpr(0) & m, self.gpr(2) & m);
        let (store_lo, store_hi, zf) = if lo == rax && hi == rdx {
            (self.gpr(3) & m, self.gpr(1) & m, true)
        } else {
            (lo, hi, false)
        };
        self.write_mem(la, half, store_lo)?;
        self.write_mem(la.wrapping_add(half as u64), half, store_hi)?;
        if !zf {
            self.cpu.regs.gpr[0] = lo;
            self.cpu.regs.gpr[2] = hi;
        }
        self.set_flags_masked(if zf { rf::ZF } else { 0 }, rf::ZF);
        Ok(Flow::Next)
    }

    fn exec_enter(&mut self, ins: &Instruction) -> ExecResult {
        let size: u32 = if ins.code() == Code::Enterw_imm16_imm8 { 2 } else { 8 };
        let alloc = ins.immediate16() as u64;
        let level = (ins.immediate8_2nd() % 32) as u64;
        let old = (self.cpu.regs.gpr[4], self.cpu.regs.gpr[5]);
        let r = (|| {
            self.push(size, self.cpu.regs.gpr[5])?;
            let frame = self.cpu.regs.gpr[4];
            if level > 0 {
                let mut rbp = self.cpu.regs.gpr[5];
                for _ in 1..level {
                    rbp = rbp.wrapping_sub(size as u64);
                    let v = self.stack_read(rbp, size)?;
                    self.push(size, v)?;
                }
                self.push(size, frame)?;
            }
            if size == 2 {
                self.reg_write(Register::BP, frame);
            } else {
                self.cpu.regs.gpr[5] = frame;
            }
            self.cpu.regs.gpr[4] = self.cpu.regs.gpr[4].wrapping_sub(alloc);
            Ok(Flow::Next)
        })();
        if r.is_err() {
            (self.cpu.regs.gpr[4], self.cpu.regs.gpr[5]) = old;
        }
        r
    }
}

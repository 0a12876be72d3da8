//! Control flow: JMP, Jcc, CALL, RET (near, indirect, with imm16), far RET/JMP/CALL through
//! memory pointers, LOOP/LOOPE/LOOPNE, JRCXZ/JECXZ.
use super::{flags, is_canonical, ExecResult, Flow};
use crate::outcome::Fault;
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Code, Instruction, Mnemonic, OpKind};

impl<V: Virt> Processor<V> {
    /// A near branch to `t`: #GP(0) for a non-canonical target (the fault is taken on the branch).
    #[inline]
    pub(crate) fn branch(&self, t: u64) -> ExecResult {
        if is_canonical(t) { Ok(Flow::Jump(t)) } else { Err(Fault::gp0().into()) }
    }

    pub(crate) fn exec_control(&mut self, ins: &Instruction) -> ExecResult {
        use Mnemonic as M;
        match ins.mnemonic() {
            M::Jmp => match ins.code() {
                Code::Jmp_m1664 | Code::Jmp_m1632 | Code::Jmp_m1616 => self.far_via_memory(ins, false),
                // JMP ptr16:32 / ptr16:16 (not encodable in 64-bit mode).
                Code::Jmp_ptr1632 | Code::Jmp_ptr1616 => {
                    let off = if ins.code() == Code::Jmp_ptr1616 { ins.far_branch16() as u64 } else { ins.far_branch32() as u64 };
                    self.far_transfer(ins.far_branch_selector(), off, None)?;
                    Ok(Flow::Jump(self.cpu.regs.rip))
                }
                _ => match ins.op_kind(0) {
                    OpKind::NearBranch64 | OpKind::NearBranch32 | OpKind::NearBranch16 => {
                        Ok(Flow::Jump(ins.near_branch_target()))
                    }
                    _ => {
                        let t = self.read_op(ins, 0)?;
                        self.branch(t)
                    }
                },
            },
            M::Call => {
                let ret = ins.next_ip();
                let target = match ins.code() {
                    Code::Call_m1664 | Code::Call_m1632 | Code::Call_m1616 => return self.far_via_memory(ins, true),
                    _ => match ins.op_kind(0) {
                        OpKind::NearBranch64 | OpKind::NearBranch32 | OpKind::NearBranch16 => ins.near_branch_target(),
                        _ => self.read_op(ins, 0)?,
                    },
                };
                if !is_canonical(target) {
                    return Err(Fault::gp0().into());
                }
                // The return address is as wide as the operand size (8 in 64-bit mode).
                let size = (-ins.stack_pointer_increment()) as u32;
                self.push(size, ret)?;
                Ok(Flow::Jump(target))
            }
            M::Ret => {
                let size: u32 = match ins.code() {
                    Code::Retnd | Code::Retnd_imm16 => 4,
                    Code::Retnw | Code::Retnw_imm16 => 2,
                    _ => 8,
                };
                let rsp = self.cpu.regs.gpr[4];
                let t = self.stack_read(rsp, size)?;
                if !is_canonical(t) {
                    return Err(Fault::gp0().into());
                }
                let extra = if ins.op_count() > 0 { ins.immediate16() as u64 } else { 0 };
                self.cpu.regs.gpr[4] = rsp.wrapping_add(size as u64 + extra);
                Ok(Flow::Jump(t))
            }
            M::Retf => self.exec_retf(ins),
            M::Loop | M::Loope | M::Loopne | M::Jrcxz | M::Jecxz => {
                let ecx = matches!(
                    ins.code(),
                    Code::Loop_rel8_64_ECX | Code::Loope_rel8_64_ECX | Code::Loopne_rel8_64_ECX | Code::Jecxz_rel8_64
                );
                let mask = if ecx { 0xffff_ffff } else { u64::MAX };
                let mut c = self.cpu.regs.gpr[1] & mask;
                let take = if matches!(ins.mnemonic(), M::Jrcxz | M::Jecxz) {
                    c == 0
                } else {
                    c = c.wrapping_sub(1) & mask;
                    // A 32-bit count write zero-extends RCX, like any 32-bit register write.
                    self.cpu.regs.gpr[1] = c;
                    let zf = self.flag(rf::ZF);
                    c != 0
                        && match ins.mnemonic() {
                            M::Loope => zf,
                            M::Loopne => !zf,
                            _ => true,
                        }
                };
                Ok(if take { Flow::Jump(ins.near_branch_target()) } else { Flow::Next })
            }
            _ => {
                // Jcc
                let cc = ins.condition_code() as u8 - 1;
                if flags::cond(cc, self.cpu.regs.rflags) {
                    Ok(Flow::Jump(ins.near_branch_target()))
                } else {
                    Ok(Flow::Next)
                }
            }
        }
    }

    /// Far RET in 64-bit mode (same privilege, or to an outer level, which also pops RSP and SS).
    fn exec_retf(&mut self, ins: &Instruction) -> ExecResult {
        let size: u32 = match ins.code() {
            Code::Retfq | Code::Retfq_imm16 => 8,
            Code::Retfd | Code::Retfd_imm16 => 4,
            _ => 2,
        };
        let extra = if ins.op_count() > 0 { ins.immediate16() as u64 } else { 0 };
        let rsp = self.cpu.regs.gpr[4];
        let rip = self.stack_read(rsp, size)?;
        let cs = self.stack_read(rsp.wrapping_add(size as u64), size)? as u16;
        let rpl = (cs & 3) as u8;
        if rpl < self.cpu.cpl {
            return Err(Fault::with_code(crate::outcome::vector::GP, (cs & !3) as u32).into());
        }
        let mut new_rsp = rsp.wrapping_add(2 * size as u64 + extra);
        let mut ss = None;
        if rpl > self.cpu.cpl {
            let sp = self.stack_read(new_rsp, size)?;
            let sel = self.stack_read(new_rsp.wrapping_add(size as u64), size)? as u16;
            ss = Some(sel);
            new_rsp = sp.wrapping_add(extra);
        }
        self.far_transfer(cs, rip, ss)?;
        self.cpu.regs.gpr[4] = new_rsp;
        if rpl > self.cpu.cpl {
            self.clear_segments_for_outer_return();
        }
        Ok(Flow::Jump(self.cpu.regs.rip))
    }

    /// JMP/CALL m16:64 (or m16:32): a far transfer to a code segment at the same privilege.
    fn far_via_memory(&mut self, ins: &Instruction, call: bool) -> ExecResult {
        let la = self.effective_address(ins);
        let off_size = match ins.code() {
            Code::Jmp_m1664 | Code::Call_m1664 => 8,
            Code::Jmp_m1632 | Code::Call_m1632 => 4,
            _ => 2,
        };
        let off = self.read_mem(la, off_size)?;
        let sel = self.read_mem(la.wrapping_add(off_size as u64), 2)? as u16;
        let (old_cs, ret) = (self.cpu.cs.selector, ins.next_ip());
        let old_rsp = self.cpu.regs.gpr[4];
        if call {
            self.push(8, old_cs as u64)?;
            if let Err(e) = self.push(8, ret) {
                self.cpu.regs.gpr[4] = old_rsp;
                return Err(e);
            }
        }
        if let Err(e) = self.far_transfer(sel, off, None) {
            self.cpu.regs.gpr[4] = old_rsp;
            return Err(e);
        }
        Ok(Flow::Jump(self.cpu.regs.rip))
    }
}

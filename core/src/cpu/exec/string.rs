//! String instructions MOVS STOS LODS CMPS SCAS INS OUTS with REP / REPE / REPNE.
//!
//! A REP instruction runs at most [`REP_CHUNK`] iterations per step. When RCX is still non-zero
//! after a chunk (and the REPE/REPNE condition holds) RIP is left at the instruction, exactly as
//! when a real CPU takes an interrupt between iterations, and the next step continues it. Each
//! chunk therefore counts as one step, which keeps a huge RCX from stalling the step budget.
use super::{flags, ExecResult, Flow};
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Instruction, Mnemonic as M, OpKind, Register};

/// Iterations of a REP string instruction per step.
pub const REP_CHUNK: u64 = 1024;

impl<V: Virt> Processor<V> {
    /// Iterations of the REP chunk starting now: `REP_CHUNK`, or what is left of the chunk of
    /// this instruction that a #VMEXIT cut short without a step being counted (an L0 handling a
    /// shadow-NPT fill by itself): that chunk goes on where it stopped, so the steps fall where
    /// they fall without the exit (robustness W4). A chunk that completed, or a fault or exit
    /// that counted a step (delivered, reflected), moved `steps` on: a fresh chunk.
    fn rep_chunk_limit(&mut self, left: u64) -> u64 {
        let rip = self.cpu.regs.rip;
        let limit = match self.rep_resume {
            Some((r, at, rcx0, lim)) if r == rip && at == self.steps => lim.saturating_sub(rcx0.wrapping_sub(left)).max(1),
            _ => REP_CHUNK,
        };
        self.rep_resume = Some((rip, self.steps, left, limit));
        limit
    }

    pub(crate) fn exec_string(&mut self, ins: &Instruction) -> ExecResult {
        let m = ins.mnemonic();
        let size = ins.memory_size().size() as u32;
        let (asz, rcx, rsi, rdi) = if (0..ins.op_count()).any(|i| matches!(ins.op_kind(i), OpKind::MemorySegRSI | OpKind::MemoryESRDI)) {
            (u64::MAX, Register::RCX, Register::RSI, Register::RDI)
        } else if (0..ins.op_count()).any(|i| matches!(ins.op_kind(i), OpKind::MemorySegESI | OpKind::MemoryESEDI)) {
            (0xffff_ffff, Register::ECX, Register::ESI, Register::EDI)
        } else {
            (0xffff, Register::CX, Register::SI, Register::DI)
        };
        let src_base = match ins.memory_segment() {
            Register::FS => self.cpu.fs.base,
            Register::GS => self.cpu.gs.base,
            _ => 0,
        };
        let cmp = matches!(m, M::Cmpsb | M::Cmpsw | M::Cmpsd | M::Cmpsq | M::Scasb | M::Scasw | M::Scasd | M::Scasq);
        let rep = ins.has_rep_prefix() || ins.has_repne_prefix();
        let repne = ins.has_repne_prefix();
        let io = matches!(m, M::Insb | M::Insw | M::Insd | M::Outsb | M::Outsw | M::Outsd);
        if io {
            self.require_iopl()?;
        }
        let port = self.cpu.regs.gpr[2] as u16;
        let delta = if self.flag(rf::DF) { (size as u64).wrapping_neg() } else { size as u64 };
        let acc_reg = match size {
            1 => Register::AL,
            2 => Register::AX,
            4 => Register::EAX,
            _ => Register::RAX,
        };
        let mut left = if rep { self.reg_read(rcx) & asz } else { 1 };
        if left == 0 {
            return Ok(Flow::Next);
        }
        let limit = if rep { self.rep_chunk_limit(left) } else { REP_CHUNK };
        for _ in 0..limit {
            let si = self.reg_read(rsi);
            let di = self.reg_read(rdi);
            match m {
                M::Movsb | M::Movsw | M::Movsd | M::Movsq => {
                    let v = self.read_mem(src_base.wrapping_add(si), size)?;
                    self.write_mem(di, size, v)?;
                    self.reg_write(rsi, si.wrapping_add(delta) & asz);
                    self.reg_write(rdi, di.wrapping_add(delta) & asz);
                }
                M::Stosb | M::Stosw | M::Stosd | M::Stosq => {
                    let v = self.reg_read(acc_reg);
                    self.write_mem(di, size, v)?;
                    self.reg_write(rdi, di.wrapping_add(delta) & asz);
                }
                M::Outsb | M::Outsw | M::Outsd => {
                    let v = self.read_mem(src_base.wrapping_add(si), size)?;
                    self.reg_write(rsi, si.wrapping_add(delta) & asz);
                    if let f @ Flow::Stop(_) = self.port_out(port, size, v) {
                        if rep {
                            left -= 1;
                            self.reg_write(rcx, left);
                        }
                        return Ok(f);
                    }
                }
                M::Insb | M::Insw | M::Insd => {
                    // Probe the destination before reading the port (a port read may have effects).
                    self.write_mem(di, size, 0)?;
                    let v = self.port_in(port, size);
                    self.write_mem(di, size, v)?;
                    self.reg_write(rdi, di.wrapping_add(delta) & asz);
                }
                M::Lodsb | M::Lodsw | M::Lodsd | M::Lodsq => {
                    let v = self.read_mem(src_base.wrapping_add(si), size)?;
                    self.reg_write(acc_reg, v);
                    self.reg_write(rsi, si.wrapping_add(delta) & asz);
                }
                M::Cmpsb | M::Cmpsw | M::Cmpsd | M::Cmpsq => {
                    let a = self.read_mem(src_base.wrapping_add(si), size)?;
                    let b = self.read_mem(di, size)?;
                    let (_, f) = flags::sub(a, b, 0, size);
                    self.set_status(f);
                    self.reg_write(rsi, si.wrapping_add(delta) & asz);
                    self.reg_write(rdi, di.wrapping_add(delta) & asz);
                }
                _ => {
                    let a = self.reg_read(acc_reg);
                    let b = self.read_mem(di, size)?;
                    let (_, f) = flags::sub(a, b, 0, size);
                    self.set_status(f);
                    self.reg_write(rdi, di.wrapping_add(delta) & asz);
                }
            }
            if !rep {
                return Ok(Flow::Next);
            }
            left -= 1;
            self.reg_write(rcx, left);
            if left == 0 {
                return Ok(Flow::Next);
            }
            if cmp && (self.flag(rf::ZF) == repne) {
                return Ok(Flow::Next);
            }
        }
        Ok(Flow::Repeat)
    }
}

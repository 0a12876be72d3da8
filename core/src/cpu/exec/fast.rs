//! Pre-decoded fast forms of the most frequent instructions.
//!
//! When an instruction enters the decode cache it is also classified into a compact [`Fast`]
//! form (register numbers, masks and immediates resolved once). The hot loop executes those
//! forms directly; everything else — and every form with an unusual operand (AH..BH, FS/GS
//! override, 32-bit addressing) — goes through the generic `Processor::execute`. Both paths use
//! the same flag helpers and memory accessors, and the differential tests exercise the generic
//! path while the end-to-end programs exercise both.
//!
//! No fast form is an instruction that SVM can intercept (PAUSE, PUSHF/POPF, CPUID, MSR, I/O,
//! CR/DR, descriptor-table, INVLPG, HLT, INT n, IRET... all stay generic), so the SVM layer's
//! instruction-intercept check belongs at the top of `Processor::execute`. Keep it that way.
use super::muldiv::imul_compute;
use super::shift::{shift_compute, shift_compute_inline};
use super::fast_alu::{alu_compute, AluOp};
use super::{flags, is_canonical, sext, ExecResult, Flow};
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

/// A memory operand with 64-bit addressing and a flat segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mem {
    pub disp: u64,
    /// GPR number, or 16 for none.
    pub base: u8,
    pub index: u8,
    /// log2 of the scale.
    pub shift: u8,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fast {
    #[default]
    Generic,
    Nop,
    AluRR { op: AluOp, size: u8, d: u8, s: u8 },
    AluRI { op: AluOp, size: u8, d: u8, imm: u64 },
    AluRM { op: AluOp, size: u8, d: u8, m: Mem },
    AluMR { op: AluOp, size: u8, m: Mem, s: u8 },
    AluMI { op: AluOp, size: u8, m: Mem, imm: u64 },
    MovRR { size: u8, d: u8, s: u8 },
    MovRI { size: u8, d: u8, imm: u64 },
    Load { size: u8, d: u8, m: Mem },
    Store { size: u8, m: Mem, s: u8 },
    StoreI { size: u8, m: Mem, imm: u64 },
    Lea { size: u8, d: u8, m: Mem },
    IncDec { inc: bool, size: u8, d: u8 },
    Jcc { cc: u8, target: u64 },
    Jmp { target: u64 },
    Call { target: u64 },
    Ret,
    Push { s: u8 },
    Pop { d: u8 },
    ShiftRI { op: Mnemonic, size: u8, d: u8, count: u8 },
    ImulRR { size: u8, d: u8, s: u8 },
    ImulRRI { size: u8, d: u8, s: u8, imm: u64 },
    /// MOVZX / MOVSX / MOVSXD from a register.
    ExtRR { signed: bool, size: u8, d: u8, ssize: u8, s: u8 },
    /// MOVZX / MOVSX / MOVSXD from memory.
    ExtRM { signed: bool, size: u8, d: u8, ssize: u8, m: Mem },
    /// Forms that compute their result only, in a basic block where their status flags are dead
    /// (cpu/block_flags.rs; never in the decode cache).
    AluRRNf { op: AluOp, size: u8, d: u8, s: u8 },
    AluRINf { op: AluOp, size: u8, d: u8, imm: u64 },
    IncDecNf { inc: bool, size: u8, d: u8 },
    ShiftRINf { op: Mnemonic, size: u8, d: u8, count: u8 },
    /// The JNE closing a byte-fill loop (fill.rs): store GPR `v`'s low byte at [B], B += 1 until
    /// B = E.
    FillLoop { target: u64, v: u8, b: u8, e: u8 },
}

/// (GPR number, size) of a general-purpose register other than AH/CH/DH/BH.
fn gpr(r: Register) -> Option<(u8, u8)> {
    let n = r as usize;
    Some(match n {
        53..=68 => ((n - 53) as u8, 8),
        37..=52 => ((n - 37) as u8, 4),
        21..=36 => ((n - 21) as u8, 2),
        1..=4 => ((n - 1) as u8, 1),
        9..=20 => ((n - 5) as u8, 1),
        _ => return None,
    })
}

fn mem(ins: &Instruction) -> Option<Mem> {
    if matches!(ins.memory_segment(), Register::FS | Register::GS) {
        return None;
    }
    let reg = |r: Register| -> Option<u8> {
        match r {
            Register::None | Register::RIP => Some(16),
            _ => match gpr(r)? {
                (i, 8) => Some(i),
                _ => None,
            },
        }
    };
    let shift = match ins.memory_index_scale() {
        1 => 0,
        2 => 1,
        4 => 2,
        _ => 3,
    };
    Some(Mem { disp: ins.memory_displacement64(), base: reg(ins.memory_base())?, index: reg(ins.memory_index())?, shift })
}

/// Classifies a decoded instruction (done once, when it enters the decode cache).
pub fn classify(ins: &Instruction) -> Fast {
    classify_inner(ins).unwrap_or(Fast::Generic)
}

fn classify_inner(ins: &Instruction) -> Option<Fast> {
    use Mnemonic as M;
    if ins.has_lock_prefix() || ins.has_rep_prefix() || ins.has_repne_prefix() {
        return None;
    }
    let m = ins.mnemonic();
    let k0 = if ins.op_count() > 0 { ins.op_kind(0) } else { OpKind::Register };
    let k1 = if ins.op_count() > 1 { ins.op_kind(1) } else { OpKind::Register };
    let is_imm = |k: OpKind| {
        matches!(
            k,
            OpKind::Immediate8
                | OpKind::Immediate16
                | OpKind::Immediate32
                | OpKind::Immediate64
                | OpKind::Immediate8to16
                | OpKind::Immediate8to32
                | OpKind::Immediate8to64
                | OpKind::Immediate32to64
        )
    };
    Some(match m {
        M::Nop => Fast::Nop,
        M::Add | M::Or | M::Adc | M::Sbb | M::And | M::Sub | M::Xor | M::Cmp | M::Test if ins.op_count() == 2 => {
            let m = AluOp::of(m)?;
            match (k0, k1) {
                (OpKind::Register, OpKind::Register) => {
                    let (d, size) = gpr(ins.op0_register())?;
                    let (s, _) = gpr(ins.op1_register())?;
                    Fast::AluRR { op: m, size, d, s }
                }
                (OpKind::Register, k) if is_imm(k) => {
                    let (d, size) = gpr(ins.op0_register())?;
                    Fast::AluRI { op: m, size, d, imm: ins.immediate(1) }
                }
                (OpKind::Register, OpKind::Memory) => {
                    let (d, size) = gpr(ins.op0_register())?;
                    Fast::AluRM { op: m, size, d, m: mem(ins)? }
                }
                (OpKind::Memory, OpKind::Register) => {
                    let (s, size) = gpr(ins.op1_register())?;
                    Fast::AluMR { op: m, size, m: mem(ins)?, s }
                }
                (OpKind::Memory, k) if is_imm(k) => {
                    Fast::AluMI { op: m, size: ins.memory_size().size() as u8, m: mem(ins)?, imm: ins.immediate(1) }
                }
                _ => return None,
            }
        }
        M::Mov => match (k0, k1) {
            (OpKind::Register, OpKind::Register) => {
                let (d, size) = gpr(ins.op0_register())?;
                let (s, _) = gpr(ins.op1_register())?;
                Fast::MovRR { size, d, s }
            }
            (OpKind::Register, k) if is_imm(k) => {
                let (d, size) = gpr(ins.op0_register())?;
                Fast::MovRI { size, d, imm: ins.immediate(1) }
            }
            (OpKind::Register, OpKind::Memory) => {
                let (d, size) = gpr(ins.op0_register())?;
                Fast::Load { size, d, m: mem(ins)? }
            }
            (OpKind::Memory, OpKind::Register) => {
                let (s, size) = gpr(ins.op1_register())?;
                Fast::Store { size, m: mem(ins)?, s }
            }
            (OpKind::Memory, k) if is_imm(k) => {
                Fast::StoreI { size: ins.memory_size().size() as u8, m: mem(ins)?, imm: ins.immediate(1) }
            }
            _ => return None,
        },
        M::Lea => {
            let (d, size) = gpr(ins.op0_register())?;
            Fast::Lea { size, d, m: mem(ins)? }
        }
        M::Inc | M::Dec if k0 == OpKind::Register => {
            let (d, size) = gpr(ins.op0_register())?;
            Fast::IncDec { inc: m == M::Inc, size, d }
        }
        M::Jmp if k0 == OpKind::NearBranch64 => Fast::Jmp { target: ins.near_branch_target() },
        M::Call if k0 == OpKind::NearBranch64 => Fast::Call { target: ins.near_branch_target() },
        M::Ret if ins.code() == Code::Retnq => Fast::Ret,
        M::Push if ins.code() == Code::Push_r64 => Fast::Push { s: gpr(ins.op0_register())?.0 },
        M::Pop if ins.code() == Code::Pop_r64 => Fast::Pop { d: gpr(ins.op0_register())?.0 },
        M::Shl | M::Sal | M::Shr | M::Sar | M::Rol | M::Ror if k0 == OpKind::Register && ins.op_count() == 2 => {
            let (d, size) = gpr(ins.op0_register())?;
            if !is_imm(k1) {
                return None;
            }
            Fast::ShiftRI { op: m, size, d, count: ins.immediate(1) as u8 }
        }
        M::Shl | M::Sal | M::Shr | M::Sar | M::Rol | M::Ror if k0 == OpKind::Register && ins.op_count() == 1 => {
            let (d, size) = gpr(ins.op0_register())?;
            Fast::ShiftRI { op: m, size, d, count: 1 }
        }
        M::Imul if ins.op_count() == 2 && k1 == OpKind::Register => {
            let (d, size) = gpr(ins.op0_register())?;
            Fast::ImulRR { size, d, s: gpr(ins.op1_register())?.0 }
        }
        M::Imul if ins.op_count() == 3 && k1 == OpKind::Register => {
            let (d, size) = gpr(ins.op0_register())?;
            Fast::ImulRRI { size, d, s: gpr(ins.op1_register())?.0, imm: ins.immediate(2) }
        }
        M::Movzx | M::Movsx | M::Movsxd => {
            let (d, size) = gpr(ins.op0_register())?;
            let signed = m != M::Movzx;
            match k1 {
                OpKind::Register => {
                    let (s, ssize) = gpr(ins.op1_register())?;
                    Fast::ExtRR { signed, size, d, ssize, s }
                }
                OpKind::Memory => Fast::ExtRM { signed, size, d, ssize: ins.memory_size().size() as u8, m: mem(ins)? },
                _ => return None,
            }
        }
        _ if ins.is_jcc_short_or_near() => Fast::Jcc { cc: ins.condition_code() as u8 - 1, target: ins.near_branch_target() },
        _ => return None,
    })
}

impl<V: Virt> Processor<V> {
    #[inline(always)]
    fn rd(&self, i: u8, size: u8) -> u64 {
        self.cpu.regs.gpr[i as usize] & flags::mask(size as u32)
    }

    #[inline(always)]
    fn wr(&mut self, i: u8, size: u8, v: u64) {
        let g = &mut self.cpu.regs.gpr[i as usize];
        *g = match size {
            8 => v,
            4 => v & 0xffff_ffff,
            2 => (*g & !0xffff) | (v & 0xffff),
            _ => (*g & !0xff) | (v & 0xff),
        };
    }

    #[inline(always)]
    fn ea(&self, m: &Mem) -> u64 {
        let g = &self.cpu.regs.gpr;
        let mut a = m.disp;
        if m.base < 16 {
            a = a.wrapping_add(g[m.base as usize]);
        }
        if m.index < 16 {
            a = a.wrapping_add(g[m.index as usize] << m.shift);
        }
        a
    }

    /// Executes `ins` the way the run loop does: through its pre-decoded form when it has one,
    /// else through `execute`. RIP is not moved (as with `execute`).
    pub fn execute_as_cached(&mut self, ins: &Instruction) -> ExecResult {
        match classify(ins) {
            Fast::Generic => self.execute(ins),
            f => self.exec_fast(&f, ins.next_ip()),
        }
    }

    /// Executes a pre-decoded form; `next` is the address of the following instruction.
    #[inline(never)]
    pub(crate) fn exec_fast(&mut self, f: &Fast, next: u64) -> ExecResult {
        self.exec_fast_inline(f, next)
    }

    /// `exec_fast`, inlined into the run loop's inner loop (cpu/run_fast.rs).
    #[inline(always)]
    pub(crate) fn exec_fast_inline(&mut self, f: &Fast, next: u64) -> ExecResult {
        match *f {
            Fast::Generic => unreachable!("generic instructions go through execute"),
            Fast::Nop => {}
            Fast::AluRR { op, size, d, s } => self.alu_reg(op, size, d, self.cpu.regs.gpr[s as usize]),
            Fast::AluRI { op, size, d, imm } => self.alu_reg(op, size, d, imm),
            Fast::AluRRNf { op, size, d, s } => self.alu_reg_nf(op, size, d, self.cpu.regs.gpr[s as usize]),
            Fast::AluRINf { op, size, d, imm } => self.alu_reg_nf(op, size, d, imm),
            Fast::IncDecNf { inc, size, d } => {
                let v = self.cpu.regs.gpr[d as usize];
                self.wr(d, size, if inc { v.wrapping_add(1) } else { v.wrapping_sub(1) });
            }
            Fast::ShiftRINf { op, size, d, count } => {
                let (v, c, fl) = (self.rd(d, size), count as u64, self.cpu.regs.rflags);
                // The flags computed are dropped (and the computation with them).
                let (r, _) = match (op, size) {
                    (Mnemonic::Shl | Mnemonic::Sal, 8) => shift_compute_inline(Mnemonic::Shl, v, c, fl, 8),
                    (Mnemonic::Shl | Mnemonic::Sal, 4) => shift_compute_inline(Mnemonic::Shl, v, c, fl, 4),
                    (Mnemonic::Shr, 8) => shift_compute_inline(Mnemonic::Shr, v, c, fl, 8),
                    (Mnemonic::Shr, 4) => shift_compute_inline(Mnemonic::Shr, v, c, fl, 4),
                    (Mnemonic::Sar, 8) => shift_compute_inline(Mnemonic::Sar, v, c, fl, 8),
                    (Mnemonic::Sar, 4) => shift_compute_inline(Mnemonic::Sar, v, c, fl, 4),
                    _ => shift_compute(op, v, c, fl, size as u32),
                };
                self.wr(d, size, r);
            }
            Fast::AluRM { op, size, d, m } => {
                let b = self.read_mem_fast(self.ea(&m), size as u32, false)?;
                self.alu_reg(op, size, d, b);
            }
            Fast::AluMR { op, size, m, s } => {
                let la = self.ea(&m);
                let w = op.writes();
                let a = if w { self.read_mem_fast(la, size as u32, true)? } else { self.read_mem_fast(la, size as u32, false)? };
                let (res, f) = alu_compute(op, a, self.rd(s, size), self.cpu.regs.rflags, size);
                if w {
                    self.write_mem_fast(la, size as u32, res)?;
                }
                self.set_status(f);
            }
            Fast::AluMI { op, size, m, imm } => {
                let la = self.ea(&m);
                let w = op.writes();
                let a = if w { self.read_mem_fast(la, size as u32, true)? } else { self.read_mem_fast(la, size as u32, false)? };
                let (res, f) = alu_compute(op, a, imm, self.cpu.regs.rflags, size);
                if w {
                    self.write_mem_fast(la, size as u32, res)?;
                }
                self.set_status(f);
            }
            Fast::MovRR { size, d, s } => self.wr(d, size, self.rd(s, size)),
            Fast::MovRI { size, d, imm } => self.wr(d, size, imm),
            Fast::Load { size, d, m } => {
                let v = self.read_mem_fast(self.ea(&m), size as u32, false)?;
                self.wr(d, size, v);
            }
            Fast::Store { size, m, s } => self.write_mem_fast(self.ea(&m), size as u32, self.rd(s, size))?,
            Fast::StoreI { size, m, imm } => self.write_mem_fast(self.ea(&m), size as u32, imm)?,
            Fast::Lea { size, d, m } => self.wr(d, size, self.ea(&m)),
            Fast::IncDec { inc, size, d } => self.inc_dec(inc, size, d),
            Fast::Jcc { cc, target } => {
                if flags::cond(cc, self.cpu.regs.rflags) {
                    return Ok(Flow::Jump(target));
                }
            }
            Fast::FillLoop { target, v, b, e } => return Ok(self.exec_fill_loop(target, v, b, e)),
            Fast::Jmp { target } => return Ok(Flow::Jump(target)),
            Fast::Call { target } => {
                self.push_fast(next)?;
                return Ok(Flow::Jump(target));
            }
            Fast::Ret => {
                let rsp = self.cpu.regs.gpr[4];
                if !is_canonical(rsp) {
                    return Err(crate::outcome::Fault::with_code(crate::outcome::vector::SS, 0).into());
                }
                let t = self.read_mem_fast(rsp, 8, false)?;
                if !is_canonical(t) {
                    return Err(crate::outcome::Fault::gp0().into());
                }
                self.cpu.regs.gpr[4] = rsp.wrapping_add(8);
                return Ok(Flow::Jump(t));
            }
            Fast::Push { s } => {
                let v = self.cpu.regs.gpr[s as usize];
                self.push_fast(v)?;
            }
            Fast::Pop { d } => {
                let v = self.pop_fast()?;
                self.cpu.regs.gpr[d as usize] = v;
            }
            Fast::ShiftRI { op, size, d, count } => {
                let (v, c, fl) = (self.rd(d, size), count as u64, self.cpu.regs.rflags);
                // The frequent ones with the operation and size as constants.
                let (r, f) = match (op, size) {
                    (Mnemonic::Shl | Mnemonic::Sal, 8) => shift_compute_inline(Mnemonic::Shl, v, c, fl, 8),
                    (Mnemonic::Shl | Mnemonic::Sal, 4) => shift_compute_inline(Mnemonic::Shl, v, c, fl, 4),
                    (Mnemonic::Shr, 8) => shift_compute_inline(Mnemonic::Shr, v, c, fl, 8),
                    (Mnemonic::Shr, 4) => shift_compute_inline(Mnemonic::Shr, v, c, fl, 4),
                    (Mnemonic::Sar, 8) => shift_compute_inline(Mnemonic::Sar, v, c, fl, 8),
                    (Mnemonic::Sar, 4) => shift_compute_inline(Mnemonic::Sar, v, c, fl, 4),
                    _ => shift_compute(op, v, c, fl, size as u32),
                };
                self.wr(d, size, r);
                self.cpu.regs.rflags = f;
            }
            Fast::ImulRR { size, d, s } => {
                let (lo, _, f) = imul_compute(self.rd(d, size), self.rd(s, size), size as u32);
                self.wr(d, size, lo);
                self.set_status(f);
            }
            Fast::ImulRRI { size, d, s, imm } => {
                let (lo, _, f) = imul_compute(self.rd(s, size), imm, size as u32);
                self.wr(d, size, lo);
                self.set_status(f);
            }
            Fast::ExtRR { signed, size, d, ssize, s } => {
                let v = self.rd(s, ssize);
                self.wr(d, size, if signed { sext(v, ssize as u32) } else { v });
            }
            Fast::ExtRM { signed, size, d, ssize, m } => {
                let v = self.read_mem_fast(self.ea(&m), ssize as u32, false)?;
                self.wr(d, size, if signed { sext(v, ssize as u32) } else { v });
            }
        }
        Ok(Flow::Next)
    }
}

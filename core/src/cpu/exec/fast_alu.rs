//! The two-operand ALU of the fast forms (exec/fast.rs): the operation as a small enum resolved
//! once at classification, and every operation specialized per operand size, so that the masks
//! and sign bits of the flag helpers (exec/flags.rs — the same formulas as the generic path)
//! are constants.
use super::flags;
use crate::cpu::processor::{Processor, Virt};
use crate::cpu::regs::flags as rf;
use iced_x86::Mnemonic;

/// ADD OR ADC SBB AND SUB XOR CMP TEST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AluOp {
    Add,
    Or,
    Adc,
    Sbb,
    And,
    Sub,
    Xor,
    Cmp,
    Test,
}

impl AluOp {
    pub fn of(m: Mnemonic) -> Option<Self> {
        Some(match m {
            Mnemonic::Add => AluOp::Add,
            Mnemonic::Or => AluOp::Or,
            Mnemonic::Adc => AluOp::Adc,
            Mnemonic::Sbb => AluOp::Sbb,
            Mnemonic::And => AluOp::And,
            Mnemonic::Sub => AluOp::Sub,
            Mnemonic::Xor => AluOp::Xor,
            Mnemonic::Cmp => AluOp::Cmp,
            Mnemonic::Test => AluOp::Test,
            _ => return None,
        })
    }

    /// The result is written back (not CMP, TEST).
    #[inline(always)]
    pub fn writes(self) -> bool {
        !matches!(self, AluOp::Cmp | AluOp::Test)
    }
}

/// The result (masked to `N` bytes) and status flags of `op` on `a`, `b` (`alu::alu2_compute`
/// with the size a constant).
#[inline(always)]
fn sized<const N: u32>(op: AluOp, a: u64, b: u64, rflags: u64) -> (u64, u64) {
    let cf = rflags & rf::CF;
    match op {
        AluOp::Add => flags::add(a, b, 0, N),
        AluOp::Adc => flags::add(a, b, cf, N),
        AluOp::Sub | AluOp::Cmp => flags::sub(a, b, 0, N),
        AluOp::Sbb => flags::sub(a, b, cf, N),
        AluOp::And | AluOp::Test => flags::logic(a & b, N),
        AluOp::Or => flags::logic(a | b, N),
        AluOp::Xor => flags::logic(a ^ b, N),
    }
}

/// `op` on `a`, `b` of `size` bytes: the result and the status flags.
#[inline(always)]
pub fn alu_compute(op: AluOp, a: u64, b: u64, rflags: u64, size: u8) -> (u64, u64) {
    match size {
        8 => sized::<8>(op, a, b, rflags),
        4 => sized::<4>(op, a, b, rflags),
        2 => sized::<2>(op, a, b, rflags),
        _ => sized::<1>(op, a, b, rflags),
    }
}

impl<V: Virt> Processor<V> {
    /// `op` with GPR `d` (of `N` bytes) as the destination and `b` as the source.
    #[inline(always)]
    fn alu_reg_n<const N: u32>(&mut self, op: AluOp, d: u8, b: u64) {
        let g = &mut self.cpu.regs.gpr[d as usize];
        let (r, f) = sized::<N>(op, *g, b, self.cpu.regs.rflags);
        if op.writes() {
            *g = match N {
                8 => r,
                4 => r & 0xffff_ffff,
                2 => (*g & !0xffff) | (r & 0xffff),
                _ => (*g & !0xff) | (r & 0xff),
            };
        }
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !rf::STATUS) | f;
    }

    /// `op` with GPR `d` of `size` bytes as the destination (AH..BH are never fast forms).
    #[inline(always)]
    pub(crate) fn alu_reg(&mut self, op: AluOp, size: u8, d: u8, b: u64) {
        match size {
            8 => self.alu_reg_n::<8>(op, d, b),
            4 => self.alu_reg_n::<4>(op, d, b),
            2 => self.alu_reg_n::<2>(op, d, b),
            _ => self.alu_reg_n::<1>(op, d, b),
        }
    }

    /// `alu_reg_n` without the status flags (they are dead: cpu/block_flags.rs).
    #[inline(always)]
    fn alu_reg_nf_n<const N: u32>(&mut self, op: AluOp, d: u8, b: u64) {
        if !op.writes() {
            return;
        }
        let g = &mut self.cpu.regs.gpr[d as usize];
        // The flags computed are dropped (and the computation with them).
        let (r, _) = sized::<N>(op, *g, b, self.cpu.regs.rflags);
        *g = match N {
            8 => r,
            4 => r & 0xffff_ffff,
            2 => (*g & !0xffff) | (r & 0xffff),
            _ => (*g & !0xff) | (r & 0xff),
        };
    }

    /// `alu_reg` without the status flags.
    #[inline(always)]
    pub(crate) fn alu_reg_nf(&mut self, op: AluOp, size: u8, d: u8, b: u64) {
        match size {
            8 => self.alu_reg_nf_n::<8>(op, d, b),
            4 => self.alu_reg_nf_n::<4>(op, d, b),
            2 => self.alu_reg_nf_n::<2>(op, d, b),
            _ => self.alu_reg_nf_n::<1>(op, d, b),
        }
    }

    /// INC/DEC of GPR `d` (of `N` bytes): CF is left alone.
    #[inline(always)]
    fn inc_dec_n<const N: u32>(&mut self, inc: bool, d: u8) {
        let g = &mut self.cpu.regs.gpr[d as usize];
        let (r, f) = if inc { flags::add(*g, 1, 0, N) } else { flags::sub(*g, 1, 0, N) };
        *g = match N {
            8 => r,
            4 => r & 0xffff_ffff,
            2 => (*g & !0xffff) | (r & 0xffff),
            _ => (*g & !0xff) | (r & 0xff),
        };
        let m = rf::STATUS & !rf::CF;
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !m) | (f & m);
    }

    /// INC/DEC of GPR `d` of `size` bytes.
    #[inline(always)]
    pub(crate) fn inc_dec(&mut self, inc: bool, size: u8, d: u8) {
        match size {
            8 => self.inc_dec_n::<8>(inc, d),
            4 => self.inc_dec_n::<4>(inc, d),
            2 => self.inc_dec_n::<2>(inc, d),
            _ => self.inc_dec_n::<1>(inc, d),
        }
    }
}

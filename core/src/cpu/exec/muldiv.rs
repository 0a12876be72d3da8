//! Multiplication and division: MUL, IMUL (one, two and three operands), DIV, IDIV (with #DE).
use super::{flags, sext, ExecResult, Flow};
use crate::outcome::Fault;
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Instruction, Mnemonic, Register};

/// Unsigned widening multiply of two `size`-byte values: (low, high, flags). CF = OF = high != 0;
/// SF ZF PF are undefined by the SDM (we take them from the low half), AF is cleared.
pub fn mul_compute(a: u64, b: u64, size: u32) -> (u64, u64, u64) {
    let m = flags::mask(size);
    let full = (a & m) as u128 * (b & m) as u128;
    let bits = size * 8;
    let lo = (full as u64) & m;
    let hi = ((full >> bits) as u64) & m;
    let of = if hi != 0 { rf::CF | rf::OF } else { 0 };
    (lo, hi, of | flags::szp(lo, size))
}

/// Signed widening multiply: (low, high, flags). CF = OF = the product does not fit in `size`.
pub fn imul_compute(a: u64, b: u64, size: u32) -> (u64, u64, u64) {
    let m = flags::mask(size);
    let full = (sext(a, size) as i64 as i128) * (sext(b, size) as i64 as i128);
    let bits = size * 8;
    let lo = (full as u64) & m;
    let hi = ((full >> bits) as u64) & m;
    let fits = sext(lo, size) as i64 as i128 == full;
    let of = if fits { 0 } else { rf::CF | rf::OF };
    (lo, hi, of | flags::szp(lo, size))
}

/// Unsigned divide of hi:lo by `d`: Some((quotient, remainder)), or None for #DE.
pub fn div_compute(hi: u64, lo: u64, d: u64, size: u32) -> Option<(u64, u64)> {
    let m = flags::mask(size);
    let d = (d & m) as u128;
    if d == 0 {
        return None;
    }
    let bits = size * 8;
    let n = if size == 8 { ((hi as u128) << 64) | lo as u128 } else { (((hi & m) as u128) << bits) | (lo & m) as u128 };
    let q = n / d;
    if q > m as u128 {
        return None;
    }
    Some((q as u64, (n % d) as u64))
}

/// Signed divide: Some((quotient, remainder)) truncating toward zero, or None for #DE.
pub fn idiv_compute(hi: u64, lo: u64, d: u64, size: u32) -> Option<(u64, u64)> {
    let m = flags::mask(size);
    let d = sext(d, size) as i64 as i128;
    if d == 0 {
        return None;
    }
    let bits = size * 8;
    let n: i128 = if size == 8 {
        (((hi as u128) << 64) | lo as u128) as i128
    } else {
        let raw = (((hi & m) as u128) << bits) | (lo & m) as u128;
        // Sign-extend the 2*bits-wide dividend.
        ((raw << (128 - 2 * bits)) as i128) >> (128 - 2 * bits)
    };
    let q = n.checked_div(d)?;
    let (min, max) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
    if q < min || q > max {
        return None;
    }
    Some(((q as u64) & m, ((n % d) as u64) & m))
}

impl<V: Virt> Processor<V> {
    pub(crate) fn exec_muldiv(&mut self, ins: &Instruction) -> ExecResult {
        let m = ins.mnemonic();
        if m == Mnemonic::Imul && ins.op_count() > 1 {
            let size = Self::op_size(ins, 0);
            let (a, b) = if ins.op_count() == 3 {
                (self.read_op(ins, 1)?, ins.immediate(2))
            } else {
                (self.reg_read(ins.op_register(0)), self.read_op(ins, 1)?)
            };
            let (lo, _, f) = imul_compute(a, b, size);
            self.reg_write(ins.op_register(0), lo);
            self.set_status(f);
            return Ok(Flow::Next);
        }
        let size = Self::op_size(ins, 0);
        let src = self.read_op(ins, 0)?;
        let (lo_reg, hi_reg) = match size {
            1 => (Register::AL, Register::AH),
            2 => (Register::AX, Register::DX),
            4 => (Register::EAX, Register::EDX),
            _ => (Register::RAX, Register::RDX),
        };
        let a = self.reg_read(lo_reg);
        match m {
            Mnemonic::Mul | Mnemonic::Imul => {
                let (lo, hi, f) = if m == Mnemonic::Mul { mul_compute(a, src, size) } else { imul_compute(a, src, size) };
                if size == 1 {
                    self.reg_write(Register::AX, (hi << 8) | lo);
                } else {
                    self.reg_write(lo_reg, lo);
                    self.reg_write(hi_reg, hi);
                }
                self.set_status(f);
            }
            _ => {
                let hi_src = self.reg_read(hi_reg);
                let r = if m == Mnemonic::Div { div_compute(hi_src, a, src, size) } else { idiv_compute(hi_src, a, src, size) };
                let Some((q, rem)) = r else { return Err(Fault::new(crate::outcome::vector::DE).into()) };
                if size == 1 {
                    self.reg_write(Register::AX, ((rem & 0xff) << 8) | (q & 0xff));
                } else {
                    self.reg_write(lo_reg, q);
                    self.reg_write(hi_reg, rem);
                }
            }
        }
        Ok(Flow::Next)
    }
}

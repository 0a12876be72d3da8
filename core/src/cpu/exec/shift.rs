//! Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR by 1, CL or imm8, and SHLD/SHRD.
//!
//! Flag rules follow the SDM pseudocode: the count is masked to 5 bits (6 with REX.W); a masked
//! count of 0 changes nothing; OF is defined only for a count of 1 (we compute the count-1
//! formula for every count); AF is undefined for shifts (we clear it).
use super::{flags, sext, ExecResult, Flow};
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Instruction, Mnemonic};

#[inline(always)]
fn bit(v: u64, n: u32) -> bool {
    n < 64 && (v >> n) & 1 != 0
}

/// Computes a shift or rotate of `val` by `count` (unmasked) for a `size`-byte operand.
/// Returns the result and the new RFLAGS value.
pub fn shift_compute(m: Mnemonic, val: u64, count: u64, rflags: u64, size: u32) -> (u64, u64) {
    shift_compute_inline(m, val, count, rflags, size)
}

/// `shift_compute`, inlined where the operation and size are constants (exec/fast.rs).
#[inline(always)]
pub fn shift_compute_inline(m: Mnemonic, val: u64, count: u64, rflags: u64, size: u32) -> (u64, u64) {
    let bits = size * 8;
    let msk = flags::mask(size);
    let val = val & msk;
    let c = (count & if size == 8 { 63 } else { 31 }) as u32;
    if c == 0 {
        return (val, rflags);
    }
    let msb = |v: u64| bit(v, bits - 1);
    let cf_in = rflags & rf::CF != 0;
    let (res, cf, of, status) = match m {
        Mnemonic::Shl | Mnemonic::Sal => {
            let res = if c >= bits { 0 } else { (val << c) & msk };
            let cf = c <= bits && bit(val, bits - c);
            (res, cf, msb(res) ^ cf, true)
        }
        Mnemonic::Shr => {
            let res = if c >= bits { 0 } else { val >> c };
            let cf = bit(val, c - 1);
            (res, cf, msb(val), true)
        }
        Mnemonic::Sar => {
            let s = sext(val, size) as i64;
            let res = (s >> c.min(63)) as u64 & msk;
            let cf = (s >> (c - 1).min(63)) & 1 != 0;
            (res, cf, false, true)
        }
        Mnemonic::Rol => {
            let r = c % bits;
            let res = if r == 0 { val } else { ((val << r) | (val >> (bits - r))) & msk };
            let cf = res & 1 != 0;
            (res, cf, msb(res) ^ cf, false)
        }
        Mnemonic::Ror => {
            let r = c % bits;
            let res = if r == 0 { val } else { ((val >> r) | (val << (bits - r))) & msk };
            (res, msb(res), msb(res) ^ bit(res, bits - 2), false)
        }
        Mnemonic::Rcl | Mnemonic::Rcr => {
            let w = bits + 1;
            let r = c % w;
            // (bits+1)-bit value with CF on top.
            let wide = ((cf_in as u128) << bits) | val as u128;
            let wm = (1u128 << w) - 1;
            let rot = if r == 0 {
                wide
            } else if m == Mnemonic::Rcl {
                ((wide << r) | (wide >> (w - r))) & wm
            } else {
                ((wide >> r) | (wide << (w - r))) & wm
            };
            let res = rot as u64 & msk;
            let cf = (rot >> bits) & 1 != 0;
            let of = if m == Mnemonic::Rcl { msb(res) ^ cf } else { msb(res) ^ bit(res, bits - 2) };
            (res, cf, of, false)
        }
        _ => unreachable!("not a shift"),
    };
    let mut f = rflags & !(rf::CF | rf::OF);
    if cf {
        f |= rf::CF;
    }
    if of {
        f |= rf::OF;
    }
    if status {
        f = (f & !(rf::ZF | rf::SF | rf::PF | rf::AF)) | flags::szp(res, size);
    }
    (res, f)
}

/// SHLD (`left`) / SHRD of `dst` with bits from `src` by `count` (unmasked).
pub fn double_shift_compute(left: bool, dst: u64, src: u64, count: u64, rflags: u64, size: u32) -> (u64, u64) {
    let bits = size * 8;
    let msk = flags::mask(size);
    let (dst, src) = (dst & msk, src & msk);
    let c = (count & if size == 8 { 63 } else { 31 }) as u32;
    if c == 0 {
        return (dst, rflags);
    }
    let (res, cf) = if left {
        let wide = ((dst as u128) << bits) | src as u128;
        let shifted = wide << c;
        ((shifted >> bits) as u64 & msk, c <= bits && bit(dst, bits - c))
    } else {
        let wide = ((src as u128) << bits) | dst as u128;
        ((wide >> c) as u64 & msk, (wide >> (c - 1)) & 1 != 0)
    };
    let of = bit(res, bits - 1) ^ bit(dst, bits - 1);
    let mut f = rflags & !rf::STATUS;
    if cf {
        f |= rf::CF;
    }
    if of {
        f |= rf::OF;
    }
    (res, f | flags::szp(res, size))
}

impl<V: Virt> Processor<V> {
    pub(crate) fn exec_shift(&mut self, ins: &Instruction) -> ExecResult {
        let m = ins.mnemonic();
        let size = Self::op_size(ins, 0);
        let dst = self.read_op_rmw(ins, 0)?;
        let (res, f) = if matches!(m, Mnemonic::Shld | Mnemonic::Shrd) {
            let src = self.read_op(ins, 1)?;
            let count = self.read_op(ins, 2)?;
            double_shift_compute(m == Mnemonic::Shld, dst, src, count, self.cpu.regs.rflags, size)
        } else {
            // `shl r/m, 1` has an implicit immediate 1 as operand 1 in iced.
            let count = if ins.op_count() > 1 { self.read_op(ins, 1)? } else { 1 };
            shift_compute(m, dst, count, self.cpu.regs.rflags, size)
        };
        self.write_op(ins, 0, res)?;
        self.cpu.regs.rflags = f;
        Ok(Flow::Next)
    }
}

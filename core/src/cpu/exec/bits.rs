//! Bit instructions: BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT, and the BMI1 group
//! (ANDN BLSI BLSMSK BLSR BEXTR) that CPUID advertises alongside TZCNT.
use super::{flags, sext, ExecResult, Flow};
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// BT-family: (new value, CF) for bit `n` (already reduced modulo the operand width).
#[inline]
pub fn bt_compute(m: Mnemonic, v: u64, n: u32) -> (u64, bool) {
    let b = 1u64 << n;
    let cf = v & b != 0;
    let nv = match m {
        Mnemonic::Bts => v | b,
        Mnemonic::Btr => v & !b,
        Mnemonic::Btc => v ^ b,
        _ => v,
    };
    (nv, cf)
}

/// Count instructions and BMI1: Some(result) (None = destination unchanged) and new RFLAGS.
pub fn bitcount_compute(m: Mnemonic, src: u64, src2: u64, rflags: u64, size: u32) -> (Option<u64>, u64) {
    let bits = size * 8;
    let msk = flags::mask(size);
    let s = src & msk;
    let keep = rflags & !rf::STATUS;
    let zf = |c: bool| if c { rf::ZF } else { 0 };
    let cf = |c: bool| if c { rf::CF } else { 0 };
    match m {
        Mnemonic::Bsf | Mnemonic::Bsr => {
            if s == 0 {
                (None, keep | rf::ZF)
            } else {
                let r = if m == Mnemonic::Bsf { s.trailing_zeros() } else { 63 - s.leading_zeros() };
                (Some(r as u64), keep)
            }
        }
        Mnemonic::Tzcnt | Mnemonic::Lzcnt => {
            let r = if s == 0 {
                bits
            } else if m == Mnemonic::Tzcnt {
                s.trailing_zeros()
            } else {
                s.leading_zeros() - (64 - bits)
            };
            (Some(r as u64), keep | cf(s == 0) | zf(r == 0))
        }
        Mnemonic::Popcnt => {
            let r = s.count_ones() as u64;
            (Some(r), keep | zf(s == 0))
        }
        Mnemonic::Andn => {
            // src = first source (inverted), src2 = second source.
            let r = !s & src2 & msk;
            (Some(r), keep | flags::szp(r, size) & (rf::ZF | rf::SF))
        }
        Mnemonic::Blsi => {
            let r = s.wrapping_neg() & s;
            (Some(r), keep | cf(s != 0) | flags::szp(r, size) & (rf::ZF | rf::SF))
        }
        Mnemonic::Blsmsk => {
            let r = (s.wrapping_sub(1) ^ s) & msk;
            (Some(r), keep | cf(s == 0) | flags::szp(r, size) & rf::SF)
        }
        Mnemonic::Blsr => {
            let r = s.wrapping_sub(1) & s;
            (Some(r), keep | cf(s == 0) | flags::szp(r, size) & (rf::ZF | rf::SF))
        }
        _ => {
            // BEXTR: start = src2[7:0], length = src2[15:8].
            let start = (src2 & 0xff) as u32;
            let len = ((src2 >> 8) & 0xff) as u32;
            let shifted = if start >= bits { 0 } else { s >> start };
            let r = if len >= 64 { shifted } else { shifted & ((1u64 << len) - 1) };
            (Some(r), keep | zf(r == 0))
        }
    }
}

impl<V: Virt> Processor<V> {
    pub(crate) fn exec_bits(&mut self, ins: &Instruction) -> ExecResult {
        let m = ins.mnemonic();
        let size = Self::op_size(ins, 0);
        if matches!(m, Mnemonic::Bt | Mnemonic::Bts | Mnemonic::Btr | Mnemonic::Btc) {
            let bits = size * 8;
            let off = self.read_op(ins, 1)?;
            let (n, la) = if ins.op_kind(0) == OpKind::Memory && ins.op_kind(1) == OpKind::Register {
                // A register offset addresses a bit string: it is signed and may leave the operand.
                let s = sext(off, size) as i64;
                let unit = s.div_euclid(bits as i64);
                let ea = self.effective_address(ins).wrapping_add((unit * size as i64) as u64);
                (s.rem_euclid(bits as i64) as u32, Some(ea))
            } else {
                ((off % bits as u64) as u32, None)
            };
            let write = m != Mnemonic::Bt;
            let v = match la {
                Some(a) if write => self.read_mem_rmw(a, size)?,
                Some(a) => self.read_mem(a, size)?,
                None if write => self.read_op_rmw(ins, 0)?,
                None => self.read_op(ins, 0)?,
            };
            let (nv, cf) = bt_compute(m, v, n);
            if write {
                match la {
                    Some(a) => self.write_mem(a, size, nv)?,
                    None => self.write_op(ins, 0, nv)?,
                }
            }
            self.set_flags_masked(if cf { rf::CF } else { 0 }, rf::CF);
            return Ok(Flow::Next);
        }
        let (src, src2) = match m {
            Mnemonic::Andn => (self.read_op(ins, 1)?, self.read_op(ins, 2)?),
            Mnemonic::Bextr => (self.read_op(ins, 1)?, self.read_op(ins, 2)?),
            _ => (self.read_op(ins, 1)?, 0),
        };
        let (r, f) = bitcount_compute(m, src, src2, self.cpu.regs.rflags, size);
        if let Some(r) = r {
            self.write_op(ins, 0, r)?;
        }
        self.cpu.regs.rflags = f;
        Ok(Flow::Next)
    }
}

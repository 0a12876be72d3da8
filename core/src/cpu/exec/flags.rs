//! RFLAGS computation for arithmetic results (CF PF AF ZF SF OF), per operand size.
use crate::cpu::regs::flags::*;

#[inline(always)]
pub fn mask(size: u32) -> u64 {
    u64::MAX >> (64 - size * 8)
}
#[inline(always)]
pub fn sign_bit(size: u32) -> u64 {
    1u64 << (size * 8 - 1)
}
#[inline(always)]
fn parity(v: u64) -> u64 {
    // 0x6996 holds the odd-parity bit of each nibble; fold the byte to a nibble first.
    let n = (v ^ (v >> 4)) & 0xf;
    ((!(0x6996u64 >> n)) & 1) << 2
}

/// ZF, SF and PF of a result.
#[inline(always)]
pub fn szp(res: u64, size: u32) -> u64 {
    let r = res & mask(size);
    (if r == 0 { ZF } else { 0 }) | (if r & sign_bit(size) != 0 { SF } else { 0 }) | parity(r)
}

/// Flags of `a + b + carry_in` (ADD/ADC).
#[inline(always)]
pub fn add(a: u64, b: u64, carry_in: u64, size: u32) -> (u64, u64) {
    let m = mask(size);
    let (a, b) = (a & m, b & m);
    let res = a.wrapping_add(b).wrapping_add(carry_in) & m;
    let sb = sign_bit(size);
    // Carry out of the top bit: majority of a, b and the carry into the top bit.
    let cf = if ((a & b) | ((a ^ b) & !res)) & sb != 0 { CF } else { 0 };
    let af = (a ^ b ^ res) & AF;
    let of = if (a ^ res) & (b ^ res) & sb != 0 { OF } else { 0 };
    (res, cf | af | of | szp(res, size))
}

/// Flags of `a - b - borrow_in` (SUB/SBB/CMP/NEG).
#[inline(always)]
pub fn sub(a: u64, b: u64, borrow_in: u64, size: u32) -> (u64, u64) {
    let m = mask(size);
    let (a, b) = (a & m, b & m);
    let res = a.wrapping_sub(b).wrapping_sub(borrow_in) & m;
    let sb = sign_bit(size);
    // Borrow out of the top bit.
    let cf = if ((!a & b) | (!(a ^ b) & res)) & sb != 0 { CF } else { 0 };
    let af = (a ^ b ^ res) & AF;
    let of = if (a ^ b) & (a ^ res) & sb != 0 { OF } else { 0 };
    (res, cf | af | of | szp(res, size))
}

/// Flags of a logic result (AND/OR/XOR/TEST): CF = OF = 0, AF undefined (we clear it, as AMD does).
#[inline(always)]
pub fn logic(res: u64, size: u32) -> (u64, u64) {
    let r = res & mask(size);
    (r, szp(r, size))
}

/// Evaluates a condition code (the low nibble of Jcc/SETcc/CMOVcc opcodes).
#[inline(always)]
pub fn cond(cc: u8, f: u64) -> bool {
    let (cf, zf, sf, of, pf) = (f & CF != 0, f & ZF != 0, f & SF != 0, f & OF != 0, f & PF != 0);
    let r = match cc >> 1 {
        0 => of,
        1 => cf,
        2 => zf,
        3 => cf || zf,
        4 => sf,
        5 => pf,
        6 => sf != of,
        _ => zf || sf != of,
    };
    r ^ (cc & 1 != 0)
}

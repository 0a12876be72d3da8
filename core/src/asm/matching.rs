//! Evaluated operands, matching them against iced operand kinds, and building iced `Instruction`s.

use super::operand::JumpHint;
use iced_x86::{Code, Instruction, OpCodeOperandKind as K, OpKind, Register};

/// An operand after expression evaluation for the current pass.
#[derive(Debug, Clone, PartialEq)]
pub enum EOp {
    Reg(Register, u32),
    Mem(EMem),
    Imm(EImm),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EMem {
    pub size: Option<u32>,
    pub seg: Register,
    pub base: Register,
    pub index: Register,
    pub scale: u32,
    /// Displacement, or the absolute target for RIP-relative operands.
    pub disp: i64,
    pub rip: bool,
    pub addr64: bool,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EImm {
    pub v: i64,
    /// False while a forward reference is unresolved (value is a placeholder).
    pub known: bool,
    /// Value depends on a label (NASM keeps full-width immediates for those).
    pub reloc: bool,
    pub size: Option<u32>,
    pub strict: bool,
    pub jump: Option<JumpHint>,
    pub col: u32,
}

impl EOp {
    pub(super) fn col(&self) -> u32 {
        match self {
            EOp::Reg(_, c) => *c,
            EOp::Mem(m) => m.col,
            EOp::Imm(i) => i.col,
        }
    }
}

/// Per-statement state kept across passes so instruction sizes only grow (guarantees convergence).
#[derive(Debug, Clone, Copy, Default)]
pub struct SizeState {
    pub min_len: usize,
    pub long_disp: bool,
}

/// An encoding error with the column it refers to.
pub type EncErr = (String, u32);

/// The 32-bit register with the same number as a 16- or 64-bit GPR.
pub(super) fn gpr32(r: Register) -> Register {
    let base = if r.is_gpr16() {
        Register::AX
    } else {
        Register::RAX
    };
    Register::values()
        .nth(Register::EAX as usize + (r as usize - base as usize))
        .unwrap_or(r)
}

pub(super) fn fits_signed(v: i64, bits: u32) -> bool {
    let lo = -(1i64 << (bits - 1));
    let hi = (1i64 << (bits - 1)) - 1;
    (lo..=hi).contains(&v)
}

fn fits_either(v: i64, bits: u32) -> bool {
    let lo = -(1i64 << (bits - 1));
    let hi = (1i64 << bits) - 1;
    (lo..=hi).contains(&v)
}

/// Sign-extend the low `bits` of `v`.
fn sext(v: i64, bits: u32) -> i64 {
    let sh = 64 - bits;
    (v << sh) >> sh
}

pub(super) fn is_branch(k: K) -> bool {
    matches!(k, K::br64_1 | K::br64_4)
}

/// Does immediate `i` fit operand kind `k` (ignoring range when `ignore_range`)?
fn imm_fits(k: K, i: &EImm, ignore_range: bool) -> bool {
    if is_branch(k) {
        return match i.jump {
            Some(JumpHint::Short) => k == K::br64_1,
            Some(JumpHint::Near) => k == K::br64_4,
            None => true,
        };
    }
    if i.jump.is_some() {
        return false;
    }
    if i.strict {
        let ok = match i.size {
            Some(1) => matches!(k, K::imm8 | K::imm8sex16 | K::imm8sex32 | K::imm8sex64),
            Some(2) => k == K::imm16,
            Some(4) => matches!(k, K::imm32 | K::imm32sex64),
            Some(8) => k == K::imm64,
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    let v = i.v;
    let known = i.known && !ignore_range;
    match k {
        K::imm8_const_1 => i.known && v == 1,
        K::imm8 => !known || fits_either(v, 8),
        K::imm8sex16 => !known || (fits_either(v, 16) && fits_signed(sext(v, 16), 8)),
        K::imm8sex32 => !known || (fits_either(v, 32) && fits_signed(sext(v, 32), 8)),
        K::imm8sex64 => !known || fits_signed(v, 8),
        K::imm16 => !known || fits_either(v, 16),
        K::imm32 => !known || fits_either(v, 32),
        K::imm32sex64 => !known || fits_signed(v, 32),
        K::imm64 => true,
        _ => false,
    }
}

fn reg_fits(k: K, r: Register) -> bool {
    match k {
        K::r8_or_mem | K::r8_reg | K::r8_opcode => r.is_gpr8(),
        K::r16_or_mem | K::r16_reg | K::r16_rm | K::r16_opcode | K::r16_reg_mem => r.is_gpr16(),
        K::r32_or_mem | K::r32_reg | K::r32_rm | K::r32_opcode | K::r32_reg_mem => r.is_gpr32(),
        K::r64_or_mem | K::r64_reg | K::r64_rm | K::r64_opcode | K::r64_reg_mem => r.is_gpr64(),
        K::seg_reg => r.is_segment_register(),
        K::cr_reg => r.is_cr(),
        K::dr_reg => r.is_dr(),
        K::es => r == Register::ES,
        K::cs => r == Register::CS,
        K::ss => r == Register::SS,
        K::ds => r == Register::DS,
        K::fs => r == Register::FS,
        K::gs => r == Register::GS,
        K::al => r == Register::AL,
        K::cl => r == Register::CL,
        K::ax => r == Register::AX,
        K::dx => r == Register::DX,
        K::eax => r == Register::EAX,
        K::rax => r == Register::RAX,
        _ => false,
    }
}

fn mem_fits(k: K, code: Code, m: &EMem) -> bool {
    let absolute = m.base == Register::None && m.index == Register::None && !m.rip;
    if k == K::mem_offs {
        return m.addr64 && absolute;
    }
    if m.addr64 && absolute {
        return false;
    }
    match k {
        K::mem => true,
        K::r8_or_mem | K::r16_or_mem | K::r32_or_mem | K::r64_or_mem => {
            let sz = code.op_code().memory_size().size() as u32;
            m.size.is_none_or(|s| s == sz)
        }
        _ => false,
    }
}

fn op_fits(k: K, code: Code, op: &EOp, ignore_range: bool) -> bool {
    match op {
        EOp::Reg(r, _) => reg_fits(k, *r),
        EOp::Mem(m) => mem_fits(k, code, m),
        EOp::Imm(i) => {
            if let (Some(2), false) = (i.size, i.strict)
                && !is_branch(k)
                && code.op_code().operand_size() != 16
                && k != K::imm16
            {
                return false;
            }
            imm_fits(k, i, ignore_range)
        }
    }
}

pub(super) fn matches(code: Code, ops: &[EOp], ignore_range: bool) -> bool {
    let kinds = code.op_code().op_kinds();
    kinds.len() == ops.len()
        && kinds
            .iter()
            .zip(ops)
            .all(|(&k, op)| op_fits(k, code, op, ignore_range))
}

/// Build an iced `Instruction` for `code` with operands `ops` (already known to match).
pub(super) fn build(
    code: Code,
    ops: &[EOp],
    long_disp: bool,
    ip: u64,
) -> Result<Instruction, String> {
    let mut ins = Instruction::default();
    ins.set_code(code);
    let kinds = code.op_code().op_kinds();
    let mut seen_imm = false;
    for (i, (op, &k)) in ops.iter().zip(kinds).enumerate() {
        let i = i as u32;
        match op {
            EOp::Reg(r, _) => {
                ins.set_op_kind(i, OpKind::Register);
                ins.set_op_register(i, *r);
            }
            EOp::Mem(m) => {
                ins.set_op_kind(i, OpKind::Memory);
                ins.set_segment_prefix(m.seg);
                ins.set_memory_index_scale(1);
                if k == K::mem_offs {
                    ins.set_memory_displacement64(m.disp as u64);
                    ins.set_memory_displ_size(8);
                } else if m.rip {
                    ins.set_memory_base(Register::RIP);
                    ins.set_memory_displacement64(m.disp as u64);
                    ins.set_memory_displ_size(8);
                } else {
                    if !(fits_signed(m.disp, 32) || m.base.is_gpr32() || m.index.is_gpr32()) {
                        return Err(format!(
                            "displacement {:#x} does not fit in a signed 32-bit field",
                            m.disp
                        ));
                    }
                    ins.set_memory_base(m.base);
                    ins.set_memory_index(m.index);
                    ins.set_memory_index_scale(m.scale);
                    ins.set_memory_displacement64(m.disp as u64);
                    let wide = if m.base.is_gpr32() || m.index.is_gpr32() {
                        4
                    } else {
                        8
                    };
                    let ds = if m.base == Register::None || long_disp {
                        wide
                    } else if m.disp == 0 {
                        0
                    } else if fits_signed(m.disp, 8) {
                        1
                    } else {
                        wide
                    };
                    ins.set_memory_displ_size(ds);
                }
            }
            EOp::Imm(imm) => {
                let v = imm.v;
                if is_branch(k) {
                    ins.set_op_kind(i, OpKind::NearBranch64);
                    // Unresolved forward target: assume "right here" so the short form is tried first.
                    ins.set_near_branch64(if imm.known { v as u64 } else { ip });
                    continue;
                }
                match k {
                    K::imm8 | K::imm8_const_1 if seen_imm => {
                        ins.set_op_kind(i, OpKind::Immediate8_2nd);
                        ins.set_immediate8_2nd(v as u8);
                    }
                    K::imm8 | K::imm8_const_1 => {
                        ins.set_op_kind(i, OpKind::Immediate8);
                        ins.set_immediate8(v as u8);
                    }
                    K::imm8sex16 => {
                        ins.set_op_kind(i, OpKind::Immediate8to16);
                        ins.set_immediate8to16(v as i8 as i16);
                    }
                    K::imm8sex32 => {
                        ins.set_op_kind(i, OpKind::Immediate8to32);
                        ins.set_immediate8to32(v as i8 as i32);
                    }
                    K::imm8sex64 => {
                        ins.set_op_kind(i, OpKind::Immediate8to64);
                        ins.set_immediate8to64(v as i8 as i64);
                    }
                    K::imm16 => {
                        ins.set_op_kind(i, OpKind::Immediate16);
                        ins.set_immediate16(v as u16);
                    }
                    K::imm32 => {
                        ins.set_op_kind(i, OpKind::Immediate32);
                        ins.set_immediate32(v as u32);
                    }
                    K::imm32sex64 => {
                        ins.set_op_kind(i, OpKind::Immediate32to64);
                        ins.set_immediate32to64(v as i32 as i64);
                    }
                    _ => {
                        ins.set_op_kind(i, OpKind::Immediate64);
                        ins.set_immediate64(v as u64);
                    }
                }
                seen_imm = true;
            }
        }
    }
    Ok(ins)
}

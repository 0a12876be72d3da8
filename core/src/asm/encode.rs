//! Instruction selection: match evaluated operands against iced `Code` candidates and encode the shortest.

use super::parser::JumpHint;
use super::table::{normalize, table};
use iced_x86::{
    Code, Encoder, Instruction, OpCodeOperandKind as K, OpKind, Register, RepPrefixKind,
};

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
    fn col(&self) -> u32 {
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
fn gpr32(r: Register) -> Register {
    let base = if r.is_gpr16() {
        Register::AX
    } else {
        Register::RAX
    };
    Register::values()
        .nth(Register::EAX as usize + (r as usize - base as usize))
        .unwrap_or(r)
}

fn fits_signed(v: i64, bits: u32) -> bool {
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

fn is_branch(k: K) -> bool {
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

fn matches(code: Code, ops: &[EOp], ignore_range: bool) -> bool {
    let kinds = code.op_code().op_kinds();
    kinds.len() == ops.len()
        && kinds
            .iter()
            .zip(ops)
            .all(|(&k, op)| op_fits(k, code, op, ignore_range))
}

/// Build an iced `Instruction` for `code` with operands `ops` (already known to match).
fn build(code: Code, ops: &[EOp], long_disp: bool, ip: u64) -> Result<Instruction, String> {
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

fn encode_one(ins: &Instruction, ip: u64) -> Result<Vec<u8>, String> {
    let mut enc = Encoder::new(64);
    enc.encode(ins, ip).map_err(|e| e.to_string())?;
    Ok(enc.take_buffer())
}

fn apply_prefixes(ins: &mut Instruction, prefixes: &[(String, u32)]) {
    for (p, _) in prefixes {
        match p.as_str() {
            "rep" | "repe" | "repz" => ins.set_has_repe_prefix(true),
            "repne" | "repnz" => ins.set_has_repne_prefix(true),
            "lock" => ins.set_has_lock_prefix(true),
            _ => {}
        }
    }
}

/// String instructions without operands (movsb, rep stosq, ...), built with iced's helpers.
fn string_insn(
    name: &str,
    prefixes: &[(String, u32)],
) -> Option<Result<Instruction, iced_x86::IcedError>> {
    let rep = prefixes
        .iter()
        .fold(RepPrefixKind::None, |acc, (p, _)| match p.as_str() {
            "rep" | "repe" | "repz" => RepPrefixKind::Repe,
            "repne" | "repnz" => RepPrefixKind::Repne,
            _ => acc,
        });
    let seg = Register::None;
    let a = 64;
    Some(match name {
        "movsb" => Instruction::with_movsb(a, seg, rep),
        "movsw" => Instruction::with_movsw(a, seg, rep),
        "movsd" => Instruction::with_movsd(a, seg, rep),
        "movsq" => Instruction::with_movsq(a, seg, rep),
        "stosb" => Instruction::with_stosb(a, rep),
        "stosw" => Instruction::with_stosw(a, rep),
        "stosd" => Instruction::with_stosd(a, rep),
        "stosq" => Instruction::with_stosq(a, rep),
        "lodsb" => Instruction::with_lodsb(a, seg, rep),
        "lodsw" => Instruction::with_lodsw(a, seg, rep),
        "lodsd" => Instruction::with_lodsd(a, seg, rep),
        "lodsq" => Instruction::with_lodsq(a, seg, rep),
        "cmpsb" => Instruction::with_cmpsb(a, seg, rep),
        "cmpsw" => Instruction::with_cmpsw(a, seg, rep),
        "cmpsd" => Instruction::with_cmpsd(a, seg, rep),
        "cmpsq" => Instruction::with_cmpsq(a, seg, rep),
        "scasb" => Instruction::with_scasb(a, rep),
        "scasw" => Instruction::with_scasw(a, rep),
        "scasd" => Instruction::with_scasd(a, rep),
        "scasq" => Instruction::with_scasq(a, rep),
        "insb" => Instruction::with_insb(a, rep),
        "insw" => Instruction::with_insw(a, rep),
        "insd" => Instruction::with_insd(a, rep),
        "outsb" => Instruction::with_outsb(a, seg, rep),
        "outsw" => Instruction::with_outsw(a, seg, rep),
        "outsd" => Instruction::with_outsd(a, seg, rep),
        _ => return None,
    })
}

/// SVM instructions whose operands are implicit: strip `rax`/`eax`/`ecx` and pick by address size.
fn svm_implicit(name: &str, ops: &[EOp]) -> Option<Result<Code, String>> {
    let regs: Vec<Register> = ops
        .iter()
        .filter_map(|o| {
            if let EOp::Reg(r, _) = o {
                Some(*r)
            } else {
                None
            }
        })
        .collect();
    if regs.len() != ops.len() {
        return None;
    }
    let (expect64, expect32, c64, c32): (&[Register], &[Register], Code, Code) = match name {
        "vmrun" => (
            &[Register::RAX],
            &[Register::EAX],
            Code::Vmrunq,
            Code::Vmrund,
        ),
        "vmload" => (
            &[Register::RAX],
            &[Register::EAX],
            Code::Vmloadq,
            Code::Vmloadd,
        ),
        "vmsave" => (
            &[Register::RAX],
            &[Register::EAX],
            Code::Vmsaveq,
            Code::Vmsaved,
        ),
        "invlpga" => (
            &[Register::RAX, Register::ECX],
            &[Register::EAX, Register::ECX],
            Code::Invlpgaq,
            Code::Invlpgad,
        ),
        "skinit" => (
            &[Register::EAX],
            &[Register::EAX],
            Code::Skinit,
            Code::Skinit,
        ),
        _ => return None,
    };
    Some(if regs.is_empty() || regs == expect64 {
        Ok(c64)
    } else if regs == expect32 {
        Ok(c32)
    } else {
        Err(format!(
            "`{name}` takes its operands implicitly ({})",
            operand_list(expect64)
        ))
    })
}

fn operand_list(regs: &[Register]) -> String {
    regs.iter()
        .map(|r| super::expr::reg_name(*r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Encode one instruction at `ip`. `text` is the source statement used in messages.
pub fn encode_insn(
    mnemonic: &str,
    mcol: u32,
    prefixes: &[(String, u32)],
    ops: &[EOp],
    ip: u64,
    state: &mut SizeState,
    text: &str,
) -> Result<Vec<u8>, EncErr> {
    let name = normalize(mnemonic);
    if ops.is_empty()
        && let Some(r) = string_insn(&name, prefixes)
    {
        let ins = r.map_err(|e| (e.to_string(), mcol))?;
        let mut ins = ins;
        if prefixes.iter().any(|(p, _)| p == "lock") {
            ins.set_has_lock_prefix(true);
        }
        return encode_one(&ins, ip).map_err(|e| (e, mcol));
    }
    if let Some(r) = svm_implicit(&name, ops) {
        let code = r.map_err(|e| (e, mcol))?;
        let mut ins = Instruction::with(code);
        apply_prefixes(&mut ins, prefixes);
        return encode_one(&ins, ip).map_err(|e| (e, mcol));
    }
    let Some(codes) = table().candidates(&name) else {
        return Err((format!("unknown mnemonic `{mnemonic}`"), mcol));
    };
    let mut ops: Vec<EOp> = ops.to_vec();
    // NASM's two-operand `imul r, imm` means `imul r, r, imm`.
    if name == "imul"
        && ops.len() == 2
        && matches!(ops[1], EOp::Imm(_))
        && matches!(ops[0], EOp::Reg(..))
    {
        ops.insert(1, ops[0].clone());
    }
    // `mov sreg, r16` is encoded without an operand-size prefix, as NASM does.
    if name == "mov"
        && let [EOp::Reg(s, _), EOp::Reg(r, c)] = ops.as_slice()
        && s.is_segment_register()
        && r.is_gpr16()
    {
        ops[1] = EOp::Reg(gpr32(*r), *c);
    }
    // NASM drops the operand-size prefix / REX.W for these selector forms.
    if let [EOp::Reg(r, c)] = ops.as_slice()
        && ((r.is_gpr16() && matches!(name.as_str(), "ltr" | "lldt"))
            || (r.is_gpr64() && name == "sldt"))
    {
        ops[0] = EOp::Reg(gpr32(*r), *c);
    }
    if name == "mov"
        && let [EOp::Reg(r, c), EOp::Reg(s, _)] = ops.as_slice()
        && s.is_segment_register()
        && r.is_gpr64()
    {
        ops[0] = EOp::Reg(gpr32(*r), *c);
    }
    let mut variants: Vec<(Code, Vec<EOp>, u8)> = Vec::new();
    // 16-bit operand-size forms only when an operand is explicitly 16-bit.
    let explicit_16bit = ops.iter().any(|o| match o {
        EOp::Reg(r, _) => r.is_gpr16(),
        EOp::Mem(m) => m.size == Some(2),
        EOp::Imm(i) => i.size == Some(2),
    }) || ops.is_empty();
    let commutative = name == "xchg" || name == "test";
    for &code in codes {
        if !explicit_16bit && code.op_code().operand_size() == 16 {
            continue;
        }
        if matches(code, &ops, false) {
            variants.push((code, ops.clone(), 1));
        }
        if commutative && ops.len() == 2 {
            let sw = vec![ops[1].clone(), ops[0].clone()];
            if matches(code, &sw, false) {
                // NASM encodes `xchg r1, r2` with r2 in ModRM.rm; `test` keeps the written order.
                variants.push((code, sw, if name == "xchg" { 0 } else { 2 }));
            }
        }
    }
    // `xchg eax, eax` must not become 0x90 (which is NOP in 64-bit mode).
    variants.retain(|(c, o, _)| {
        !(*c == Code::Xchg_r32_EAX
            && matches!(
                o.as_slice(),
                [EOp::Reg(Register::EAX, _), EOp::Reg(Register::EAX, _)]
            ))
    });
    // NASM: `mov r64, imm` with an unsigned 32-bit value uses the shorter `mov r32, imm32`.
    if name == "mov"
        && let [EOp::Reg(r, rc), EOp::Imm(i)] = ops.as_slice()
        && r.is_gpr64()
        && !i.strict
        && !i.reloc
        && (!i.known || (0..=u32::MAX as i64).contains(&i.v))
    {
        let small = vec![EOp::Reg(gpr32(*r), *rc), EOp::Imm(i.clone())];
        variants.push((Code::Mov_r32_imm32, small, 2));
    }
    // NASM keeps label-valued `mov r64, imm` at full 64-bit width.
    if name == "mov"
        && let [EOp::Reg(r, _), EOp::Imm(i)] = ops.as_slice()
        && r.is_gpr64()
        && i.reloc
        && !i.strict
    {
        variants.retain(|(c, _, _)| *c == Code::Mov_r64_imm64);
    }
    if variants.is_empty() {
        return Err(no_match_error(codes, &ops, mnemonic, mcol, text));
    }
    // Unsized memory operand: all candidates must agree on the memory size.
    if let Some(pos) = ops
        .iter()
        .position(|o| matches!(o, EOp::Mem(m) if m.size.is_none()))
    {
        let mut sizes: Vec<usize> = variants
            .iter()
            .filter(|(c, _, _)| {
                let k = c.op_code().op_kinds();
                k.get(pos).is_some_and(|k| {
                    matches!(
                        k,
                        K::r8_or_mem | K::r16_or_mem | K::r32_or_mem | K::r64_or_mem
                    )
                })
            })
            .map(|(c, _, _)| c.op_code().memory_size().size())
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        if sizes.len() > 1 {
            if matches!(name.as_str(), "call" | "jmp") {
                variants.retain(|(c, _, _)| c.op_code().operand_size() == 64);
            } else {
                return Err((
                    format!("operand size not specified for `{text}`"),
                    ops[pos].col(),
                ));
            }
        }
    }
    let mut best: Vec<(usize, Code, u8, Vec<u8>)> = Vec::new();
    let mut last_err = String::new();
    for long_disp in [state.long_disp, true] {
        for (code, vops, order) in &variants {
            let ins = build(*code, vops, long_disp, ip).map_err(|e| (e, mcol));
            let mut ins = match ins {
                Ok(i) => i,
                Err(e) => {
                    last_err = e.0;
                    continue;
                }
            };
            apply_prefixes(&mut ins, prefixes);
            match encode_one(&ins, ip) {
                Ok(b) => best.push((b.len(), *code, *order + 4 * imm_rank(*code), b)),
                Err(e) => last_err = e,
            }
        }
        best.sort_by_key(|b| (b.0, b.2, b.1 as u32));
        if best.iter().any(|b| b.0 >= state.min_len) || long_disp {
            break;
        }
        // Everything got shorter than before: retry with forced 32-bit displacements.
        state.long_disp = true;
        best.clear();
    }
    if best.is_empty() {
        return Err((friendly(&last_err, text), mcol));
    }
    let pick = best.iter().position(|b| b.0 >= state.min_len).unwrap_or(0);
    let bytes = best.swap_remove(pick).3;
    state.min_len = state.min_len.max(bytes.len());
    Ok(bytes)
}

/// Among equal lengths NASM prefers sign-extended imm8 forms (`66 83 /0 ib` over `66 05 iw`).
fn imm_rank(code: Code) -> u8 {
    let k = code.op_code().op_kinds();
    if k.iter()
        .any(|k| matches!(k, K::imm8sex16 | K::imm8sex32 | K::imm8sex64))
    {
        0
    } else {
        1
    }
}

fn friendly(err: &str, text: &str) -> String {
    if err.contains("Branch distance") || err.contains("too far") {
        format!("jump target is out of range for `{text}`")
    } else if err.contains("AH, CH, DH, BH") || err.contains("REX") {
        format!("`ah`/`bh`/`ch`/`dh` cannot be used with a REX prefix in `{text}`")
    } else {
        format!("cannot encode `{text}`: {err}")
    }
}

fn no_match_error(codes: &[Code], ops: &[EOp], mnemonic: &str, mcol: u32, text: &str) -> EncErr {
    // Would it match if immediates were allowed to be any size? Then report the immediate.
    if let Some(code) = codes.iter().find(|&&c| matches(c, ops, true)) {
        let kinds = code.op_code().op_kinds();
        for (op, k) in ops.iter().zip(kinds) {
            if let EOp::Imm(i) = op {
                if is_branch(*k) {
                    return (format!("jump target is out of range for `{text}`"), i.col);
                }
                let what = match k {
                    K::imm8 | K::imm8_const_1 => "8 bits".to_string(),
                    K::imm16 => "16 bits".to_string(),
                    K::imm32sex64 | K::imm8sex64 => "a sign-extended 32-bit immediate".to_string(),
                    _ => "32 bits".to_string(),
                };
                let widest = codes
                    .iter()
                    .filter(|c| matches(**c, ops, true))
                    .flat_map(|c| c.op_code().op_kinds().iter().copied())
                    .any(|k| k == K::imm32sex64);
                let what = if widest {
                    "a sign-extended 32-bit immediate".to_string()
                } else {
                    what
                };
                return (format!("immediate {} does not fit in {what}", i.v), i.col);
            }
        }
    }
    if ops.is_empty() {
        return (format!("`{mnemonic}` needs operands"), mcol);
    }
    (
        format!("invalid combination of operands for `{text}`"),
        mcol,
    )
}

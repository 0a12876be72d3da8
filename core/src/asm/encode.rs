//! Instruction selection: pick the shortest matching iced `Code` (NASM's choice) and encode it.

use super::matching::{EOp, EncErr, SizeState, build, gpr32, is_branch, matches};
use super::table::{normalize, table};
use iced_x86::{Code, Encoder, Instruction, OpCodeOperandKind as K, Register, RepPrefixKind};
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

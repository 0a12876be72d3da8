//! Mnemonic -> candidate iced-x86 `Code`s, built once from iced's OpCodeInfo tables, plus NASM aliases.

use iced_x86::{Code, EncodingKind, MemorySize, OpCodeOperandKind as K};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Candidate codes for every NASM mnemonic we accept, in iced's `Code` order.
pub struct Table {
    by_name: HashMap<String, Vec<Code>>,
}

static TABLE: OnceLock<Table> = OnceLock::new();

pub fn table() -> &'static Table {
    TABLE.get_or_init(build)
}

fn usable(code: Code) -> bool {
    let oc = code.op_code();
    if oc.encoding() != EncodingKind::Legacy || !oc.mode64() || !oc.is_instruction() {
        return false;
    }
    if matches!(
        oc.memory_size(),
        MemorySize::SegPtr16
            | MemorySize::SegPtr32
            | MemorySize::SegPtr64
            | MemorySize::Bound16_WordWord
    ) {
        return false;
    }
    // Only general-purpose forms: operand kinds the parser can produce.
    oc.op_kinds().iter().all(|k| {
        matches!(
            k,
            K::mem_offs
                | K::mem
                | K::r8_or_mem
                | K::r16_or_mem
                | K::r32_or_mem
                | K::r64_or_mem
                | K::r8_reg
                | K::r8_opcode
                | K::r16_reg
                | K::r16_reg_mem
                | K::r16_rm
                | K::r16_opcode
                | K::r32_reg
                | K::r32_reg_mem
                | K::r32_rm
                | K::r32_opcode
                | K::r64_reg
                | K::r64_reg_mem
                | K::r64_rm
                | K::r64_opcode
                | K::seg_reg
                | K::cr_reg
                | K::dr_reg
                | K::es
                | K::cs
                | K::ss
                | K::ds
                | K::fs
                | K::gs
                | K::al
                | K::cl
                | K::ax
                | K::dx
                | K::eax
                | K::rax
                | K::imm8
                | K::imm8_const_1
                | K::imm8sex16
                | K::imm8sex32
                | K::imm8sex64
                | K::imm16
                | K::imm32
                | K::imm32sex64
                | K::imm64
                | K::seg_rSI
                | K::es_rDI
                | K::seg_rDI
                | K::seg_rBX_al
                | K::br64_1
                | K::br64_4
        )
    })
}

fn build() -> Table {
    let mut by_name: HashMap<String, Vec<Code>> = HashMap::new();
    for code in Code::values() {
        if !usable(code) {
            continue;
        }
        let name = format!("{:?}", code.op_code().mnemonic()).to_ascii_lowercase();
        // NASM encodes `sal` as `shl` (/4); iced's Sal codes are the undocumented /6 alias.
        if name == "sal" {
            continue;
        }
        by_name.entry(name).or_default().push(code);
    }
    Table { by_name }
}

impl Table {
    pub fn candidates(&self, name: &str) -> Option<&[Code]> {
        self.by_name.get(name).map(|v| v.as_slice())
    }
}

/// NASM condition-code aliases -> iced's canonical suffix.
fn canonical_cc(cc: &str) -> Option<&'static str> {
    Some(match cc {
        "o" => "o",
        "no" => "no",
        "b" | "c" | "nae" => "b",
        "ae" | "nb" | "nc" => "ae",
        "e" | "z" => "e",
        "ne" | "nz" => "ne",
        "be" | "na" => "be",
        "a" | "nbe" => "a",
        "s" => "s",
        "ns" => "ns",
        "p" | "pe" => "p",
        "np" | "po" => "np",
        "l" | "nge" => "l",
        "ge" | "nl" => "ge",
        "le" | "ng" => "le",
        "g" | "nle" => "g",
        _ => return None,
    })
}

/// Map a (lowercase) NASM mnemonic to the name iced uses.
pub fn normalize(m: &str) -> String {
    let fixed = match m {
        "sal" => "shl",
        "icebp" | "int01" => "int1",
        "int03" => "int3",
        "pushf" => "pushfq",
        "popf" => "popfq",
        "pushfw" => "pushf",
        "popfw" => "popf",
        "iret" => "iretd",
        "retn" | "retq" => "ret",
        "loopz" => "loope",
        "loopnz" => "loopne",
        "sysretd" => "sysret",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    for prefix in ["cmov", "set", "j"] {
        if let Some(cc) = m.strip_prefix(prefix)
            && let Some(c) = canonical_cc(cc)
        {
            return format!("{prefix}{c}");
        }
    }
    m.to_string()
}

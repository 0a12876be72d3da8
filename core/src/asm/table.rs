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
    !oc.op_kinds().iter().any(|k| {
        matches!(
            k,
            K::br16_1
                | K::br16_2
                | K::br32_1
                | K::br32_4
                | K::farbr2_2
                | K::farbr4_2
                | K::mem_mpx
                | K::mem_mib
                | K::sibmem
                | K::xbegin_2
                | K::xbegin_4
                | K::bnd_reg
                | K::bnd_or_mem_mpx
                | K::r32_or_mem_mpx
                | K::r64_or_mem_mpx
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

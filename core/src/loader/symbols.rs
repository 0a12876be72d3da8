//! ELF32 symbols (`.symtab` and its string table): the names a debugger shows for addresses of a
//! loaded kernel. Read with bounds checks like the rest of the loader; a file without section
//! headers or without a symbol table simply has no symbols.
//!
//! Offsets are the System V ABI's: e_shoff at 32, e_shentsize at 46, e_shnum at 48 of the file
//! header; a 40-byte section header (sh_type at 4, sh_offset at 16, sh_size at 20, sh_link at 24,
//! sh_entsize at 36); a 16-byte Elf32_Sym (st_name 0, st_value 4, st_size 8, st_info 12,
//! st_shndx 14). `nm` lists the same symbols (its T/t, D/d, B/b, R/r letters).

use super::LoaderError;
use super::elf::{EHDR_SIZE, u32_at};

/// Size of one ELF32 section header.
pub const SHDR_SIZE: usize = 40;
/// Size of one Elf32_Sym.
pub const SYM_SIZE: usize = 16;
/// sh_type of a symbol table.
pub const SHT_SYMTAB: u32 = 2;
/// st_shndx of an undefined symbol.
pub const SHN_UNDEF: u16 = 0;
/// First reserved section index (SHN_LORESERVE: SHN_ABS, SHN_COMMON, …).
pub const SHN_LORESERVE: u16 = 0xff00;
/// Longest name kept (longer names are cut, so that a hostile string table cannot make every
/// symbol carry megabytes).
pub const MAX_NAME: usize = 256;

/// What a symbol names (STT_* in st_info's low nibble).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// STT_NOTYPE: an assembler label (kvm-unit-tests' `start`, `ap_start32`, …).
    Label,
    /// STT_OBJECT: data.
    Object,
    /// STT_FUNC: a function.
    Func,
}

/// One defined symbol with an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub addr: u64,
    /// st_size (0 for most assembler labels).
    pub size: u64,
    pub name: String,
    pub kind: SymbolKind,
    /// STB_GLOBAL or STB_WEAK (nm's upper-case letters).
    pub global: bool,
}

impl Symbol {
    /// Whether the symbol names code (a function or a label), where a listing starts decoding.
    pub fn is_code(&self) -> bool {
        self.kind != SymbolKind::Object
    }
}

fn u16_at(file: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([file[off], file[off + 1]])
}

/// A file range that must lie inside the file.
#[allow(clippy::cast_possible_truncation, reason = "checked against the file's length first")]
fn range(file: &[u8], what: &'static str, offset: u32, size: u64) -> Result<std::ops::Range<usize>, LoaderError> {
    let end = offset as u64 + size;
    if end > file.len() as u64 {
        return Err(LoaderError::Truncated { what, offset: offset as u64, need: size, len: file.len() as u64 });
    }
    // end ≤ file.len(), a usize.
    Ok(offset as usize..offset as usize + size as usize)
}

/// The defined FUNC, OBJECT and NOTYPE symbols of an ELF32 file, sorted by address (then name),
/// without section, file and absolute symbols. A file with no section headers or no `.symtab`
/// gives an empty list; a table that runs past the file gives a named error.
pub fn read(file: &[u8]) -> Result<Vec<Symbol>, LoaderError> {
    if file.len() < EHDR_SIZE {
        return Ok(Vec::new());
    }
    let shoff = u32_at(file, 32);
    let shentsize = u16_at(file, 46);
    let shnum = u16_at(file, 48);
    if shoff == 0 || shnum == 0 {
        return Ok(Vec::new());
    }
    if shentsize as usize != SHDR_SIZE {
        return Err(LoaderError::BadElf { field: "e_shentsize", offset: 46, value: shentsize as u64, want: "40" });
    }
    let table = range(file, "section header table", shoff, shnum as u64 * SHDR_SIZE as u64)?;
    let shdr = |i: usize| table.start + i * SHDR_SIZE;
    let Some(sym_idx) = (0..shnum as usize).find(|&i| u32_at(file, shdr(i) + 4) == SHT_SYMTAB) else {
        return Ok(Vec::new());
    };
    let sh = shdr(sym_idx);
    let entsize = u32_at(file, sh + 36);
    if entsize as usize != SYM_SIZE {
        return Err(LoaderError::BadElf { field: "sh_entsize of .symtab", offset: sh as u64 + 36, value: entsize as u64, want: "16" });
    }
    let syms = range(file, ".symtab", u32_at(file, sh + 16), u32_at(file, sh + 20) as u64)?;
    let link = u32_at(file, sh + 24);
    if link >= shnum as u32 {
        return Err(LoaderError::BadElf {
            field: "sh_link of .symtab",
            offset: sh as u64 + 24,
            value: link as u64,
            want: "the index of its string table",
        });
    }
    let st = shdr(link as usize);
    let strtab = &file[range(file, ".strtab", u32_at(file, st + 16), u32_at(file, st + 20) as u64)?];
    let mut out = Vec::new();
    for at in syms.step_by(SYM_SIZE) {
        if at + SYM_SIZE > file.len() {
            break;
        }
        let info = file[at + 12];
        let shndx = u16_at(file, at + 14);
        let kind = match info & 0xf {
            0 => SymbolKind::Label,
            1 => SymbolKind::Object,
            2 => SymbolKind::Func,
            _ => continue, // STT_SECTION, STT_FILE, …
        };
        if shndx == SHN_UNDEF || shndx >= SHN_LORESERVE {
            continue;
        }
        let Some(name) = name_at(strtab, u32_at(file, at) as usize) else { continue };
        if name.is_empty() {
            continue;
        }
        let bind = info >> 4;
        out.push(Symbol { addr: u32_at(file, at + 4) as u64, size: u32_at(file, at + 8) as u64, name, kind, global: bind == 1 || bind == 2 });
    }
    out.sort_by(|a, b| a.addr.cmp(&b.addr).then_with(|| a.name.cmp(&b.name)));
    out.dedup_by(|a, b| a.addr == b.addr && a.name == b.name);
    Ok(out)
}

/// The NUL-terminated name at `off` in the string table (cut at [`MAX_NAME`] bytes; bytes that
/// are not printable ASCII are shown as `?`, so a name can never carry a terminal escape).
fn name_at(strtab: &[u8], off: usize) -> Option<String> {
    let bytes = strtab.get(off..)?;
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let name = &bytes[..end.min(MAX_NAME)];
    Some(name.iter().map(|&b| if (0x21..0x7f).contains(&b) { b as char } else { '?' }).collect())
}

/// The code symbol that contains `addr`, and the offset into it: the last function or label at
/// or below `addr` (a function with a size only while `addr` lies inside it). `symbols` sorted
/// as [`read`] gives them.
pub fn containing(symbols: &[Symbol], addr: u64) -> Option<(&Symbol, u64)> {
    let i = symbols.partition_point(|s| s.addr <= addr);
    let s = symbols[..i].iter().rev().find(|s| s.is_code())?;
    let off = addr - s.addr;
    (s.size == 0 || off < s.size).then_some((s, off))
}

/// "test_run+0x14" (or "test_run" at its first byte) for `addr`, when a code symbol contains it.
pub fn describe(symbols: &[Symbol], addr: u64) -> Option<String> {
    containing(symbols, addr).map(|(s, off)| if off == 0 { s.name.clone() } else { format!("{}+{off:#x}", s.name) })
}

//! ELF32 (i386) executables: the file header and the PT_LOAD program headers, read with bounds
//! checks so that a short or corrupt file gives a named error with its offset, never a panic.
//!
//! Field offsets are those of the System V ABI's ELF32 header (52 bytes) and program header
//! (32 bytes), little-endian (EI_DATA = ELFDATA2LSB), as `readelf -lh` prints them.

use super::LoaderError;

/// `\x7fELF`.
pub const ELF_MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
/// Size of the ELF32 file header.
pub const EHDR_SIZE: usize = 52;
/// Size of one ELF32 program header.
pub const PHDR_SIZE: usize = 32;
/// EI_CLASS value of a 32-bit object.
pub const ELFCLASS32: u8 = 1;
/// EI_DATA value of a little-endian object.
pub const ELFDATA2LSB: u8 = 1;
/// e_type of an executable.
pub const ET_EXEC: u16 = 2;
/// e_machine of Intel 80386.
pub const EM_386: u16 = 3;
/// p_type of a loadable segment.
pub const PT_LOAD: u32 = 1;

/// What the file header says (the fields a loader needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfHeader {
    pub entry: u32,
    pub phoff: u32,
    pub phnum: u16,
}

/// One PT_LOAD program header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadSegment {
    /// Index among all program headers (as `readelf -l` numbers them).
    pub index: usize,
    pub offset: u32,
    pub vaddr: u32,
    pub paddr: u32,
    pub filesz: u32,
    pub memsz: u32,
    /// PF_X = 1, PF_W = 2, PF_R = 4.
    pub flags: u32,
}

impl LoadSegment {
    /// "R E", "RW " as `readelf -l` shows the flags.
    pub fn flags_text(&self) -> String {
        let f = |bit: u32, c: char| if self.flags & bit != 0 { c } else { ' ' };
        format!("{}{}{}", f(4, 'R'), f(2, 'W'), f(1, 'E'))
    }
}

/// True when `file` starts with the ELF magic.
pub fn is_elf(file: &[u8]) -> bool {
    file.starts_with(&ELF_MAGIC)
}

fn u16_at(file: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([file[off], file[off + 1]])
}

pub(crate) fn u32_at(file: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([file[off], file[off + 1], file[off + 2], file[off + 3]])
}

/// Reads the header of an ELF32 little-endian i386 executable.
pub fn header(file: &[u8]) -> Result<ElfHeader, LoaderError> {
    if !is_elf(file) {
        return Err(LoaderError::NotElf);
    }
    if file.len() < EHDR_SIZE {
        return Err(LoaderError::Truncated {
            what: "ELF header",
            offset: 0,
            need: EHDR_SIZE as u64,
            len: file.len() as u64,
        });
    }
    let bad = |field: &'static str, offset: u64, value: u64, want: &'static str| {
        Err(LoaderError::BadElf { field, offset, value, want })
    };
    if file[4] != ELFCLASS32 {
        return bad("EI_CLASS", 4, file[4] as u64, "1 (ELF32; a multiboot v1 kernel is a 32-bit image)");
    }
    if file[5] != ELFDATA2LSB {
        return bad("EI_DATA", 5, file[5] as u64, "1 (little-endian)");
    }
    let e_type = u16_at(file, 16);
    if e_type != ET_EXEC {
        return bad("e_type", 16, e_type as u64, "2 (ET_EXEC)");
    }
    let machine = u16_at(file, 18);
    if machine != EM_386 {
        return bad("e_machine", 18, machine as u64, "3 (EM_386)");
    }
    let phentsize = u16_at(file, 42);
    let phnum = u16_at(file, 44);
    if phnum > 0 && phentsize as usize != PHDR_SIZE {
        return bad("e_phentsize", 42, phentsize as u64, "32");
    }
    let phoff = u32_at(file, 28);
    let end = phoff as u64 + phnum as u64 * PHDR_SIZE as u64;
    if end > file.len() as u64 {
        return Err(LoaderError::Truncated {
            what: "program header table",
            offset: phoff as u64,
            need: end - phoff as u64,
            len: file.len() as u64,
        });
    }
    Ok(ElfHeader { entry: u32_at(file, 24), phoff, phnum })
}

/// The PT_LOAD program headers with a non-zero memory size, each checked against the file:
/// p_filesz ≤ p_memsz and the file bytes present.
pub fn load_segments(file: &[u8], h: &ElfHeader) -> Result<Vec<LoadSegment>, LoaderError> {
    let mut out = Vec::new();
    for index in 0..h.phnum as usize {
        let at = h.phoff as usize + index * PHDR_SIZE;
        if u32_at(file, at) != PT_LOAD {
            continue;
        }
        let s = LoadSegment {
            index,
            offset: u32_at(file, at + 4),
            vaddr: u32_at(file, at + 8),
            paddr: u32_at(file, at + 12),
            filesz: u32_at(file, at + 16),
            memsz: u32_at(file, at + 20),
            flags: u32_at(file, at + 24),
        };
        if s.filesz > s.memsz {
            return Err(LoaderError::BadSegment {
                index,
                phdr_offset: at as u64,
                why: format!("p_filesz {:#x} exceeds p_memsz {:#x}", s.filesz, s.memsz),
            });
        }
        let file_end = s.offset as u64 + s.filesz as u64;
        if file_end > file.len() as u64 {
            return Err(LoaderError::Truncated {
                what: "segment data",
                offset: s.offset as u64,
                need: s.filesz as u64,
                len: file.len() as u64,
            });
        }
        if s.memsz == 0 {
            continue;
        }
        out.push(s);
    }
    if out.is_empty() {
        return Err(LoaderError::NoLoadSegment { phnum: h.phnum });
    }
    Ok(out)
}

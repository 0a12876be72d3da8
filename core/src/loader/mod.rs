//! Boot images: what a boot loader puts in RAM and the CPU state it leaves, as plain values that
//! the machine applies (this module builds no machine and names none).
//!
//! Two formats (reference §13): a flat CONTRACT program ([`flat`]: raw bytes at 0x100000, entered
//! in 64-bit mode; the machine builds that state itself) and a multiboot v1 ELF32 kernel
//! ([`multiboot`]: PT_LOAD segments, a zeroed BSS, the multiboot information structure, entry in
//! 32-bit protected mode). [`classify`] tells them apart by the ELF magic. [`symbols`] reads an
//! ELF's symbol table for the views (the loader itself needs none).

pub(crate) mod elf;
pub mod flat;
pub mod multiboot;
pub mod symbols;

pub use multiboot::{BootConfig, MultibootInfo};

/// The two kinds of program file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Raw bytes (CONTRACT §1).
    Flat,
    /// An ELF file: it must be a multiboot v1 kernel ([`multiboot::load`] says why not).
    Elf,
}

/// Which loader a program file is for: an ELF file (by its magic) or a flat program (anything else).
pub fn classify(file: &[u8]) -> Format {
    if elf::is_elf(file) { Format::Elf } else { Format::Flat }
}

/// A segment register at entry, with its hidden part in the VMCB attribute packing the CPU uses
/// (reference §1.3): descriptor bits 40..47 in attrib[7:0], bits 52..55 (AVL, L, D/B, G) in
/// attrib[11:8].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentState {
    pub selector: u16,
    pub base: u64,
    pub limit: u32,
    pub attrib: u16,
}

/// The CPU state a loader leaves at the kernel's first instruction. Registers not named here
/// (ECX, EDX, ESI, EDI, EBP, DR*, the other MSRs) are 0 / their reset values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryState {
    pub eip: u32,
    pub eax: u32,
    pub ebx: u32,
    pub esp: u32,
    pub eflags: u32,
    pub cr0: u32,
    pub cr3: u32,
    pub cr4: u32,
    pub efer: u64,
    pub cs: SegmentState,
    pub ds: SegmentState,
    pub es: SegmentState,
    pub fs: SegmentState,
    pub gs: SegmentState,
    pub ss: SegmentState,
    /// (base, limit)
    pub gdtr: (u64, u16),
    /// (base, limit)
    pub idtr: (u64, u16),
    /// The A20 gate: on means physical address bit 20 is not masked.
    pub a20: bool,
}

/// What the machine must do to start a kernel: write each chunk, zero each range, then enter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootImage {
    /// (physical address, bytes) to write: the segments' file bytes, then the boot information block.
    pub chunks: Vec<(u64, Vec<u8>)>,
    /// (physical address, length) to zero: each segment's p_memsz beyond p_filesz (its BSS).
    pub zero: Vec<(u64, u64)>,
    pub entry: EntryState,
    /// The PT_LOAD segments as the ELF program headers give them.
    pub segments: Vec<elf::LoadSegment>,
    /// File offset and flags of the multiboot header.
    pub header_offset: u64,
    pub header_flags: u32,
    /// The multiboot information structure (also in `chunks`, at `entry.ebx`).
    pub info: MultibootInfo,
    /// RAM size the image was laid out for.
    pub ram_bytes: u64,
}

impl BootImage {
    /// Lowest and highest physical address (exclusive) the segments occupy.
    pub fn span(&self) -> (u64, u64) {
        let lo = self.segments.iter().map(|s| s.paddr as u64).min().unwrap_or(0);
        let hi = self.segments.iter().map(|s| s.paddr as u64 + s.memsz as u64).max().unwrap_or(0);
        (lo, hi)
    }
}

/// Why a file cannot be loaded. Offsets are file offsets, addresses physical; each message names both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoaderError {
    /// The file does not start with `\x7fELF`.
    NotElf,
    /// A structure runs past the end of the file.
    Truncated { what: &'static str, offset: u64, need: u64, len: u64 },
    /// An ELF header field has a value this loader does not take.
    BadElf { field: &'static str, offset: u64, value: u64, want: &'static str },
    /// A program header is inconsistent.
    BadSegment { index: usize, phdr_offset: u64, why: String },
    /// No PT_LOAD header with a non-zero size.
    NoLoadSegment { phnum: u16 },
    /// An ELF without the multiboot magic in its first `searched` bytes (32-bit aligned).
    NotMultiboot { searched: u64 },
    /// The magic is there but magic + flags + checksum is not 0 mod 2^32.
    BadChecksum { offset: u64, flags: u32, checksum: u32 },
    /// The magic is there but the header it starts needs more bytes than the file (or the
    /// 8 KiB search window) has.
    TruncatedHeader { offset: u64, need: u64, have: u64 },
    /// Header flags this loader cannot honour (the spec says the loader must then refuse).
    UnsupportedFlags { offset: u64, flags: u32, unsupported: u32, why: &'static str },
    /// A segment does not lie inside RAM.
    SegmentOutsideRam { index: usize, paddr: u64, end: u64, ram: u64 },
    /// Two segments share physical addresses.
    SegmentsOverlap { first: usize, second: usize, at: u64 },
    /// e_entry lies in no segment.
    EntryOutsideSegments { entry: u32 },
    /// A segment covers the boot information block.
    BootInfoOverlap { index: usize, paddr: u64, end: u64, info: u64, info_end: u64 },
    /// The command line does not fit below the kernel and the end of conventional memory.
    CmdlineTooLong { len: u64, max: u64 },
    /// The command line contains a NUL byte (it is passed as a C string).
    CmdlineNul { at: usize },
    /// RAM is smaller than the boot information block needs.
    RamTooSmall { ram: u64, need: u64 },
}

impl std::fmt::Display for LoaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use LoaderError::*;
        match self {
            NotElf => write!(f, "not an ELF file (no \\x7fELF at offset 0)"),
            Truncated { what, offset, need, len } => {
                write!(
                    f,
                    "truncated: the {what} at file offset {offset:#x} needs {need:#x} bytes but the file has {len:#x}"
                )
            }
            BadElf { field, offset, value, want } => {
                write!(f, "ELF {field} at file offset {offset:#x} is {value:#x}; expected {want}")
            }
            BadSegment { index, phdr_offset, why } => {
                write!(f, "program header {index} (file offset {phdr_offset:#x}): {why}")
            }
            NoLoadSegment { phnum } => {
                write!(f, "none of the {phnum} program headers is a PT_LOAD segment with a size")
            }
            NotMultiboot { searched } => write!(
                f,
                "an ELF file but not a multiboot v1 kernel: no header magic 0x1BADB002 in its first {searched:#x} bytes"
            ),
            BadChecksum { offset, flags, checksum } => write!(
                f,
                "multiboot header at file offset {offset:#x}: bad checksum {checksum:#010x} (flags {flags:#010x}; \
                 magic + flags + checksum must be 0 mod 2^32, so the checksum should be {:#010x})",
                0u32.wrapping_sub(multiboot::HEADER_MAGIC).wrapping_sub(*flags)
            ),
            TruncatedHeader { offset, need, have } => write!(
                f,
                "multiboot header at file offset {offset:#x} is truncated: it needs {need} bytes, {have} are there"
            ),
            UnsupportedFlags { offset, flags, unsupported, why } => write!(
                f,
                "multiboot header at file offset {offset:#x}: flags {flags:#010x} ask for {unsupported:#x}, {why}"
            ),
            SegmentOutsideRam { index, paddr, end, ram } => write!(
                f,
                "segment {index} ({paddr:#x}..{end:#x}) lies outside RAM (0..{ram:#x}, {} MiB); give more --mem",
                ram >> 20
            ),
            SegmentsOverlap { first, second, at } => write!(f, "segments {first} and {second} overlap at {at:#x}"),
            EntryOutsideSegments { entry } => write!(f, "the entry point {entry:#x} lies in no loaded segment"),
            BootInfoOverlap { index, paddr, end, info, info_end } => write!(
                f,
                "segment {index} ({paddr:#x}..{end:#x}) covers the multiboot information block at {info:#x}..{info_end:#x}"
            ),
            CmdlineTooLong { len, max } => {
                write!(f, "the command line is {len} bytes; at most {max} fit below the kernel")
            }
            CmdlineNul { at } => write!(f, "the command line holds a NUL byte at {at}"),
            RamTooSmall { ram, need } => {
                write!(f, "RAM of {ram:#x} bytes is smaller than the {need:#x} bytes the boot information needs")
            }
        }
    }
}

impl std::error::Error for LoaderError {}

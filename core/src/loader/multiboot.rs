//! Multiboot v1 kernels (reference §13.1–§13.3): find and check the header, take the PT_LOAD
//! segments, lay out the multiboot information structure, and describe the entry state.
//!
//! Only ELF kernels are taken (header flag 16, the "a.out kludge" address fields, is refused).
//! The boot information block goes at 0x9000 (where QEMU's multiboot loader puts its memory map
//! and information structure), below the kernel and inside conventional memory.
#![allow(clippy::cast_possible_truncation, reason = "multiboot v1 is a 32-bit protocol: its structures hold 32-bit addresses, all placed below 4 GiB by this loader")]

use super::elf::{self, LoadSegment, u32_at};
use super::{BootImage, EntryState, LoaderError, SegmentState};

/// The header's magic field.
pub const HEADER_MAGIC: u32 = 0x1BAD_B002;
/// What a multiboot loader leaves in EAX.
pub const BOOTLOADER_MAGIC: u32 = 0x2BAD_B002;
/// The header lies within the first 8192 bytes of the image, 32-bit aligned.
pub const SEARCH_BYTES: usize = 8192;

/// Header flags: bit 0 page-align modules, bit 1 memory information wanted, bit 2 video mode
/// wanted, bit 16 the address fields are valid.
pub const HDR_PAGE_ALIGN: u32 = 1 << 0;
pub const HDR_MEMORY_INFO: u32 = 1 << 1;
pub const HDR_VIDEO_MODE: u32 = 1 << 2;
pub const HDR_ADDRESS_FIELDS: u32 = 1 << 16;

/// Information structure flags: bit 0 mem_lower/mem_upper, bit 2 cmdline, bit 6 mmap_*,
/// bit 9 boot_loader_name.
pub const MBI_MEM: u32 = 1 << 0;
pub const MBI_CMDLINE: u32 = 1 << 2;
pub const MBI_MMAP: u32 = 1 << 6;
pub const MBI_LOADER_NAME: u32 = 1 << 9;

/// Where the boot information block starts, with the memory map (QEMU's MULTIBOOT_STRUCT_ADDR,
/// where QEMU 7.2 leaves `mmap_addr`).
pub const BOOT_INFO_BASE: u64 = 0x9000;
/// Where the information structure goes (QEMU's ADDR_MBI = 0x9000 + 0x500: EBX under QEMU 7.2).
pub const MBI_ADDR: u64 = 0x9500;
/// The initial ESP: just below the block (QEMU leaves a usable stack in low memory too).
pub const ENTRY_ESP: u32 = BOOT_INFO_BASE as u32;
/// End of conventional memory (what mem_lower = 640 KiB describes): the block stays below it.
pub const CONVENTIONAL_END: u64 = 0xA0000;
/// Upper memory starts at 1 MiB.
pub const UPPER_BASE: u64 = 0x10_0000;
/// Size of the information structure as written (fields up to the VBE ones, offset 88).
pub const MBI_SIZE: usize = 88;
/// The name written at boot_loader_name.
pub const LOADER_NAME: &str = "nestscope";

/// Selectors of the flat segments at entry (those of QEMU's multiboot option ROM and of
/// kvm-unit-tests' own 32-bit GDT): code 0x08, data 0x10.
pub const CODE_SELECTOR: u16 = 0x08;
pub const DATA_SELECTOR: u16 = 0x10;
/// Their descriptors (base 0, limit 0xFFFFF pages, G=1, D/B=1, present, DPL 0, accessed):
/// 32-bit execute/read code, and read/write data.
pub const CODE_DESCRIPTOR: u64 = 0x00CF_9B00_0000_FFFF;
pub const DATA_DESCRIPTOR: u64 = 0x00CF_9300_0000_FFFF;

/// CR0.PE and CR0.ET (ET reads as 1 on every processor since the 486).
pub const CR0_PE: u32 = 1 << 0;
pub const CR0_ET: u32 = 1 << 4;

/// What the loader is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootConfig {
    /// RAM size in bytes.
    pub ram_bytes: u64,
    /// The program name, the command line's first word (QEMU passes the kernel's file name;
    /// kvm-unit-tests skips that word as argv[0]). Whitespace in it becomes `_`.
    pub progname: String,
    /// The rest of the command line (`--append`); empty for none.
    pub append: String,
}

/// One memory-map entry (type 1 = available RAM).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmapEntry {
    pub base: u64,
    pub length: u64,
    pub kind: u32,
}

/// The multiboot information structure the kernel finds at EBX, and where its parts are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultibootInfo {
    pub addr: u64,
    pub flags: u32,
    /// KiB from 0 (at most 640).
    pub mem_lower: u32,
    /// KiB from 1 MiB up to the first hole (the end of RAM, or 4 GiB).
    pub mem_upper: u32,
    pub cmdline_addr: u64,
    pub cmdline: String,
    pub mmap_addr: u64,
    pub mmap_length: u32,
    pub mmap: Vec<MmapEntry>,
    pub loader_name_addr: u64,
    pub gdt_addr: u64,
    /// One past the last byte of the block (GDT, structure, map, name, command line).
    pub end: u64,
}

/// The header found: its file offset and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub offset: u64,
    pub flags: u32,
}

/// Finds the multiboot header in the first 8 KiB: the first 32-bit aligned magic whose checksum
/// holds. A magic with a bad checksum is reported only when no valid header follows it.
pub fn find_header(file: &[u8]) -> Result<Header, LoaderError> {
    let window = file.len().min(SEARCH_BYTES);
    let mut first_bad = None;
    let mut off = 0;
    while off + 4 <= window {
        if u32_at(file, off) == HEADER_MAGIC {
            if off + 12 > window {
                return Err(first_bad.unwrap_or(LoaderError::TruncatedHeader {
                    offset: off as u64,
                    need: 12,
                    have: (window - off) as u64,
                }));
            }
            let flags = u32_at(file, off + 4);
            let checksum = u32_at(file, off + 8);
            if HEADER_MAGIC.wrapping_add(flags).wrapping_add(checksum) == 0 {
                return check_flags(Header { offset: off as u64, flags }, window);
            }
            first_bad.get_or_insert(LoaderError::BadChecksum { offset: off as u64, flags, checksum });
        }
        off += 4;
    }
    Err(first_bad.unwrap_or(LoaderError::NotMultiboot { searched: window as u64 }))
}

fn check_flags(h: Header, window: usize) -> Result<Header, LoaderError> {
    let need = if h.flags & HDR_VIDEO_MODE != 0 {
        48
    } else if h.flags & HDR_ADDRESS_FIELDS != 0 {
        32
    } else {
        12
    };
    let have = (window as u64).saturating_sub(h.offset);
    if have < need {
        return Err(LoaderError::TruncatedHeader { offset: h.offset, need, have });
    }
    let unsupported = |bits: u32, why: &'static str| {
        Err(LoaderError::UnsupportedFlags { offset: h.offset, flags: h.flags, unsupported: bits, why })
    };
    if h.flags & HDR_ADDRESS_FIELDS != 0 {
        return unsupported(HDR_ADDRESS_FIELDS, "the a.out address fields; only ELF program headers are loaded");
    }
    if h.flags & HDR_VIDEO_MODE != 0 {
        return unsupported(HDR_VIDEO_MODE, "a video mode; the machine has no display");
    }
    // Bits 0-15 are requirements: one this loader does not know must refuse the image.
    let unknown = h.flags & 0xFFFF & !(HDR_PAGE_ALIGN | HDR_MEMORY_INFO | HDR_VIDEO_MODE);
    if unknown != 0 {
        return unsupported(unknown, "requirements this loader does not know (bits 0-15 must be honoured)");
    }
    Ok(h)
}

/// Loads a multiboot v1 ELF32 kernel for a machine with `cfg.ram_bytes` of RAM.
pub fn load(file: &[u8], cfg: &BootConfig) -> Result<BootImage, LoaderError> {
    let eh = elf::header(file)?;
    let header = find_header(file)?;
    let segments = elf::load_segments(file, &eh)?;
    let ram = cfg.ram_bytes;
    if ram < UPPER_BASE {
        return Err(LoaderError::RamTooSmall { ram, need: UPPER_BASE });
    }
    for s in &segments {
        let (lo, hi) = (s.paddr as u64, s.paddr as u64 + s.memsz as u64);
        if hi > ram {
            return Err(LoaderError::SegmentOutsideRam { index: s.index, paddr: lo, end: hi, ram });
        }
    }
    let mut sorted: Vec<&LoadSegment> = segments.iter().collect();
    sorted.sort_by_key(|s| s.paddr);
    for w in sorted.windows(2) {
        if w[0].paddr as u64 + w[0].memsz as u64 > w[1].paddr as u64 {
            return Err(LoaderError::SegmentsOverlap { first: w[0].index, second: w[1].index, at: w[1].paddr as u64 });
        }
    }
    let eip = entry_point(eh.entry, &segments)?;
    let (info, block) = boot_info(cfg, &segments)?;
    let mut chunks = Vec::new();
    let mut zero = Vec::new();
    for s in &segments {
        let from = s.offset as usize;
        if s.filesz > 0 {
            chunks.push((s.paddr as u64, file[from..from + s.filesz as usize].to_vec()));
        }
        if s.memsz > s.filesz {
            zero.push((s.paddr as u64 + s.filesz as u64, (s.memsz - s.filesz) as u64));
        }
    }
    chunks.push((BOOT_INFO_BASE, block));
    let entry = entry_state(eip, info.addr as u32, info.gdt_addr);
    Ok(BootImage {
        chunks,
        zero,
        entry,
        segments,
        header_offset: header.offset,
        header_flags: header.flags,
        info,
        ram_bytes: ram,
    })
}

/// e_entry is a physical address inside a segment; an entry that is a virtual address of a
/// segment whose p_vaddr differs from p_paddr is translated to its physical address (as GRUB does).
fn entry_point(entry: u32, segments: &[LoadSegment]) -> Result<u32, LoaderError> {
    let inside = |base: u32, s: &LoadSegment| entry >= base && (entry as u64) < base as u64 + s.memsz as u64;
    if segments.iter().any(|s| inside(s.paddr, s)) {
        return Ok(entry);
    }
    segments
        .iter()
        .find(|s| inside(s.vaddr, s))
        .map(|s| entry - s.vaddr + s.paddr)
        .ok_or(LoaderError::EntryOutsideSegments { entry })
}

fn align(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

/// Lays out the boot information block at [`BOOT_INFO_BASE`]: the memory map, then at
/// [`MBI_ADDR`] the information structure, a 3-entry GDT (so that the entry selectors name real
/// descriptors), the loader's name and the command line. Returns the structure and the bytes.
fn boot_info(cfg: &BootConfig, segments: &[LoadSegment]) -> Result<(MultibootInfo, Vec<u8>), LoaderError> {
    let progname: String = cfg.progname.chars().map(|c| if c.is_whitespace() { '_' } else { c }).collect();
    let cmdline = if cfg.append.is_empty() { progname } else { format!("{progname} {}", cfg.append) };
    if let Some(at) = cmdline.bytes().position(|b| b == 0) {
        return Err(LoaderError::CmdlineNul { at });
    }
    let mmap_addr = BOOT_INFO_BASE;
    let addr = MBI_ADDR;
    let gdt_addr = align(addr + MBI_SIZE as u64, 16);
    let upper_end = cfg.ram_bytes.min(1 << 32);
    let mmap = vec![
        MmapEntry { base: 0, length: CONVENTIONAL_END, kind: 1 },
        MmapEntry { base: UPPER_BASE, length: upper_end - UPPER_BASE, kind: 1 },
    ];
    let mmap_length = (mmap.len() * 24) as u32;
    debug_assert!(mmap_addr + mmap_length as u64 <= MBI_ADDR);
    let loader_name_addr = gdt_addr + 24;
    let cmdline_addr = align(loader_name_addr + LOADER_NAME.len() as u64 + 1, 16);
    let end = cmdline_addr + cmdline.len() as u64 + 1;
    let span = |s: &LoadSegment| (s.paddr as u64, s.paddr as u64 + s.memsz as u64);
    // The fixed part first: a segment over it is a layout conflict, not a long command line.
    if let Some(s) = segments.iter().find(|s| span(s).0 < cmdline_addr && span(s).1 > BOOT_INFO_BASE) {
        let (paddr, send) = span(s);
        return Err(LoaderError::BootInfoOverlap {
            index: s.index,
            paddr,
            end: send,
            info: BOOT_INFO_BASE,
            info_end: end,
        });
    }
    let limit = segments.iter().map(|s| span(s).0).filter(|&p| p >= cmdline_addr).fold(CONVENTIONAL_END, u64::min);
    if end > limit {
        return Err(LoaderError::CmdlineTooLong { len: cmdline.len() as u64, max: limit - cmdline_addr - 1 });
    }
    let info = MultibootInfo {
        addr,
        flags: MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME,
        mem_lower: (CONVENTIONAL_END / 1024) as u32,
        mem_upper: ((upper_end - UPPER_BASE) / 1024) as u32,
        cmdline_addr,
        cmdline,
        mmap_addr,
        mmap_length,
        mmap,
        loader_name_addr,
        gdt_addr,
        end,
    };
    Ok((info.clone(), encode(&info)))
}

/// The block's bytes, from [`BOOT_INFO_BASE`] to `info.end`.
fn encode(info: &MultibootInfo) -> Vec<u8> {
    let mut b = vec![0u8; (info.end - BOOT_INFO_BASE) as usize];
    let at = |a: u64| (a - BOOT_INFO_BASE) as usize;
    let put = |b: &mut Vec<u8>, a: u64, bytes: &[u8]| b[at(a)..at(a) + bytes.len()].copy_from_slice(bytes);
    put(&mut b, info.gdt_addr + 8, &CODE_DESCRIPTOR.to_le_bytes());
    put(&mut b, info.gdt_addr + 16, &DATA_DESCRIPTOR.to_le_bytes());
    let fields: [(u64, u32); 7] = [
        (0, info.flags),
        (4, info.mem_lower),
        (8, info.mem_upper),
        (16, info.cmdline_addr as u32),
        (44, info.mmap_length),
        (48, info.mmap_addr as u32),
        (64, info.loader_name_addr as u32),
    ];
    for (off, v) in fields {
        put(&mut b, info.addr + off, &v.to_le_bytes());
    }
    for (i, e) in info.mmap.iter().enumerate() {
        let a = info.mmap_addr + i as u64 * 24;
        // `size` counts the entry without itself: base (8) + length (8) + type (4).
        put(&mut b, a, &20u32.to_le_bytes());
        put(&mut b, a + 4, &e.base.to_le_bytes());
        put(&mut b, a + 12, &e.length.to_le_bytes());
        put(&mut b, a + 20, &e.kind.to_le_bytes());
    }
    put(&mut b, info.loader_name_addr, LOADER_NAME.as_bytes());
    put(&mut b, info.cmdline_addr, info.cmdline.as_bytes());
    b
}

/// Multiboot's machine state: EAX = 0x2BADB002, EBX = the structure, 32-bit protected mode with
/// paging off, flat 4 GiB CS and data segments, IF = 0 (EFLAGS = 0x2: only the reserved bit 1),
/// A20 on. Undefined by the spec, chosen here: CS 0x08 / data 0x10 with the GDTR naming the copy
/// of those descriptors in the block, IDTR limit 0 (an exception before the kernel loads its own
/// IDT shuts the machine down instead of vectoring through garbage), ESP just below the block.
fn entry_state(eip: u32, mbi: u32, gdt: u64) -> EntryState {
    let seg = |selector: u16, desc: u64| SegmentState {
        selector,
        base: 0,
        limit: 0xFFFF_FFFF,
        attrib: (((desc >> 40) & 0xFF) | (((desc >> 52) & 0xF) << 8)) as u16,
    };
    let data = seg(DATA_SELECTOR, DATA_DESCRIPTOR);
    EntryState {
        eip,
        eax: BOOTLOADER_MAGIC,
        ebx: mbi,
        esp: ENTRY_ESP,
        eflags: 0x2,
        cr0: CR0_PE | CR0_ET,
        cr3: 0,
        cr4: 0,
        efer: 0,
        cs: seg(CODE_SELECTOR, CODE_DESCRIPTOR),
        ds: data,
        es: data,
        fs: data,
        gs: data,
        ss: data,
        gdtr: (gdt, 23),
        idtr: (0, 0),
        a20: true,
    }
}

//! The multiboot loader on the real kvm-unit-tests binaries (`svm.flat`, `svm_npt.flat`) and on
//! mutations of them. Expected segment figures come from the ELF itself as binutils reads it:
//! `readelf -lhW` is run when it is installed (and must agree with the figures recorded below,
//! which are its output); the multiboot information is decoded here at the offsets of the
//! multiboot specification, section 3.3, not through the loader's own types.
//!
//! The binaries are test data beside the repository (`../shared/kvm-unit-tests/`, or the folder
//! named by `NESTSCOPE_KUT_DIR`). Without them the tests on them say so and pass, unless
//! `NESTSCOPE_REQUIRE_KUT=1`; the tests on synthetic images always run.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test images and fixtures narrow values deliberately")]
use nestscope_core::loader::{self, BootConfig, BootImage, Format, LoaderError, multiboot};
use std::path::PathBuf;
use std::process::Command;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// (offset, vaddr, paddr, filesz, memsz, flags) of each LOAD line.
type Phdr = (u64, u64, u64, u64, u64, &'static str);

/// `readelf -lhW svm.flat` (GNU binutils 2.40): "Entry point address: 0x4000bc" and
///   LOAD 0x0000b0 0x004000b0 0x004000b0 0x0fe30 0x0fe30 R E 0x1000
///   LOAD 0x010000 0x00410000 0x00410000 0x1392c 0xc551d0 RW  0x1000
const SVM: (u64, [Phdr; 2]) = (
    0x4000bc,
    [(0xb0, 0x4000b0, 0x4000b0, 0xfe30, 0xfe30, "R E"), (0x10000, 0x410000, 0x410000, 0x1392c, 0xc551d0, "RW")],
);
/// `readelf -lhW svm_npt.flat`: "Entry point address: 0x4000bc" and
///   LOAD 0x0000b0 0x004000b0 0x004000b0 0x07e15 0x07e15 R E 0x1000
///   LOAD 0x008000 0x00408000 0x00408000 0x0fd18 0xc4f930 RW  0x1000
const SVM_NPT: (u64, [Phdr; 2]) = (
    0x4000bc,
    [(0xb0, 0x4000b0, 0x4000b0, 0x7e15, 0x7e15, "R E"), (0x8000, 0x408000, 0x408000, 0xfd18, 0xc4f930, "RW")],
);

fn kut_dir() -> PathBuf {
    std::env::var_os("NESTSCOPE_KUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/kvm-unit-tests"))
}

fn binary(name: &str) -> Option<(PathBuf, Vec<u8>)> {
    let p = kut_dir().join(name);
    match std::fs::read(&p) {
        Ok(b) => Some((p, b)),
        Err(e) => {
            assert!(std::env::var("NESTSCOPE_REQUIRE_KUT").is_err(), "{}: {e}", p.display());
            eprintln!("skipped: {} not readable ({e}); set NESTSCOPE_KUT_DIR", p.display());
            None
        }
    }
}

fn cfg(mib: u64, append: &str) -> BootConfig {
    BootConfig { ram_bytes: mib << 20, progname: "svm.flat".into(), append: append.into() }
}

/// A LOAD line as readelf prints it: offset, vaddr, paddr, filesz, memsz, flags.
type LoadLine = (u64, u64, u64, u64, u64, String);

/// Entry and LOAD lines as `readelf -lhW` prints them, or None when readelf is not installed.
fn readelf(path: &PathBuf) -> Option<(u64, Vec<LoadLine>)> {
    let out = Command::new("readelf").arg("-lhW").arg(path).output().ok()?;
    assert!(out.status.success(), "readelf failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let num = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex");
    let entry = text.lines().find_map(|l| l.trim().strip_prefix("Entry point address:")).map(|v| num(v.trim()))?;
    let mut loads = Vec::new();
    for l in text.lines().map(str::trim).filter(|l| l.starts_with("LOAD ")) {
        let w: Vec<&str> = l.split_whitespace().collect();
        // LOAD offset vaddr paddr filesz memsz flags… align
        let flags = w[6..w.len() - 1].join(" ");
        loads.push((num(w[1]), num(w[2]), num(w[3]), num(w[4]), num(w[5]), flags));
    }
    Some((entry, loads))
}

fn le32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as u64
}

/// The bytes the image writes at physical `addr` (within one chunk).
fn bytes_at(img: &BootImage, addr: u64, len: usize) -> Vec<u8> {
    let (base, data) =
        img.chunks.iter().find(|(a, d)| *a <= addr && addr + len as u64 <= a + d.len() as u64).expect("inside a chunk");
    data[(addr - base) as usize..][..len].to_vec()
}

fn check_real(name: &str, expected: (u64, [Phdr; 2])) {
    let Some((path, file)) = binary(name) else { return };
    assert_eq!(loader::classify(&file), Format::Elf);
    let img = multiboot::load(&file, &cfg(64, "vmrun ioio")).expect("loads");
    // The recorded figures are readelf's; when readelf is here they must still be.
    if let Some((entry, loads)) = readelf(&path) {
        assert_eq!(entry, expected.0, "readelf's entry differs from the recorded one");
        let rec: Vec<_> = expected.1.iter().map(|p| (p.0, p.1, p.2, p.3, p.4, p.5.to_string())).collect();
        assert_eq!(loads, rec, "readelf's LOAD lines differ from the recorded ones");
    } else {
        eprintln!("readelf not installed: comparing with the recorded readelf figures");
    }
    assert_eq!(img.entry.eip as u64, expected.0);
    assert_eq!(img.segments.len(), 2);
    for (s, e) in img.segments.iter().zip(expected.1) {
        assert_eq!(
            (s.offset as u64, s.vaddr as u64, s.paddr as u64, s.filesz as u64, s.memsz as u64),
            (e.0, e.1, e.2, e.3, e.4)
        );
        assert_eq!(s.flags_text().trim_end(), e.5);
        // The file bytes go to p_paddr, the rest of p_memsz is zeroed.
        let chunk = img.chunks.iter().find(|(a, _)| *a == e.2).expect("segment chunk");
        assert_eq!(chunk.1, file[e.0 as usize..(e.0 + e.3) as usize]);
        if e.4 > e.3 {
            assert!(img.zero.contains(&(e.2 + e.3, e.4 - e.3)), "BSS of {e:x?} zeroed: {:x?}", img.zero);
        }
    }
    // The header is found where the text segment puts it: file offset 0xb0 = physical 0x4000b0.
    assert_eq!(img.header_offset, 0xb0);
    assert_eq!(le32(&bytes_at(&img, 0x4000b0, 4), 0), 0x1BADB002);
    // Multiboot spec section 3.2: EAX magic, EBX the information structure, PE set, PG clear, IF clear.
    let e = &img.entry;
    assert_eq!(e.eax, 0x2BADB002);
    assert_eq!(e.cr0 & 1, 1);
    assert_eq!(e.cr0 >> 31, 0);
    assert_eq!(e.eflags & (1 << 9), 0);
    assert_eq!(e.eflags & (1 << 17), 0);
    assert!(e.a20);
    for s in [e.cs, e.ds, e.es, e.fs, e.gs, e.ss] {
        assert_eq!((s.base, s.limit), (0, 0xFFFF_FFFF));
        assert_eq!(s.attrib & 0x80, 0x80, "present");
        assert_eq!(s.attrib & (1 << 10), 1 << 10, "32-bit (D/B)");
    }
    assert_eq!(e.cs.attrib & 0x8, 0x8, "CS is a code segment");
    assert_eq!(e.cs.attrib & 0x2, 0x2, "readable");
    assert_eq!(e.ds.attrib & 0xA, 0x2, "DS is writable data");
    // The selectors name the same descriptors in the GDT the block holds.
    let gdt = bytes_at(&img, e.gdtr.0, e.gdtr.1 as usize + 1);
    let desc = |sel: u16| u64::from_le_bytes(gdt[sel as usize..sel as usize + 8].try_into().unwrap());
    let attrib = |d: u64| ((d >> 40) & 0xFF | ((d >> 52) & 0xF) << 8) as u16;
    assert_eq!(attrib(desc(e.cs.selector)), e.cs.attrib);
    assert_eq!(attrib(desc(e.ds.selector)), e.ds.attrib);
    // The information structure at EBX, decoded at the spec's offsets (section 3.3).
    let mbi = bytes_at(&img, e.ebx as u64, 88);
    let flags = le32(&mbi, 0);
    assert_eq!(flags & 0b100_0101, 0b100_0101, "mem (bit 0), cmdline (bit 2), mmap (bit 6)");
    assert_eq!(le32(&mbi, 4), 640, "mem_lower: 640 KiB of conventional memory");
    assert_eq!(
        le32(&mbi, 8),
        64 * 1024 - 1024,
        "mem_upper: KiB from 1 MiB to the end of 64 MiB (QEMU: ram/1024 - 1024)"
    );
    let cmdline = le32(&mbi, 16);
    let text = bytes_at(&img, cmdline, "svm.flat vmrun ioio".len() + 1);
    assert_eq!(text, b"svm.flat vmrun ioio\0", "program name first (kvm-unit-tests skips it as argv[0])");
    let (mlen, maddr) = (le32(&mbi, 44), le32(&mbi, 48));
    let map = bytes_at(&img, maddr, mlen as usize);
    let mut at = 0;
    let mut ram = Vec::new();
    while at < map.len() {
        let size = le32(&map, at) as usize;
        let base = u64::from_le_bytes(map[at + 4..at + 12].try_into().unwrap());
        let len = u64::from_le_bytes(map[at + 12..at + 20].try_into().unwrap());
        if le32(&map, at + 20) == 1 {
            ram.push((base, base + len));
        }
        at += size + 4;
    }
    assert_eq!(at, map.len());
    assert!(ram.contains(&(0x100000, 64 << 20)), "upper RAM to the end of 64 MiB: {ram:x?}");
    // The block lies below the kernel, outside every segment and not in page 0 (the AP trampoline's).
    let (lo, _) = img.span();
    let block = img.chunks.last().unwrap();
    assert!(block.0 >= 0x1000 && block.0 + block.1.len() as u64 <= lo);
    for s in &img.segments {
        let (a, b) = (s.paddr as u64, (s.paddr + s.memsz) as u64);
        assert!(b <= block.0 || a >= block.0 + block.1.len() as u64);
    }
}

#[test]
fn svm_flat_loads_as_readelf_reads_it() {
    check_real("svm.flat", SVM);
}

#[test]
fn svm_npt_flat_loads_as_readelf_reads_it() {
    check_real("svm_npt.flat", SVM_NPT);
}

#[test]
fn the_entry_is_the_start_symbol() {
    // `nm svm.flat` names `start` at the ELF entry (x86/cstart64.S's multiboot entry).
    let Some((path, _)) = binary("svm.flat") else { return };
    let Ok(out) = Command::new("nm").arg(&path).output() else { return };
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text
        .lines()
        .find(|l| l.ends_with(" start"))
        .map(|l| u64::from_str_radix(l.split(' ').next().unwrap(), 16).unwrap());
    assert_eq!(start, Some(SVM.0));
}

fn mutated(f: impl FnOnce(&mut Vec<u8>)) -> Option<Vec<u8>> {
    let (_, mut file) = binary("svm.flat")?;
    f(&mut file);
    Some(file)
}

#[test]
fn a_bad_multiboot_magic_is_not_multiboot() {
    let Some(file) = mutated(|f| f[0xb0] ^= 0xff) else { return };
    assert_eq!(multiboot::load(&file, &cfg(64, "")), Err(LoaderError::NotMultiboot { searched: 8192 }));
}

#[test]
fn a_bad_checksum_is_named_with_its_offset() {
    let Some(file) = mutated(|f| f[0xb8] ^= 1) else { return };
    let e = multiboot::load(&file, &cfg(64, "")).unwrap_err();
    assert_eq!(e, LoaderError::BadChecksum { offset: 0xb0, flags: 0, checksum: 0xE452_4FFE ^ 1 });
    assert!(e.to_string().contains("0xe4524ffe"), "the message gives the right checksum: {e}");
}

#[test]
fn truncated_images_are_named() {
    let Some((_, file)) = binary("svm.flat") else { return };
    let err = |n: usize| multiboot::load(&file[..n], &cfg(64, "")).unwrap_err();
    assert!(matches!(err(40), LoaderError::Truncated { what: "ELF header", .. }));
    // Magic and flags present, checksum cut off.
    assert_eq!(err(0xb8), LoaderError::TruncatedHeader { offset: 0xb0, need: 12, have: 8 });
    // The data segment's bytes (file 0x10000..0x2392c) cut short.
    assert!(matches!(err(0x20000), LoaderError::Truncated { what: "segment data", offset: 0x10000, .. }));
}

#[test]
fn segments_beyond_ram_are_named() {
    let Some((_, file)) = binary("svm.flat") else { return };
    // 16 MiB end at 0x1000000; the BSS runs to 0x10651d0.
    assert_eq!(
        multiboot::load(&file, &cfg(16, "")),
        Err(LoaderError::SegmentOutsideRam { index: 1, paddr: 0x410000, end: 0x10651d0, ram: 16 << 20 })
    );
    assert!(multiboot::load(&file, &cfg(17, "")).is_ok());
    // p_paddr of program header 0 (e_phoff 52, p_paddr at +12) moved to 3.5 GiB.
    let Some(far) = mutated(|f| f[52 + 12..52 + 16].copy_from_slice(&0xE000_0000u32.to_le_bytes())) else { return };
    assert!(matches!(
        multiboot::load(&far, &cfg(64, "")),
        Err(LoaderError::SegmentOutsideRam { index: 0, paddr: 0xE000_0000, .. })
    ));
}

#[test]
fn an_elf64_is_refused_by_class() {
    let Some(file) = mutated(|f| f[4] = 2) else { return };
    assert!(matches!(
        multiboot::load(&file, &cfg(64, "")),
        Err(LoaderError::BadElf { field: "EI_CLASS", offset: 4, value: 2, .. })
    ));
}

#[test]
fn no_cut_or_flipped_header_byte_panics() {
    let Some((_, file)) = binary("svm_npt.flat") else { return };
    for n in (0..0x200).chain((0x200..file.len()).step_by(4099)) {
        let _ = multiboot::load(&file[..n], &cfg(64, ""));
    }
    for at in 0..0xc0 {
        for bit in [0x01, 0x80] {
            let mut f = file.clone();
            f[at] ^= bit;
            let _ = multiboot::load(&f, &cfg(64, "x"));
        }
    }
}

// ---- synthetic images: an ELF32 with the given (paddr, filesz, memsz) segments and a multiboot
// header (magic, flags, checksum) at the start of the first segment's data.

fn synthetic(segs: &[(u32, u32, u32)], entry: u32, flags: u32) -> Vec<u8> {
    let phoff = 52u32;
    let data0 = 0x1000u32;
    let mut f = vec![0u8; data0 as usize];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 1; // ELFCLASS32
    f[5] = 1; // little-endian
    f[6] = 1;
    f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f[18..20].copy_from_slice(&3u16.to_le_bytes()); // EM_386
    f[24..28].copy_from_slice(&entry.to_le_bytes());
    f[28..32].copy_from_slice(&phoff.to_le_bytes());
    f[40..42].copy_from_slice(&52u16.to_le_bytes());
    f[42..44].copy_from_slice(&32u16.to_le_bytes());
    f[44..46].copy_from_slice(&(segs.len() as u16).to_le_bytes());
    let mut off = data0;
    for (i, &(paddr, filesz, memsz)) in segs.iter().enumerate() {
        let h = phoff as usize + i * 32;
        for (k, v) in [1, off, paddr, paddr, filesz, memsz, 7, 0x1000].into_iter().enumerate() {
            f[h + k * 4..h + k * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        f.resize((off + filesz) as usize, 0x90);
        off += filesz;
    }
    // The header must be in the first 8 KiB: put it at file offset 0x1000.
    let hdr = [0x1BAD_B002u32, flags, 0u32.wrapping_sub(0x1BAD_B002).wrapping_sub(flags)];
    for (k, v) in hdr.into_iter().enumerate() {
        f[0x1000 + k * 4..0x1004 + k * 4].copy_from_slice(&v.to_le_bytes());
    }
    f
}

#[test]
fn synthetic_kernel_at_1mib_loads() {
    let f = synthetic(&[(0x100000, 0x100, 0x2000)], 0x10000c, 0x3);
    let img = multiboot::load(&f, &cfg(2, "")).expect("loads");
    assert_eq!(img.entry.eip, 0x10000c);
    assert_eq!(img.zero, vec![(0x100100, 0x1f00)]);
    assert_eq!(le32(&bytes_at(&img, img.entry.ebx as u64, 12), 8), 1024, "mem_upper of 2 MiB: 1 MiB above 1 MiB");
}

#[test]
fn synthetic_layout_errors_are_named() {
    // A segment over the boot information block at 0x9000.
    let f = synthetic(&[(0x8000, 0x100, 0x2000), (0x100000, 0x10, 0x10)], 0x8000, 0);
    assert!(matches!(
        multiboot::load(&f, &cfg(64, "")),
        Err(LoaderError::BootInfoOverlap { index: 0, paddr: 0x8000, .. })
    ));
    // Overlapping segments.
    let f = synthetic(&[(0x100000, 0x100, 0x2000), (0x101000, 0x10, 0x10)], 0x100000, 0);
    assert_eq!(
        multiboot::load(&f, &cfg(64, "")),
        Err(LoaderError::SegmentsOverlap { first: 0, second: 1, at: 0x101000 })
    );
    // An entry outside the segments.
    let f = synthetic(&[(0x100000, 0x100, 0x100)], 0x200000, 0);
    assert_eq!(multiboot::load(&f, &cfg(64, "")), Err(LoaderError::EntryOutsideSegments { entry: 0x200000 }));
    // The a.out address fields (flag 16) and a video mode (flag 2) are refused.
    let f = synthetic(&[(0x100000, 0x100, 0x100)], 0x100000, 1 << 16);
    assert!(matches!(
        multiboot::load(&f, &cfg(64, "")),
        Err(LoaderError::UnsupportedFlags { unsupported: 0x10000, .. })
    ));
    let f = synthetic(&[(0x100000, 0x100, 0x100)], 0x100000, 1 << 2);
    assert!(matches!(multiboot::load(&f, &cfg(64, "")), Err(LoaderError::UnsupportedFlags { unsupported: 4, .. })));
    // A command line that does not fit below a kernel at 0x10000, and one with a NUL.
    let f = synthetic(&[(0x10000, 0x100, 0x100)], 0x10000, 0);
    assert!(multiboot::load(&f, &cfg(64, &"a".repeat(100))).is_ok());
    assert!(matches!(multiboot::load(&f, &cfg(64, &"a".repeat(0x8000))), Err(LoaderError::CmdlineTooLong { .. })));
    assert_eq!(multiboot::load(&f, &cfg(64, "a\0b")), Err(LoaderError::CmdlineNul { at: 10 }));
}

#[test]
fn flat_programs_are_not_elf() {
    assert_eq!(loader::classify(&[0xb0, 0x01, 0xe6, 0xf4]), Format::Flat);
    assert_eq!(loader::classify(b"\x7fELF\x01"), Format::Elf);
    assert!(loader::flat::is_flat(&[0x90]));
}

// ---- against QEMU: data/multiboot/probe.elf (source and commands in probe.asm) prints what a
// loader left; probe-qemu-7.2.txt is its output under QEMU 7.2's `-kernel`.

const PROBE: &[u8] = include_bytes!("data/multiboot/probe.elf");
const PROBE_ON_QEMU: &str = include_str!("data/multiboot/probe-qemu-7.2.txt");

fn qemu(name: &str) -> u64 {
    let line = PROBE_ON_QEMU.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix('=')).expect(name);
    u64::from_str_radix(line, 16).unwrap()
}

#[test]
fn the_probe_kernel_sees_what_it_saw_under_qemu() {
    let cfg = BootConfig { ram_bytes: 64 << 20, progname: "probe.elf".into(), append: "vmrun ioio".into() };
    let img = multiboot::load(PROBE, &cfg).expect("loads");
    let e = &img.entry;
    // The same as QEMU: the magic, the structure at 0x9500 and the map at 0x9000, the selectors
    // (its option ROM's GDT: code 0x08, data 0x10), CR0 = PE | ET, CR4 = 0.
    assert_eq!(e.eax as u64, qemu("eax"));
    assert_eq!(e.ebx as u64, qemu("ebx"));
    assert_eq!(img.info.mmap_addr, qemu("mbi.mmap_addr"));
    assert_eq!(e.cs.selector as u64, qemu("cs"));
    for (s, n) in [(e.ds, "ds"), (e.es, "es"), (e.fs, "fs"), (e.gs, "gs"), (e.ss, "ss")] {
        assert_eq!(s.selector as u64, qemu(n), "{n}");
    }
    assert_eq!(e.cr0 as u64, qemu("cr0"));
    assert_eq!(e.cr4 as u64, qemu("cr4"));
    // The flags QEMU sets that this loader sets too (QEMU adds boot_device and an empty module list).
    assert_eq!(img.info.flags as u64 & qemu("mbi.flags"), img.info.flags as u64);
    // The command line: the program name, a space, the --append text.
    let cmd = PROBE_ON_QEMU.lines().find_map(|l| l.strip_prefix("cmdline: ")).unwrap();
    assert_eq!(img.info.cmdline, cmd);
    // Map entries have QEMU's size field (20) and the RAM from 1 MiB starts where QEMU's does.
    let maps: Vec<Vec<u64>> = PROBE_ON_QEMU
        .lines()
        .filter_map(|l| l.strip_prefix("mmap: "))
        .map(|l| l.split(' ').map(|w| u64::from_str_radix(w, 16).unwrap()).collect())
        .collect();
    assert!(maps.iter().all(|m| m[0] == 20));
    assert!(maps.iter().any(|m| m[1] == 0x100000 && m[3] == 1));
    // Where QEMU differs, the difference is its BIOS: mem_lower 639 (SeaBIOS keeps the top KiB of
    // conventional memory for its EBDA), RAM to 0x3FE0000 (SeaBIOS reserves the top 128 KiB);
    // nestscope has no BIOS, so all 640 KiB and all 64 MiB are RAM.
    assert_eq!((qemu("mbi.mem_lower"), img.info.mem_lower), (639, 640));
    assert_eq!((qemu("mbi.mem_upper"), img.info.mem_upper), ((0x3FE0000 - 0x100000) / 1024, (63 << 10)));
    // The probe's three segments are readelf's (`readelf -lhW probe.elf`):
    //   LOAD 0x000000 0x000ff000 0x000ff000 0x00094 0x00094 R   0x1000
    //   LOAD 0x001000 0x00100000 0x00100000 0x00270 0x00270 R E 0x1000
    //   LOAD 0x002000 0x00101000 0x00101000 0x000f5 0x01114 RW  0x1000
    let got: Vec<_> = img.segments.iter().map(|s| (s.offset, s.paddr, s.filesz, s.memsz)).collect();
    assert_eq!(got, [(0, 0xff000, 0x94, 0x94), (0x1000, 0x100000, 0x270, 0x270), (0x2000, 0x101000, 0xf5, 0x1114)]);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/multiboot/probe.elf");
    if let Some((entry, loads)) = readelf(&path) {
        assert_eq!(entry, e.eip as u64);
        let theirs: Vec<_> = loads.iter().map(|l| (l.0 as u32, l.2 as u32, l.3 as u32, l.4 as u32)).collect();
        assert_eq!(theirs, got);
    }
    assert_eq!((img.header_offset, e.eip), (0x1000, 0x10000c));
}

/// probe.elf is what nasm and ld make of probe.asm (run in its folder, as its header says); the
/// comparison is skipped when either tool is missing.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_committed_probe_is_built_from_its_source() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/multiboot");
    let tmp = std::env::temp_dir().join(format!("nestscope-probe-{}", std::process::id()));
    let (obj, elf) = (tmp.with_extension("o"), tmp.with_extension("elf"));
    let nasm = Command::new("nasm").current_dir(&dir).args(["-f", "elf32", "probe.asm", "-o"]).arg(&obj).status();
    let Ok(st) = nasm else {
        eprintln!("nasm not found: skipping the probe rebuild");
        return;
    };
    assert!(st.success(), "nasm failed on probe.asm");
    let ld = Command::new("ld")
        .args(["-m", "elf_i386", "-Ttext", "0x100000", "-e", "start", "-o"])
        .arg(&elf)
        .arg(&obj)
        .status();
    let _ = std::fs::remove_file(&obj);
    let Ok(st) = ld else {
        eprintln!("ld not found: skipping the probe rebuild");
        return;
    };
    assert!(st.success(), "ld failed");
    let fresh = std::fs::read(&elf).unwrap();
    let _ = std::fs::remove_file(&elf);
    assert!(fresh == PROBE, "probe.elf is not what probe.asm builds to: rebuild it and rerun it on QEMU");
}

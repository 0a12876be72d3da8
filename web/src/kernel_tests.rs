//! Tests of opening, booting and judging a kernel (native; the browser layer boots one too).
use super::*;
use nestscope_core::loader::LoaderError;

const PROBE: &[u8] = include_bytes!("../../core/tests/data/multiboot/probe.elf");

#[test]
fn the_probe_boots_and_prints_what_the_loader_left() {
    let k = Kernel::open("probe.elf", PROBE, " vmrun ioio ").expect("the probe is a multiboot kernel");
    // Multiboot v1 §3.3: the command line is the program name and the appended text.
    assert_eq!(k.image.info.cmdline, "probe.elf vmrun ioio");
    let mut sim = k.boot(Model::DEFAULT).expect("boots on the hardware model");
    sim.run(10_000_000).expect("runs");
    let out = String::from_utf8_lossy(&sim.machine().console).into_owned();
    // Multiboot v1 §3.2: EAX holds the magic 0x2BADB002 at entry.
    assert!(out.contains("eax=2BADB002"), "{out}");
    assert!(out.contains("cmdline: probe.elf vmrun ioio"), "{out}");
    assert!(matches!(sim.machine().stopped, Some(Stop::DebugExit(_))), "{:?}", sim.machine().stopped);
}

#[test]
fn a_flat_program_or_a_broken_elf_is_refused_with_the_loaders_error() {
    assert!(Kernel::open("prog.bin", &[0x90, 0xf4], "").unwrap_err().contains("not an ELF file"));
    // The ELF magic and nothing else: the loader names what is missing.
    let want = multiboot::load(b"\x7fELF", &BootConfig { ram_bytes: 64 << 20, progname: "x".into(), append: String::new() })
        .unwrap_err();
    assert!(matches!(want, LoaderError::Truncated { .. }), "{want:?}");
    assert_eq!(Kernel::open("x.elf", b"\x7fELF", "").unwrap_err(), format!("x.elf: {want}"));
}

#[test]
fn the_program_name_drops_folders() {
    let k = Kernel::open("some/dir/probe.elf", PROBE, "").unwrap();
    assert_eq!(k.image.info.cmdline, "probe.elf");
}

#[test]
fn the_listing_covers_the_executable_segment() {
    let k = Kernel::open("probe.elf", PROBE, "").unwrap();
    // readelf -lW probe.elf: LOAD 0x001000 0x00100000 0x00100000 0x00270 0x00270 R E
    let code = k.code();
    assert_eq!(code.iter().map(|(a, b)| (*a, b.len())).collect::<Vec<_>>(), [(0x100000, 0x270)]);
}

#[test]
fn the_verdict_counts_report_lines_and_reads_the_exit_code() {
    // Lines as lib/report.c prints them ("%s: " prefix, then the test's message).
    let console = "enabling apic\nPASS: vmrun\nFAIL: ioio\nSKIP: npt_nx: NX not supported\nXFAIL: x\nSUMMARY: 3 tests, 1 unexpected failures, 1 skipped\n";
    let v = verdict(console, Some(&Stop::DebugExit(1)));
    assert_eq!((v.pass, v.fail, v.skip, v.other), (1, 1, 1, 1));
    assert_eq!(v.summary.as_deref(), Some("SUMMARY: 3 tests, 1 unexpected failures, 1 skipped"));
    assert_eq!(v.exit, Some((1, "FAIL")));
    // report_summary(): 0 without unexpected failures, 77 >> 1 when all were skipped.
    assert_eq!(exit_meaning(0), "PASS");
    assert_eq!(exit_meaning(77 >> 1), "SKIP");
    assert_eq!(verdict("PASS: a\n", None).exit, None);
}

#[test]
fn the_listing_window_follows_rip_inside_and_outside_the_kernels_code() {
    let k = Kernel::open("probe.elf", PROBE, "").unwrap();
    let full: Vec<Line> = k.code().into_iter().flat_map(|(at, c)| listing_fn(c, at)).collect();
    let sim = k.boot(Model::DEFAULT).unwrap();
    let m = sim.machine();
    // readelf -h probe.elf: entry point 0x10000c.
    let w = window(&full, 0x10000c, 64, &m.mem, &k.symbols);
    assert!(w.iter().any(|l| l.addr == 0x10000c));
    assert!(w.len() <= 2 * WINDOW + 1 && w.len() < full.len() + 1);
    // Outside the segments: decoded from memory at RIP (the probe's data segment at 0x101000).
    let w = window(&full, 0x101000, 64, &m.mem, &k.symbols);
    assert_eq!(w.first().map(|l| l.addr), Some(0x101000));
}

#[test]
fn the_listing_carries_the_elf_symbols_and_restarts_at_each() {
    let k = Kernel::open("probe.elf", PROBE, "").unwrap();
    assert!(k.symbols_error.is_none());
    let l = k.listing();
    // nm probe.elf: 00100000 t mb_header, 0010000c T start, 0010024b t puts, 00100255 t hex32.
    for (addr, name) in [(0x100000, "mb_header"), (0x10000c, "start"), (0x10024b, "puts"), (0x100255, "hex32")] {
        let line = l.iter().find(|x| x.addr == addr).unwrap_or_else(|| panic!("no line at {addr:#x}"));
        assert_eq!(line.labels, [name], "{line:?}");
    }
    assert_eq!(k.describe(0x10024b + 3).as_deref(), Some("puts+0x3"));
}

#[test]
fn a_32_bit_kernel_entry_is_decoded_as_32_bit_code() {
    // probe.asm is `bits 32`; its first instruction at start is `mov [save_esp], esp` and
    // nm gives 00101100 b save_esp: an absolute address, where 64-bit decoding reads RIP-relative.
    let k = Kernel::open("probe.elf", PROBE, "").unwrap();
    let sim = k.boot(Model::DEFAULT).unwrap();
    let m = sim.machine();
    assert_eq!(m.code_bitness(), 32, "multiboot enters in 32-bit protected mode");
    let w = window(&k.listing(), 0x10000c, m.code_bitness(), &m.mem, &k.symbols);
    let first = w.iter().find(|l| l.addr == 0x10000c).expect("RIP's line");
    assert!(first.text.contains("0x101100") && first.text.contains("esp"), "{first:?}");
    assert_eq!(first.labels, ["start"]);
    // Inside `start`, the window begins at the function, decoded up to RIP.
    let inside = w.iter().find(|l| l.addr > 0x10000c).expect("a second line").addr;
    let w2 = window(&k.listing(), inside, 32, &m.mem, &k.symbols);
    assert_eq!(w2.first().map(|l| l.addr), Some(0x10000c));
}

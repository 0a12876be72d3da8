//! `nestscope inspect-image FILE [--append ARGS] [--mem MiB] [--symbols] [--json]`: what the loader
//! finds in a program file (a flat CONTRACT program, or a multiboot v1 kernel: segments, BSS, the
//! multiboot information, the entry state and, with `--symbols`, the ELF symbols as `nm -S` lists them); `exec` of a kernel (boot and run it); and the refusal the
//! commands that take CONTRACT programs only give a kernel.
use crate::Failure;
use crate::args::Args;
use nestscope_core::loader::symbols::{self, Symbol, SymbolKind};
use nestscope_core::loader::{self, BootConfig, BootImage, Format, SegmentState, multiboot};
use nestscope_core::machine::{DEFAULT_MEM_MIB, LOAD_ADDR};
use serde_json::json;

/// Largest `--mem` the machine takes (the loader must not lay out for a RAM the machine refuses).
const MAX_MEM_MIB: u64 = 4096;

/// The command line's program name: the file name without its directory, as a kernel sees argv[0].
fn progname(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Loads `bytes` as a multiboot kernel for `mem_mib` MiB of RAM with `append` on its command line.
pub fn load_kernel(path: &str, bytes: &[u8], mem_mib: u64, append: &str) -> Result<BootImage, Failure> {
    if !(2..=MAX_MEM_MIB).contains(&mem_mib) {
        return Err(Failure::input(format!("memory size {mem_mib} MiB is out of range (2..={MAX_MEM_MIB})")));
    }
    let cfg = BootConfig { ram_bytes: mem_mib << 20, progname: progname(path), append: append.to_string() };
    multiboot::load(bytes, &cfg).map_err(|e| Failure::input(format!("{path}: {e}")))
}

fn mib(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    }
}

/// The refusal of a command that takes CONTRACT programs only, given a kernel (exit status 2),
/// or the loader's error when the kernel is malformed.
pub fn refuse_kernel(path: &str, bytes: &[u8], mem_mib: u64, append: &str) -> Failure {
    match load_kernel(path, bytes, mem_mib, append) {
        Err(f) => f,
        Ok(img) => {
            let (lo, hi) = img.span();
            Failure::input(format!(
                "{} is a multiboot kernel (entry {:#x}, {} segments, {} at {lo:#x}..{hi:#x}); this command takes \
                 CONTRACT programs only: run the kernel with `nestscope exec {} [--append ARGS]`",
                progname(path),
                img.entry.eip,
                img.segments.len(),
                mib(hi - lo),
                progname(path)
            ))
        }
    }
}

/// Steps a kernel may run when `--max-steps` is not given: kvm-unit-tests' boot alone is about
/// 160 million instructions (a page-table setup), each test adds its own.
pub const KERNEL_MAX_STEPS: u64 = 4_000_000_000;

/// `exec KERNEL [--append ARGS] [--mem MiB] [--cpu -rdtscp,-xsave] [--model M] [--max-steps N] [--json]`:
/// boots the kernel and runs it; the console is what it printed on the UART (and port 0xE9).
pub fn exec_kernel(a: &Args, path: &str, bytes: &[u8], mem_mib: u64) -> Result<u8, Failure> {
    for o in ["migrate-at", "migrate-to", "restore-order"] {
        if a.value(o).is_some() {
            return Err(Failure::input(format!("{path}: --{o} is for CONTRACT programs (a kernel run cannot be migrated yet)")));
        }
    }
    let save_at = a.number("save-at")?;
    let cp_file = a.value("checkpoint");
    if save_at.is_some() != cp_file.is_some() {
        return Err(Failure::input("--save-at and --checkpoint go together"));
    }
    if a.flag("pat-layers") {
        return Err(Failure::input(format!("{path}: --pat-layers is for CONTRACT programs")));
    }
    let append = a.value("append").unwrap_or("");
    let img = load_kernel(path, bytes, mem_mib, append)?;
    let model: nestscope_core::Model =
        a.value("model").unwrap_or("bare").parse().map_err(|e| Failure::input(format!("{path}: {e}")))?;
    let mut sim = nestscope_core::sim::Sim::boot(&img, model).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    // --cpu -rdtscp,-xsave: the machine without those features, as QEMU's -cpu removes them
    // (kvm-unit-tests' unittests.cfg gives svm_unsupported_instruction_intercept_test that CPU).
    if let Some(c) = a.value("cpu") {
        let hidden = nestscope_core::cpu::cpuid::Hidden::parse(c).map_err(|e| Failure::input(format!("--cpu: {e}")))?;
        sim.machine_mut().cpu.hidden = hidden;
    }
    let max_steps = a.number("max-steps")?.unwrap_or(KERNEL_MAX_STEPS);
    if let (Some(step), Some(file)) = (save_at, cp_file) {
        // The checkpoint holds the kernel and how it was booted; its memory is what the run
        // changed since that boot.
        let end = sim.run(step.min(max_steps)).map_err(|e| Failure::input(format!("{path}: {e}")))?;
        let boot = nestscope_core::checkpoint::BootRecord { ram_mib: mem_mib, progname: progname(path), append: append.to_string() };
        crate::checkpoint_cmd::write_atomically(file, &nestscope_core::checkpoint::save_kernel(&sim, bytes, &boot))?;
        return crate::commands::report_run(&sim, &end, a.flag("json"));
    }
    let end = sim.run(max_steps).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    crate::commands::report_run(&sim, &end, a.flag("json"))
}

pub fn run(a: &Args) -> Result<u8, Failure> {
    let path = a.one_file("FILE")?;
    let bytes = crate::commands::read_program_bytes(path)?;
    let mem = a.number("mem")?.unwrap_or(DEFAULT_MEM_MIB);
    let append = a.value("append");
    if loader::classify(&bytes) == Format::Flat {
        if append.is_some() {
            return Err(Failure::input(format!("{path}: --append is for multiboot kernels; this is a flat program")));
        }
        if a.flag("json") {
            println!(
                "{}",
                json!({"format": "flat", "bytes": bytes.len(), "load_addr": hex(LOAD_ADDR), "entry": "CONTRACT §1 (64-bit mode)"})
            );
        } else {
            println!(
                "{path}: flat CONTRACT program, {} bytes, loaded at {LOAD_ADDR:#x}, entered in 64-bit mode (CONTRACT §1)",
                bytes.len()
            );
        }
        return Ok(0);
    }
    let img = load_kernel(path, &bytes, mem, append.unwrap_or(""))?;
    let syms = symbols::read(&bytes).map_err(|e| format!("symbol table not read: {e}"));
    if a.flag("json") {
        let mut j = to_json(&img);
        j["symbols"] = symbols_json(&syms, a.flag("symbols"));
        println!("{j}");
    } else {
        print_human(path, &img);
        print_symbols(&syms, a.flag("symbols"));
    }
    Ok(0)
}

fn kind_letter(s: &Symbol) -> char {
    // nm's letters for the section kinds a kernel has: code, data (objects and data labels).
    let c = if s.is_code() { 't' } else { 'd' };
    if s.global { c.to_ascii_uppercase() } else { c }
}

fn kind_name(s: &Symbol) -> &'static str {
    match s.kind {
        SymbolKind::Func => "func",
        SymbolKind::Object => "object",
        SymbolKind::Label => "label",
    }
}

fn symbols_json(syms: &Result<Vec<Symbol>, String>, list: bool) -> serde_json::Value {
    match syms {
        Err(e) => json!({"error": e}),
        Ok(v) if list => json!({"count": v.len(), "list": v.iter().map(|s| json!({
            "addr": hex(s.addr), "size": hex(s.size), "kind": kind_name(s), "global": s.global, "name": s.name,
        })).collect::<Vec<_>>()}),
        Ok(v) => json!({"count": v.len()}),
    }
}

fn print_symbols(syms: &Result<Vec<Symbol>, String>, list: bool) {
    let v = match syms {
        Err(e) => return println!("symbols: {e}"),
        Ok(v) => v,
    };
    let n = |k: SymbolKind| v.iter().filter(|s| s.kind == k).count();
    println!(
        "symbols: {} ({} functions, {} labels, {} objects){}",
        v.len(),
        n(SymbolKind::Func),
        n(SymbolKind::Label),
        n(SymbolKind::Object),
        if list || v.is_empty() { "" } else { "; --symbols lists them" }
    );
    if list {
        for s in v {
            println!("  {:08x} {:08x} {} {}", s.addr, s.size, kind_letter(s), s.name);
        }
    }
}

fn hex(v: u64) -> String {
    format!("{v:#x}")
}

fn seg_json(s: &SegmentState) -> serde_json::Value {
    json!({"selector": hex(s.selector as u64), "base": hex(s.base), "limit": hex(s.limit as u64), "attrib": hex(s.attrib as u64)})
}

fn to_json(img: &BootImage) -> serde_json::Value {
    let e = &img.entry;
    let i = &img.info;
    json!({
        "format": "multiboot",
        "header": {"offset": hex(img.header_offset), "flags": hex(img.header_flags as u64)},
        "segments": img.segments.iter().map(|s| json!({
            "index": s.index, "offset": hex(s.offset as u64), "vaddr": hex(s.vaddr as u64), "paddr": hex(s.paddr as u64),
            "filesz": hex(s.filesz as u64), "memsz": hex(s.memsz as u64), "flags": s.flags_text().trim_end(),
        })).collect::<Vec<_>>(),
        "zero": img.zero.iter().map(|(a, n)| json!({"addr": hex(*a), "len": hex(*n)})).collect::<Vec<_>>(),
        "ram_bytes": hex(img.ram_bytes),
        "mbi": {
            "addr": hex(i.addr), "flags": hex(i.flags as u64), "mem_lower": i.mem_lower, "mem_upper": i.mem_upper,
            "cmdline_addr": hex(i.cmdline_addr), "cmdline": i.cmdline,
            "mmap_addr": hex(i.mmap_addr), "mmap_length": i.mmap_length,
            "mmap": i.mmap.iter().map(|m| json!({"base": hex(m.base), "length": hex(m.length), "type": m.kind})).collect::<Vec<_>>(),
            "block_end": hex(i.end),
        },
        "entry": {
            "mode": "32-bit protected mode, paging off",
            "eip": hex(e.eip as u64), "eax": hex(e.eax as u64), "ebx": hex(e.ebx as u64), "esp": hex(e.esp as u64),
            "eflags": hex(e.eflags as u64), "cr0": hex(e.cr0 as u64), "cr3": hex(e.cr3 as u64), "cr4": hex(e.cr4 as u64),
            "efer": hex(e.efer), "cs": seg_json(&e.cs), "ds": seg_json(&e.ds), "ss": seg_json(&e.ss),
            "gdtr": {"base": hex(e.gdtr.0), "limit": hex(e.gdtr.1 as u64)},
            "idtr": {"base": hex(e.idtr.0), "limit": hex(e.idtr.1 as u64)}, "a20": e.a20,
        },
    })
}

fn print_human(path: &str, img: &BootImage) {
    let (lo, hi) = img.span();
    println!(
        "{path}: multiboot v1 kernel (ELF32), header at file offset {:#x}, flags {:#010x}",
        img.header_offset, img.header_flags
    );
    println!("segments ({}, {} at {lo:#x}..{hi:#x}):", img.segments.len(), mib(hi - lo));
    println!("  {:<3} {:>10} {:>10} {:>10} {:>10} {:>10}  flags", "#", "offset", "vaddr", "paddr", "filesz", "memsz");
    for s in &img.segments {
        println!(
            "  {:<3} {:>#10x} {:>#10x} {:>#10x} {:>#10x} {:>#10x}  {}",
            s.index,
            s.offset,
            s.vaddr,
            s.paddr,
            s.filesz,
            s.memsz,
            s.flags_text()
        );
    }
    for (a, n) in &img.zero {
        println!("  zeroed (BSS): {a:#x}..{:#x} ({})", a + n, mib(*n));
    }
    let i = &img.info;
    println!(
        "multiboot information at {:#x} (flags {:#x}: mem, cmdline, mmap, boot_loader_name), block {:#x}..{:#x}",
        i.addr,
        i.flags,
        multiboot::BOOT_INFO_BASE,
        i.end
    );
    println!(
        "  RAM {} ({:#x} bytes): mem_lower {} KiB, mem_upper {} KiB",
        mib(img.ram_bytes),
        img.ram_bytes,
        i.mem_lower,
        i.mem_upper
    );
    for m in &i.mmap {
        println!("  mmap: {:#x}..{:#x} type {}", m.base, m.base + m.length, m.kind);
    }
    println!("  cmdline at {:#x}: {:?}", i.cmdline_addr, i.cmdline);
    let e = &img.entry;
    println!("entry: 32-bit protected mode, paging off, A20 {}", if e.a20 { "on" } else { "off" });
    println!(
        "  eip={:#x} eax={:#x} ebx={:#x} esp={:#x} eflags={:#x} cr0={:#x}",
        e.eip, e.eax, e.ebx, e.esp, e.eflags, e.cr0
    );
    println!(
        "  cs={:#x} (base {:#x} limit {:#x} attrib {:#x})  ds=es=fs=gs=ss={:#x} (attrib {:#x})  gdtr={:#x}/{:#x} idtr={:#x}/{:#x}",
        e.cs.selector,
        e.cs.base,
        e.cs.limit,
        e.cs.attrib,
        e.ds.selector,
        e.ds.attrib,
        e.gdtr.0,
        e.gdtr.1,
        e.idtr.0,
        e.idtr.1
    );
}

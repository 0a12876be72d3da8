//! A multiboot v1 kernel opened in the app (a kvm-unit-tests `.flat`, or any multiboot ELF): the
//! loader's image of it, how to boot it under a model, and kvm-unit-tests' verdict read from its
//! console and its debug-exit code.
use nestscope_core::Model;
use nestscope_core::Stop;
use nestscope_core::loader::symbols::{self, Symbol};
use nestscope_core::loader::{self, BootConfig, BootImage, Format, multiboot};
use nestscope_core::machine::DEFAULT_MEM_MIB;
use nestscope_core::sim::Sim;
use crate::components::disassembly::{Line, data_lines, listing as listing_fn, listing_bits};
use std::rc::Rc;

/// Step budget of a kernel run (the CLI's `exec` default): a kvm-unit-tests boot alone is about
/// 160 M instructions.
pub const KERNEL_BUDGET: u64 = 4_000_000_000;

/// An opened kernel: its file, the command line it was opened with, and the loader's image.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// The file name (the command line's first word, as QEMU's `-kernel` passes it).
    pub name: String,
    pub append: String,
    pub image: Rc<BootImage>,
    /// The ELF's symbols (sorted by address), for labels and "function+offset".
    pub symbols: Rc<Vec<Symbol>>,
    /// Why the symbol table could not be read (the kernel still boots without it).
    pub symbols_error: Option<String>,
}

impl Kernel {
    /// Loads `bytes` as a multiboot kernel with `append` as its command line, in the default RAM
    /// size. A flat program or a malformed ELF gives the loader's named error.
    pub fn open(name: &str, bytes: &[u8], append: &str) -> Result<Kernel, String> {
        if loader::classify(bytes) == Format::Flat {
            return Err(format!(
                "{name}: not an ELF file (a kernel is a multiboot v1 ELF; a flat program is assembled in the editor)"
            ));
        }
        let cfg = BootConfig { ram_bytes: DEFAULT_MEM_MIB << 20, progname: progname(name), append: append.trim().into() };
        let image = multiboot::load(bytes, &cfg).map_err(|e| format!("{name}: {e}"))?;
        let (syms, symbols_error) = match symbols::read(bytes) {
            Ok(s) => (s, None),
            Err(e) => (Vec::new(), Some(format!("symbol table not read: {e}"))),
        };
        Ok(Kernel { name: name.into(), append: cfg.append, image: Rc::new(image), symbols: Rc::new(syms), symbols_error })
    }

    /// A fresh boot of the kernel under `model`.
    pub fn boot(&self, model: Model) -> Result<Sim, String> {
        Sim::boot(&self.image, model).map_err(|e| format!("{}: {e}", self.name))
    }

    /// The loaded bytes of the executable segments, each at its physical address (for the listing).
    pub fn code(&self) -> Vec<(u64, &[u8])> {
        self.image
            .segments
            .iter()
            .filter(|s| s.flags_text().contains('E'))
            .filter_map(|s| {
                let at = s.paddr as u64;
                let (_, bytes) = self.image.chunks.iter().find(|(a, _)| *a == at)?;
                Some((at, bytes.as_slice()))
            })
            .collect()
    }

    /// The listing of the executable segments: decoding restarts at every code symbol (a
    /// linear sweep that ran into data falls back in step at the next function), each symbol's
    /// names head its first line, and data symbols in the code are shown as data.
    pub fn listing(&self) -> Vec<Line> {
        // Code symbols cut the sweep; data symbols make their bytes data.
        let mut out = Vec::new();
        for (at, bytes) in self.code() {
            let end = at + bytes.len() as u64;
            let inside: Vec<&Symbol> = self.symbols.iter().filter(|s| (at..end).contains(&s.addr)).collect();
            let mut cuts: Vec<u64> = inside.iter().map(|s| s.addr).collect();
            // An object's bytes end at its size; what follows is decoded again.
            cuts.extend(inside.iter().filter(|s| !s.is_code() && s.size > 0).map(|s| (s.addr + s.size).min(end)));
            cuts.push(at);
            cuts.push(end);
            cuts.sort_unstable();
            cuts.dedup();
            for w in cuts.windows(2) {
                let (from, to) = (w[0], w[1]);
                let (a, b) = (usize::try_from(from - at).unwrap_or(0), usize::try_from(to - at).unwrap_or(0));
                let chunk = &bytes[a..b.max(a)];
                let here: Vec<&&Symbol> = inside.iter().filter(|s| s.addr == from).collect();
                let data = !here.is_empty() && here.iter().all(|s| !s.is_code());
                let mut lines = if data { data_lines(chunk, from) } else { listing_fn(chunk, from) };
                if let Some(first) = lines.first_mut() {
                    first.labels = here.iter().map(|s| s.name.clone()).collect();
                }
                out.extend(lines);
            }
        }
        out
    }

    /// "test_run+0x14" for an address inside a known function.
    pub fn describe(&self, addr: u64) -> Option<String> {
        symbols::describe(&self.symbols, addr)
    }
}

/// Lines of the listing shown on each side of RIP (a kernel's listing has tens of thousands).
pub const WINDOW: usize = 100;

/// The part of a kernel's `listing` around `rip` for a CPU running `bits`-bit code. Where RIP
/// lies outside the listing (code copied elsewhere) or the CPU runs 16/32-bit code (the listing is
/// decoded as 64-bit), the instructions in `mem` are decoded in the CPU's mode, from the start of
/// the function that holds RIP when that start leads to RIP, else from RIP (kvm-unit-tests maps
/// its RAM 1:1).
pub fn window(listing: &[Line], rip: u64, bits: u32, mem: &nestscope_core::mem::PhysMem, syms: &[Symbol]) -> Vec<Line> {
    let i = listing.partition_point(|l| l.addr < rip);
    if bits == 64 && listing.get(i).is_some_and(|l| l.addr == rip) {
        return listing[i.saturating_sub(WINDOW)..(i + WINDOW).min(listing.len())].to_vec();
    }
    let span = 16 * WINDOW as u64;
    let span_bytes = 16 * WINDOW;
    let decode = |from: u64| {
        let mut code = vec![0u8; span_bytes];
        while !code.is_empty() && mem.read(nestscope_core::mem::Hpa(from), &mut code).is_err() {
            code.truncate(code.len() / 2);
        }
        let mut lines = listing_bits(&code, from, bits);
        // The last instruction may be cut by the end of the bytes read.
        lines.truncate(lines.len().saturating_sub(1).max(1));
        for l in &mut lines {
            l.labels = syms[syms.partition_point(|s| s.addr < l.addr)..]
                .iter()
                .take_while(|s| s.addr == l.addr)
                .map(|s| s.name.clone())
                .collect();
        }
        lines
    };
    if let Some((s, _)) = symbols::containing(syms, rip).filter(|(_, off)| *off > 0 && *off < span / 2) {
        let lines = decode(s.addr);
        if let Some(j) = lines.iter().position(|l| l.addr == rip) {
            return lines[j.saturating_sub(WINDOW)..(j + WINDOW).min(lines.len())].to_vec();
        }
    }
    let mut lines = decode(rip);
    lines.truncate(WINDOW);
    lines
}

/// The program name the loader puts first on the command line: the file name without folders.
fn progname(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).to_string()
}

/// kvm-unit-tests' verdict: its report lines (lib/report.c prefixes), its `SUMMARY:` line and,
/// once the kernel exited, what its exit code means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    /// XPASS, XFAIL and KFAIL lines.
    pub other: usize,
    pub summary: Option<String>,
    /// The debug-exit byte and its meaning ("PASS", "FAIL", "SKIP").
    pub exit: Option<(u8, &'static str)>,
}

/// report_summary() returns 0 with no unexpected failure, 1 with one, 77 >> 1 when every test
/// was skipped (lib/report.c); exit() hands it to the debug-exit port.
pub fn exit_meaning(code: u8) -> &'static str {
    match code {
        0 => "PASS",
        38 => "SKIP",
        _ => "FAIL",
    }
}

/// Reads the verdict from the console text and the run's stop (if it stopped).
pub fn verdict(console: &str, stop: Option<&Stop>) -> Verdict {
    let mut v = Verdict::default();
    for line in console.lines() {
        let line = line.trim_end();
        match line.split_once(": ").map(|(p, _)| p) {
            Some("PASS") => v.pass += 1,
            Some("FAIL") => v.fail += 1,
            Some("SKIP") => v.skip += 1,
            Some("XPASS" | "XFAIL" | "KFAIL") => v.other += 1,
            Some("SUMMARY") => v.summary = Some(line.to_string()),
            _ => {}
        }
    }
    if let Some(Stop::DebugExit(c)) = stop {
        v.exit = Some((*c, exit_meaning(*c)));
    }
    v
}

#[cfg(test)]
#[path = "kernel_tests.rs"]
mod tests;

//! A multiboot v1 kernel opened in the app (a kvm-unit-tests `.flat`, or any multiboot ELF): the
//! loader's image of it, how to boot it under a model, and kvm-unit-tests' verdict read from its
//! console and its debug-exit code.
use nestscope_core::Model;
use nestscope_core::Stop;
use nestscope_core::loader::{self, BootConfig, BootImage, Format, multiboot};
use nestscope_core::machine::DEFAULT_MEM_MIB;
use nestscope_core::sim::Sim;
use crate::components::disassembly::{Line, listing as listing_fn};
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
        Ok(Kernel { name: name.into(), append: cfg.append, image: Rc::new(image) })
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
}

/// Lines of the listing shown on each side of RIP (a kernel's listing has tens of thousands).
pub const WINDOW: usize = 100;

/// The part of a kernel's `listing` around `rip`; where RIP lies outside it (code copied
/// elsewhere), the instructions in `mem` at RIP's address (kvm-unit-tests maps its RAM 1:1).
pub fn window(listing: &[Line], rip: u64, mem: &nestscope_core::mem::PhysMem) -> Vec<Line> {
    let i = listing.partition_point(|l| l.addr < rip);
    if listing.get(i).is_some_and(|l| l.addr == rip) {
        return listing[i.saturating_sub(WINDOW)..(i + WINDOW).min(listing.len())].to_vec();
    }
    let mut code = vec![0u8; 16 * WINDOW];
    while !code.is_empty() && mem.read(nestscope_core::mem::Hpa(rip), &mut code).is_err() {
        code.truncate(code.len() / 2);
    }
    let mut lines = listing_fn(&code, rip);
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

//! Format v2: the payload inside the container (container.rs). Little-endian sections, each length
//! bounded before anything is allocated:
//!
//! ```text
//! u32 state_len    state JSON: the MachineRecord (state.rs) with an empty `pages`
//! u32 program_len  the program image (0: not recorded)
//! u32 page_count   then per page, in increasing page order:
//!                  u32 page number, u8 kind (0 = all zero, 1 = 4096 bytes follow)
//! ```
//!
//! Memory is stored as a difference from the *base*: the RAM of a fresh run of the same model
//! with the program loaded (CONTRACT §1 tables, L0's own VMCBs and NPT, the program image). A page
//! equal to its base page is not stored; a page that became zero is one byte of kind.
use super::container;
use std::collections::BTreeMap;
use super::format::CheckpointError;
use super::persist::{sim_from_record, sim_record};
use super::state::MachineRecord;
use crate::hv::L0Config;
use crate::mem::phys::PAGE_SIZE;
use crate::mem::{Hpa, PhysMem};
use crate::sim::Sim;

const ZERO: [u8; PAGE_SIZE] = [0; PAGE_SIZE];

fn field(name: &str, why: impl Into<String>) -> CheckpointError {
    CheckpointError::Field { field: name.into(), why: why.into() }
}

/// The RAM a fresh run of `rec`'s model starts with (`program`, or a one-byte NOP when the file
/// has none; a kernel run's: the kernel booted as `rec.boot` says).
fn base_memory(rec: &MachineRecord, program: Option<&[u8]>) -> Result<PhysMem, CheckpointError> {
    let model: crate::model::Model = rec.model.parse().map_err(|e: crate::model::UnknownModel| field("model", e.to_string()))?;
    if let Some(b) = &rec.boot {
        let kernel = program.ok_or_else(|| field("boot", "a kernel run needs its kernel (the program section is empty)"))?;
        let cfg = crate::loader::multiboot::BootConfig { ram_bytes: b.ram_mib << 20, progname: b.progname.clone(), append: b.append.clone() };
        let img = crate::loader::multiboot::load(kernel, &cfg).map_err(|e| field("boot", format!("the kernel does not load: {e}")))?;
        let mut sim = Sim::boot(&img, model).map_err(|e| field("boot", e.to_string()))?;
        return Ok(std::mem::replace(&mut sim.machine_mut().mem, PhysMem::new(0)));
    }
    let (mem_mib, config) = match &rec.l0 {
        Some(l) => (l.l1_mem_mib, L0Config { pat: l.config.pat }),
        None => (rec.mem_mib, L0Config::default()),
    };
    let sim = Sim::new(program.unwrap_or(&[0x90]), mem_mib, model, &config).map_err(|e| field("program", e.to_string()))?;
    let mut sim = sim;
    Ok(std::mem::replace(&mut sim.machine_mut().mem, PhysMem::new(0)))
}

/// The pages allocated in either memory, by page number: (number, page in `a`, page in `b`),
/// an unbacked page reading as zeros.
fn touched<'m>(a: &'m PhysMem, b: &'m PhysMem) -> BTreeMap<u64, (&'m [u8; PAGE_SIZE], &'m [u8; PAGE_SIZE])> {
    let mut v = BTreeMap::new();
    for (pn, p) in a.pages() {
        v.insert(pn, (p, &ZERO));
    }
    for (pn, p) in b.pages() {
        v.entry(pn).or_insert((&ZERO, p)).1 = p;
    }
    v
}

/// A v2 file of `sim`; `program` is the image the run started from (stored once; memory is
/// deduplicated against it).
pub fn save(sim: &Sim, program: Option<&[u8]>, boot: Option<&super::state::BootRecord>) -> Vec<u8> {
    let mut rec = sim_record(sim, false);
    rec.boot = boot.cloned();
    // A program that does not fit this run's model is not recorded (the base is then the layout).
    let (base, program) = match base_memory(&rec, program) {
        Ok(b) => (b, program),
        Err(_) => {
            rec.boot = None;
            #[allow(clippy::expect_used, reason = "the run's own model and RAM size always make a machine")]
            (base_memory(&rec, None).expect("a running model has a base"), None)
        }
    };
    let mem = &sim.machine().mem;
    #[allow(clippy::expect_used, reason = "plain derived records (string keys only) always serialize")]
    let state = serde_json::to_vec(&rec).expect("records serialize");
    // Streamed into the compressor section by section: memory is the file, not the raw payload.
    let mut out = container::Sealer::new(rec.mem_mib as u32);
    out.write(&(state.len() as u32).to_le_bytes());
    out.write(&state);
    drop(state);
    let p = program.unwrap_or(&[]);
    out.write(&(p.len() as u32).to_le_bytes());
    out.write(p);
    let pages = touched(mem, &base);
    let count = pages.values().filter(|(now, was)| now != was).count() as u32;
    out.write(&count.to_le_bytes());
    for (pn, (now, was)) in pages {
        if now == was {
            continue;
        }
        out.write(&(pn as u32).to_le_bytes());
        if now == &ZERO {
            out.write(&[0]);
        } else {
            out.write(&[1]);
            out.write(now);
        }
    }
    out.finish()
}

/// Reads sections off the payload as it decompresses, with bounds checks.
struct Cursor<'f> {
    u: container::Unsealer<'f>,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<Vec<u8>, CheckpointError> {
        if n as u64 > self.u.left() {
            return Err(CheckpointError::Truncated { what: what.into(), have: self.u.left(), need: n as u64 });
        }
        let mut v = vec![0; n];
        self.u.read(&mut v, what)?;
        Ok(v)
    }
    fn u32(&mut self, what: &str) -> Result<u32, CheckpointError> {
        let mut b = [0; 4];
        self.u.read(&mut b, what)?;
        Ok(u32::from_le_bytes(b))
    }
    fn u8(&mut self, what: &str) -> Result<u8, CheckpointError> {
        let mut b = [0; 1];
        self.u.read(&mut b, what)?;
        Ok(b[0])
    }
}

/// The parts of a v2 file.
pub struct Parsed {
    pub header: container::Header,
    pub record: MachineRecord,
    pub program: Option<Vec<u8>>,
    /// RAM: the base with the stored pages over it.
    pub mem: PhysMem,
    /// Pages stored with their contents, and pages stored as "now zero".
    pub stored_pages: u64,
    pub stored_zero_pages: u64,
}

/// Parses and checks a v2 file into its record, program and RAM. The pages are read straight
/// into the machine's RAM: loading needs the file, the RAM and the base (a fresh run's RAM).
pub fn parse(file: &[u8]) -> Result<Parsed, CheckpointError> {
    let mut c = Cursor { u: container::Unsealer::new(file)? };
    let header = c.u.header().clone();
    let mem_bytes = (header.mem_mib as u64) << 20;
    let state_len = c.u32("state length")? as u64;
    if state_len > container::MAX_STATE_BYTES {
        return Err(field("state", format!("{state_len} bytes is more than {}", container::MAX_STATE_BYTES)));
    }
    let state = c.take(state_len as usize, "state")?;
    let rec: MachineRecord = serde_json::from_slice(&state).map_err(|e| field("state", e.to_string()))?;
    drop(state);
    if rec.mem_mib != header.mem_mib as u64 {
        return Err(field("mem_mib", format!("{} MiB but the header says {}", rec.mem_mib, header.mem_mib)));
    }
    if !rec.pages.is_empty() {
        return Err(field("pages", "v2 keeps memory in its page section, not in the state"));
    }
    super::validate::record(&rec)?;
    let program_len = c.u32("program length")? as u64;
    if program_len > mem_bytes {
        return Err(field("program", format!("{program_len} bytes is more than RAM")));
    }
    let program = (program_len > 0).then(|| c.take(program_len as usize, "program")).transpose()?;
    let base = base_memory(&rec, program.as_deref())?;
    let count = c.u32("page count")? as u64;
    let npages = mem_bytes >> 12;
    if count > npages {
        return Err(field("pages", format!("{count} pages in a {} MiB machine", header.mem_mib)));
    }
    // The base first (RAM is allocated page by page as it is written), then the stored pages
    // over it, read one at a time.
    let mut mem = PhysMem::new(mem_bytes);
    for (pn, p) in base.pages() {
        if p != &ZERO {
            mem.write(Hpa(pn << 12), p).map_err(|e| field("pages", format!("base page {} outside RAM", e.0)))?;
        }
    }
    drop(base);
    let (mut stored_pages, mut stored_zero_pages) = (0, 0);
    let mut last = None;
    let mut page = [0u8; PAGE_SIZE];
    for _ in 0..count {
        let pn = c.u32("page number")? as u64;
        if pn >= npages {
            return Err(field("pages", format!("page {pn:#x} lies outside {} MiB of RAM", header.mem_mib)));
        }
        if last.is_some_and(|l| pn <= l) {
            return Err(field("pages", format!("page {pn:#x} is out of order or repeated")));
        }
        last = Some(pn);
        match c.u8("page kind")? {
            0 => {
                stored_zero_pages += 1;
                page = ZERO;
            }
            1 => {
                stored_pages += 1;
                c.u.read(&mut page, "page data")?;
            }
            k => return Err(field("pages", format!("page {pn:#x} has kind {k} (0 zero, 1 data)"))),
        }
        // A page that is now zero over a zero base page stays unallocated.
        let base_nonzero = mem.page(Hpa(pn << 12)).map_err(|e| field("pages", format!("page {} outside RAM", e.0)))? != &ZERO;
        if page != ZERO || base_nonzero {
            mem.write(Hpa(pn << 12), &page).map_err(|e| field("pages", format!("page {} outside RAM", e.0)))?;
        }
    }
    c.u.finish()?;
    Ok(Parsed { header, record: rec, program, mem, stored_pages, stored_zero_pages })
}

/// Loads a v2 file: the run and the program it records.
pub fn load(file: &[u8]) -> Result<super::Loaded, CheckpointError> {
    let p = parse(file)?;
    Ok(super::Loaded { sim: sim_from_record(&p.record, p.mem)?, program: p.program, version: 2, boot: p.record.boot })
}

//! A small direct-mapped software TLB for linear → physical translations (4 KiB granules), with
//! the translations of a few recent *contexts* (host, guest) kept across world switches.
//!
//! Entries record the effective permissions of the walk that filled them. A lookup only hits
//! when the cached permissions allow the access without any page-table update (for a write the
//! leaf must already be dirty), so every fault and every A/D update still goes through the
//! walker. Flushed on MOV CR0/CR3/CR4, EFER.NXE changes, INVLPG and INVLPG(A).
//!
//! World switches (VMRUN, #VMEXIT) architecturally may flush (TLB_CONTROL) and this model has
//! always behaved as if they flushed everything: after a switch every translation is walked
//! again. Re-walking costs a 2-D walk per page after each of the four switches of a nested round
//! trip, so instead the entries of the context being left are kept, tagged with their generation,
//! and used again when that context comes back — but only if no page-table page has been written
//! since the generation began (`PhysMem::pt_writes`, which counts writes to pages a walker has
//! read). Kept entries are then exactly what re-walking would produce (the walks would read the
//! same entries; their A bits, and the D bits the cached permissions rely on, are already set),
//! so what a program observes is unchanged: it is still "flushed on every world switch".
use crate::mem::paging::Access;
use crate::svm::state::NestedPaging;

pub const TLB_ENTRIES: usize = 512;

pub mod perm {
    pub const WRITABLE: u8 = 1 << 0;
    pub const USER: u8 = 1 << 1;
    pub const NX: u8 = 1 << 2;
    pub const DIRTY: u8 = 1 << 3;
    pub const GLOBAL: u8 = 1 << 4;
}

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// Linear page address | 1 (0 = invalid).
    tag: u64,
    /// Physical page address.
    page: u64,
    perm: u8,
    /// The flush epoch the entry was filled in; entries of older epochs are invalid.
    epoch: u32,
}

/// Everything a translation depends on besides memory: the paging registers and, for a guest with
/// nested paging, nCR3 and the host paging mode of the nested walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbContext {
    pub cr0: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
    pub np: Option<NestedPaging>,
}

/// A context left by a world switch: its generation (entries tagged with it are its entries) and
/// the page-table write count when that generation began.
#[derive(Clone, Copy, Debug)]
struct Parked {
    ctx: TlbContext,
    epoch: u32,
    since: u64,
}

/// How many left contexts are kept (a nested round trip alternates between two).
const PARKED: usize = 4;

#[derive(Clone, Debug)]
pub struct Tlb {
    entries: Box<[Entry; TLB_ENTRIES]>,
    /// The generation of the current context: only entries tagged with it hit. A flush starts a
    /// new generation (O(1) instead of clearing every entry).
    epoch: u32,
    /// The last generation handed out.
    last_epoch: u32,
    /// `PhysMem::pt_writes` when the current generation began.
    since: u64,
    /// Contexts left by world switches. The current context is never among them, so a generation
    /// belongs to at most one context.
    parked: [Option<Parked>; PARKED],
    /// Where the next parked context goes when all slots are used.
    victim: usize,
    /// Switches that found the entering context's translations still valid / had to start empty
    /// (shown by benchmarks and tests; not architectural).
    pub reuses: u64,
    pub fresh: u64,
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb {
            entries: Box::new([Entry::default(); TLB_ENTRIES]),
            epoch: 1,
            last_epoch: 1,
            since: 0,
            parked: [None; PARKED],
            victim: 0,
            reuses: 0,
            fresh: 0,
        }
    }
}

#[inline]
fn slot(la: u64) -> usize {
    // Fold higher page-number bits in so that e.g. 0x100000 and 0x200000 do not collide.
    let vpn = la >> 12;
    ((vpn ^ (vpn >> 9)) as usize) & (TLB_ENTRIES - 1)
}

impl Tlb {
    /// The physical address for `la` if a cached translation permits `acc` (`wp`, `nxe` are
    /// the current CR0.WP and EFER.NXE).
    #[inline]
    pub fn lookup(&self, la: u64, acc: Access, wp: bool, nxe: bool) -> Option<u64> {
        let e = &self.entries[slot(la)];
        if e.tag != (la & !0xfff) | 1 || e.epoch != self.epoch {
            return None;
        }
        let p = e.perm;
        if acc.user && p & perm::USER == 0 {
            return None;
        }
        if acc.write && (p & perm::DIRTY == 0 || (p & perm::WRITABLE == 0 && (acc.user || wp))) {
            return None;
        }
        if acc.fetch && nxe && p & perm::NX != 0 {
            return None;
        }
        Some(e.page | (la & 0xfff))
    }

    #[inline]
    pub fn insert(&mut self, la: u64, pa: u64, perm: u8) {
        self.entries[slot(la)] = Entry { tag: (la & !0xfff) | 1, page: pa & !0xfff, perm, epoch: self.epoch };
    }

    /// Drops every translation, of the current context and of the parked ones.
    pub fn flush_all(&mut self, pt_writes: u64) {
        self.parked = [None; PARKED];
        self.new_generation(pt_writes);
    }

    /// Starts an empty generation for the current context.
    fn new_generation(&mut self, pt_writes: u64) {
        self.last_epoch = self.last_epoch.wrapping_add(1);
        if self.last_epoch == 0 {
            // After 2^32 generations: really clear, so no ancient entry can match a new one.
            self.entries.fill(Entry::default());
            self.parked = [None; PARKED];
            self.last_epoch = 1;
        }
        self.epoch = self.last_epoch;
        self.since = pt_writes;
    }

    /// A world switch from context `from` to `to` (`None`: code that does not translate, the L0
    /// model's Rust code). Observably a full flush; see the module comment for why the entries of
    /// `from` may be kept and those of `to` reused.
    pub fn switch(&mut self, from: Option<TlbContext>, to: Option<TlbContext>, pt_writes: u64) {
        if let Some(ctx) = from {
            self.parked.iter_mut().filter(|p| p.is_some_and(|p| p.ctx == ctx)).for_each(|p| *p = None);
            if self.since == pt_writes {
                let slot = match self.parked.iter().position(Option::is_none) {
                    Some(i) => i,
                    None => {
                        self.victim = (self.victim + 1) % PARKED;
                        self.victim
                    }
                };
                self.parked[slot] = Some(Parked { ctx, epoch: self.epoch, since: self.since });
            }
        }
        let found = to.and_then(|ctx| self.parked.iter().position(|p| p.is_some_and(|p| p.ctx == ctx)));
        match found {
            Some(i) => {
                let p = self.parked[i].take().expect("found");
                if p.since == pt_writes {
                    self.epoch = p.epoch;
                    self.since = p.since;
                    self.reuses += 1;
                    return;
                }
                self.new_generation(pt_writes);
            }
            None => self.new_generation(pt_writes),
        }
        self.fresh += 1;
    }

    /// Flushes all entries but global ones (MOV CR3 with CR4.PGE set).
    pub fn flush_nonglobal(&mut self) {
        for e in self.entries.iter_mut() {
            if e.epoch == self.epoch && e.perm & perm::GLOBAL == 0 {
                *e = Entry::default();
            }
        }
    }

    /// Drops the translation of one 4 KiB page.
    pub fn flush_page(&mut self, la: u64) {
        let e = &mut self.entries[slot(la)];
        if e.tag == (la & !0xfff) | 1 && e.epoch == self.epoch {
            *e = Entry::default();
        }
    }
}

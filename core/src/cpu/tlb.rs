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
use crate::mem::NestedPaging;

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
#[allow(clippy::cast_possible_truncation, reason = "a hash: only the low bits, masked to the table size, are kept")]
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
        let found = to.and_then(|ctx| self.parked.iter_mut().find(|p| p.is_some_and(|p| p.ctx == ctx)));
        match found.and_then(Option::take) {
            Some(p) => {
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
        if to.is_some() {
            self.fresh += 1;
        }
    }

    /// Flushes all entries but global ones (MOV CR3 with CR4.PGE set).
    pub fn flush_nonglobal(&mut self) {
        for e in self.entries.iter_mut() {
            if e.epoch == self.epoch && e.perm & perm::GLOBAL == 0 {
                *e = Entry::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const READ: Access = Access { write: false, user: false, fetch: false };

    fn ctx(cr3: u64) -> TlbContext {
        TlbContext { cr0: 0x8001_0033, cr3, cr4: 0x20, efer: 0xd00, np: None }
    }

    /// host (cr3 0x1000) runs, enters a guest (cr3 0x2000) and comes back, with `pt_writes`
    /// page-table writes in between; does the host's translation of 0x5000 survive?
    fn host_entry_survives(writes_while_away: u64, writes_while_host: u64) -> bool {
        let (host, guest) = (ctx(0x1000), ctx(0x2000));
        let mut t = Tlb::default();
        t.insert(0x5000, 0x9000, perm::WRITABLE);
        let mut pt = writes_while_host;
        t.switch(Some(host), Some(guest), pt);
        assert_eq!(t.lookup(0x5000, READ, true, true), None, "the guest never sees the host's entries");
        t.insert(0x6000, 0x7000, 0);
        pt += writes_while_away;
        t.switch(Some(guest), Some(host), pt);
        t.lookup(0x5000, READ, true, true) == Some(0x9000)
    }

    #[test]
    fn a_context_comes_back_only_if_no_page_table_was_written() {
        // (page-table writes while the guest ran, while the host ran before leaving) → kept?
        for (away, home, kept) in [(0, 0, true), (1, 0, false), (0, 1, false), (5, 5, false)] {
            assert_eq!(host_entry_survives(away, home), kept, "away {away}, home {home}");
        }
    }

    #[test]
    fn each_context_sees_only_its_own_entries_and_flushes_drop_all() {
        let (a, b) = (ctx(0x1000), ctx(0x2000));
        let mut t = Tlb::default();
        // (The TLB is direct-mapped: the two pages use different slots.)
        t.insert(0x5000, 0x9000, 0);
        t.switch(Some(a), Some(b), 0);
        t.insert(0x6000, 0x7000, 0);
        t.switch(Some(b), Some(a), 0);
        assert_eq!(t.lookup(0x5123, READ, true, true), Some(0x9123));
        assert_eq!(t.lookup(0x6123, READ, true, true), None);
        t.switch(Some(a), Some(b), 0);
        assert_eq!(t.lookup(0x6123, READ, true, true), Some(0x7123));
        assert_eq!(t.lookup(0x5123, READ, true, true), None);
        // INVLPG/MOV CRn in b: a flush drops the parked context too.
        t.flush_all(0);
        t.switch(Some(b), Some(a), 0);
        assert_eq!(t.lookup(0x5123, READ, true, true), None);
    }

    #[test]
    fn a_cr3_change_inside_a_context_does_not_leak_into_its_old_key() {
        // a (cr3 0x1000) leaves for L0 and comes back, then switches CR3 to 0x3000 keeping its
        // global entries only; its old key must not find the new CR3's entries later.
        let (a, a2) = (ctx(0x1000), ctx(0x3000));
        let mut t = Tlb::default();
        t.insert(0x5000, 0x9000, 0);
        t.switch(Some(a), None, 0);
        t.switch(None, Some(a), 0);
        assert_eq!(t.lookup(0x5000, READ, true, true), Some(0x9000));
        t.flush_nonglobal();
        t.insert(0x5000, 0x6000, 0);
        t.switch(Some(a2), None, 0);
        t.switch(None, Some(a), 0);
        assert_eq!(t.lookup(0x5000, READ, true, true), None, "0x6000 belongs to cr3 0x3000");
        assert_eq!((t.reuses, t.fresh), (1, 1));
    }
}

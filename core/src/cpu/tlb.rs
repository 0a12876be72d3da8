//! A small direct-mapped software TLB for linear → physical translations (4 KiB granules).
//!
//! Entries record the effective permissions of the walk that filled them. A lookup only hits
//! when the cached permissions allow the access without any page-table update (for a write the
//! leaf must already be dirty), so every fault and every A/D update still goes through the
//! walker. Flushed on MOV CR0/CR3/CR4, EFER.NXE changes, INVLPG, and by the SVM layer through
//! `Machine::flush_tlb` on world switches.
use crate::mem::paging::Access;

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

#[derive(Clone, Debug)]
pub struct Tlb {
    entries: Box<[Entry; TLB_ENTRIES]>,
    /// Bumped by `flush_all` (world switches flush often: O(1) instead of clearing every entry).
    epoch: u32,
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb { entries: Box::new([Entry::default(); TLB_ENTRIES]), epoch: 1 }
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

    pub fn flush_all(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // After 2^32 flushes: really clear, so no ancient entry can match the new epoch.
            self.entries.fill(Entry::default());
            self.epoch = 1;
        }
    }

    /// Flushes all entries but global ones (MOV CR3 with CR4.PGE set).
    pub fn flush_nonglobal(&mut self) {
        for e in self.entries.iter_mut() {
            if e.perm & perm::GLOBAL == 0 {
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

//! The shadow NPT: what L0 gives the hardware as nCR3 while L2 runs with nested paging. It is the
//! composition of L1's NPT (L2 GPA → L1 GPA, vmcb12.nCR3) and L0's NPT (L1 GPA → host PA), built
//! lazily one 4 KiB page per #NPF (reference §7.5). Shadow entries carry no memory-type bits:
//! host PAT entry 0, L1's NPT PWT/PCD/PAT ignored — what KVM does (reference §9.8).
//!
//! Coherence: every page of L1's NPT that a shadow entry was built from is write-protected in
//! L0's NPT; when L1 (or L2) writes such a page, L0 zaps the whole shadow and lifts the
//! protection (a simple form of KVM's write-protection of guest page tables).
//!
//! Keying: the shadow is built from one L1 NPT, named by vmcb12's nCR3 and the L1 EFER.NXE it is
//! walked with — what KVM keys its nested MMU roots by (the root gfn and the role). A VMRUN with
//! another key (`root_for`) drops the shadow and builds the new one on demand, whatever
//! TLB_CONTROL says: KVM keeps a few previous roots cached (`prev_roots`) instead, which is
//! observably the same since those stay write-protected too. (APM 15.25.5: the nested walk starts
//! at the nCR3 of the VMRUN.)
use super::layout::{Layout, NPT_PRU, PAGE, SHADOW_POOL_PAGES, UNBACKED_PAGES};
use crate::mem::phys::OutOfRange;
use crate::mem::{Gpa, Hpa, PhysMem};
use crate::outcome::{EmuError, PhysUse};
use std::collections::{BTreeMap, BTreeSet};

const RW: u64 = 1 << 1;

/// L0's NPT and the shadow pool lie inside host RAM (hv/layout.rs); an access outside it is a bug
/// of the L0 model, reported as an emulator error.
fn oob(e: OutOfRange) -> EmuError {
    EmuError::outside_ram(PhysUse::L0ShadowNpt, e.0)
}
const NX: u64 = 1 << 63;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShadowNpt {
    /// Pages of the pool handed out since the last zap; the first is the root.
    pub used: u64,
    /// L1 guest-physical pages holding L1 NPT tables the shadow was built from (write-protected).
    pub protected: BTreeSet<u64>,
    /// Host page → shadow leaf entries mapping it (to revoke write access when it gets protected).
    pub rmap: BTreeMap<u64, Vec<u64>>,
    /// Statistics for the UI and the benchmark.
    pub fills: u64,
    pub zaps: u64,
    /// An L1 NPT page L2 is writing: left writable (not protected) until the writing instruction
    /// retires, then the shadow is zapped (`settle`). (page, step count when it was exempted.)
    pub exempt: Option<(u64, u64)>,
    /// (nCR3, L1's EFER.NXE) of the L1 NPT the shadow is built from; `None` before the first
    /// nested VMRUN with NP (old checkpoints: the next VMRUN rebuilds).
    pub key: Option<(u64, bool)>,
}

impl ShadowNpt {
    /// The shadow root (allocated on first use).
    pub fn root(&mut self, mem: &mut PhysMem, l: &Layout) -> Result<u64, EmuError> {
        if self.used == 0 {
            // An empty pool always has room: the root is its first page.
            self.alloc(mem, l)?;
        }
        Ok(l.shadow_pool)
    }

    /// The shadow root for L1's NPT at `ncr3` walked with EFER.NXE = `nxe`: a shadow built from
    /// another NPT (another key) is dropped first.
    pub fn root_for(&mut self, mem: &mut PhysMem, l: &Layout, ncr3: u64, nxe: bool) -> Result<u64, EmuError> {
        if self.key != Some((ncr3, nxe)) {
            if self.key.is_some() || self.used != 0 {
                self.zap(mem, l)?;
            }
            self.key = Some((ncr3, nxe));
        }
        self.root(mem, l)
    }

    /// A zeroed page from the pool, `None` when the pool is full.
    fn alloc(&mut self, mem: &mut PhysMem, l: &Layout) -> Result<Option<u64>, EmuError> {
        if self.used >= SHADOW_POOL_PAGES - UNBACKED_PAGES {
            return Ok(None);
        }
        let a = l.shadow_pool + self.used * PAGE;
        mem.write(Hpa(a), &[0u8; crate::mem::phys::PAGE_SIZE]).map_err(oob)?;
        self.used += 1;
        Ok(Some(a))
    }

    /// Drops every shadow entry and lifts all write protection in L0's NPT.
    pub fn zap(&mut self, mem: &mut PhysMem, l: &Layout) -> Result<(), EmuError> {
        for &p in &self.protected {
            let pte = l.npt_pte(Gpa(p));
            let v = mem.read_u64(pte).map_err(oob)?;
            mem.write_u64(pte, v | RW).map_err(oob)?;
        }
        self.protected.clear();
        self.rmap.clear();
        self.used = 0;
        self.zaps = self.zaps.saturating_add(1);
        Ok(())
    }

    /// Write-protects L1 page `gpa_page` (an L1 NPT table page) in L0's NPT and in the shadow.
    pub fn protect(&mut self, mem: &mut PhysMem, l: &Layout, gpa_page: Gpa) -> Result<(), EmuError> {
        let gpa_page = gpa_page.0;
        if self.exempt.is_some_and(|(p, _)| p == gpa_page) || !self.protected.insert(gpa_page) {
            return Ok(());
        }
        let pte = l.npt_pte(Gpa(gpa_page));
        let v = mem.read_u64(pte).map_err(oob)?;
        mem.write_u64(pte, v & !RW).map_err(oob)?;
        for &e in self.rmap.get(&gpa_page).into_iter().flatten() {
            let v = mem.read_u64(Hpa(e)).map_err(oob)?;
            mem.write_u64(Hpa(e), v & !RW).map_err(oob)?;
        }
        Ok(())
    }

    /// After a step: once the instruction that writes the exempt page has retired (`steps` moved
    /// past the exemption), its new entries invalidate what the shadow was built from: zap.
    pub fn settle(&mut self, mem: &mut PhysMem, l: &Layout, steps: u64) -> Result<(), EmuError> {
        if self.exempt.is_some_and(|(_, at)| steps > at) {
            self.exempt = None;
            self.zap(mem, l)?;
        }
        Ok(())
    }

    /// Maps L2 page `gpa2` to host page `hpa` with the given permissions (4 KiB leaf). Returns
    /// false when the pool is exhausted (the caller zaps and retries).
    /// (`protected` and `rmap` are keyed by L1 page: the same number as the host page, since L1's
    /// RAM lies at host-physical 0.)
    pub fn map(&mut self, mem: &mut PhysMem, l: &Layout, gpa2: Gpa, hpa: Hpa, writable: bool, nx: bool) -> Result<bool, EmuError> {
        let (gpa2, hpa) = (gpa2.0, hpa.0);
        let mut table = self.root(mem, l)?;
        for level in (2..=4u32).rev() {
            let idx = (gpa2 >> (12 + 9 * (level - 1))) & 0x1ff;
            let ea = table + idx * 8;
            let e = mem.read_u64(Hpa(ea)).map_err(oob)?;
            table = if e & 1 != 0 {
                e & 0x000f_ffff_ffff_f000
            } else {
                let Some(t) = self.alloc(mem, l)? else { return Ok(false) };
                mem.write_u64(Hpa(ea), t | NPT_PRU).map_err(oob)?;
                t
            };
        }
        let ea = table + ((gpa2 >> 12) & 0x1ff) * 8;
        let page = hpa & !(PAGE - 1);
        let w = writable && !self.protected.contains(&page);
        let leaf = page | NPT_PRU & !(if w { 0 } else { RW }) | if nx { NX } else { 0 };
        mem.write_u64(Hpa(ea), leaf).map_err(oob)?;
        self.rmap.entry(page).or_default().push(ea);
        self.fills = self.fills.saturating_add(1);
        Ok(true)
    }
}

//! Parsed VMCBs kept by page and write generation, so a VMCB that nobody wrote since it was last
//! parsed or written is not parsed again.
//!
//! A nested round trip under an L0 model touches vmcb01, vmcb02 and vmcb12 about fourteen times
//! (the hardware's VMRUN and #VMEXIT, L0's emulation); only vmcb12, which L1 edits, really
//! changes between them. An entry is valid while the page's write generation
//! (`PhysMem::page_generation`) is the one recorded with it, so any write to the page — by the
//! guest, by L0, by the user — makes the next read parse the page again. This is the same idea as
//! the VMCB clean bits (reference §1.4), but exact: it never trusts what software claims.
use super::Vmcb;
use crate::cpu::processor::Processor;
use crate::svm::SvmState;
use crate::mem::Hpa;
use crate::mem::phys::OutOfRange;

const SLOTS: usize = 4;

#[derive(Clone, Debug)]
struct Slot {
    pa: u64,
    generation: u32,
    v: Box<Vmcb>,
}

#[derive(Clone, Debug, Default)]
pub struct VmcbCache {
    // (not architectural state: never saved, and equal to any other cache: see `PartialEq`)
    slots: [Option<Slot>; SLOTS],
    next: usize,
    /// Reads answered from the cache / parsed from memory (tests and benchmarks).
    pub hits: u64,
    pub misses: u64,
}

/// A VMCB lent out of the cache (no copy); give it back with `Processor::give_back_vmcb` or store
/// it with `Processor::write_lent_vmcb`. Dropping it only costs the cache entry.
pub(crate) struct LentVmcb {
    pa: u64,
    generation: u32,
    pub v: Box<Vmcb>,
}

/// A cache is not state: two SVM states are equal whatever their caches hold.
impl PartialEq for VmcbCache {
    fn eq(&self, _: &VmcbCache) -> bool {
        true
    }
}

impl VmcbCache {
    /// Takes the entry of `pa` out, valid or not.
    fn take(&mut self, pa: u64) -> Option<Slot> {
        self.slots.iter_mut().find(|s| s.as_ref().is_some_and(|s| s.pa == pa)).and_then(Option::take)
    }

    fn put(&mut self, slot: Slot) {
        let i = match self.slots.iter().position(|s| s.as_ref().is_some_and(|s| s.pa == slot.pa)) {
            Some(i) => i,
            None => match self.slots.iter().position(Option::is_none) {
                Some(i) => i,
                None => {
                    self.next = (self.next + 1) % SLOTS;
                    self.next
                }
            },
        };
        self.slots[i] = Some(slot);
    }
}

impl Processor<SvmState> {
    /// The VMCB at `pa` (page-aligned VMCBs are cached; see the module comment).
    pub fn read_vmcb(&mut self, pa: Hpa) -> Result<Vmcb, OutOfRange> {
        if pa.0 & 0xfff != 0 {
            return Vmcb::read_from(&self.mem, pa);
        }
        let l = self.lend_vmcb(pa)?;
        let v = (*l.v).clone();
        self.give_back_vmcb(l);
        Ok(v)
    }

    /// The VMCB at page-aligned `pa`, from the cache when nobody wrote the page since, else parsed.
    pub(crate) fn lend_vmcb(&mut self, pa: Hpa) -> Result<LentVmcb, OutOfRange> {
        let page = self.mem.page(pa)?;
        let generation = self.mem.page_generation(pa);
        let cache = &mut self.svm.vmcb_cache;
        match cache.take(pa.0) {
            Some(s) if s.generation == generation => {
                cache.hits += 1;
                Ok(LentVmcb { pa: pa.0, generation, v: s.v })
            }
            old => {
                cache.misses += 1;
                let mut v = old.map_or_else(Box::default, |s| s.v);
                v.control = super::VmcbControl::from_page(page);
                v.save = super::VmcbSave::from_page(page);
                Ok(LentVmcb { pa: pa.0, generation, v })
            }
        }
    }

    pub(crate) fn give_back_vmcb(&mut self, l: LentVmcb) {
        self.svm.vmcb_cache.put(Slot { pa: l.pa, generation: l.generation, v: l.v });
    }

    /// An all-zero VMCB to build and then store at page-aligned `pa` with `write_lent_vmcb`.
    pub(crate) fn blank_vmcb(&mut self, pa: Hpa) -> LentVmcb {
        let v = match self.svm.vmcb_cache.take(pa.0) {
            Some(mut s) => {
                s.v.control = Default::default();
                s.v.save = Default::default();
                s.v
            }
            None => Box::default(),
        };
        LentVmcb { pa: pa.0, generation: 0, v }
    }

    /// Writes every field of a lent VMCB into its page and keeps it as the parsed copy.
    pub(crate) fn write_lent_vmcb(&mut self, mut l: LentVmcb) -> Result<(), OutOfRange> {
        l.v.write_to(&mut self.mem, Hpa(l.pa))?;
        l.generation = self.mem.page_generation(Hpa(l.pa));
        self.give_back_vmcb(l);
        Ok(())
    }

    /// Writes every field of `v` into the VMCB at `pa` and remembers the result.
    pub fn write_vmcb(&mut self, pa: Hpa, v: &Vmcb) -> Result<(), OutOfRange> {
        v.write_to(&mut self.mem, pa)?;
        if pa.0 & 0xfff == 0 {
            let generation = self.mem.page_generation(pa);
            match self.svm.vmcb_cache.take(pa.0) {
                Some(mut s) => {
                    (*s.v).clone_from(v);
                    s.generation = generation;
                    self.svm.vmcb_cache.put(s);
                }
                None => self.svm.vmcb_cache.put(Slot { pa: pa.0, generation, v: Box::new(v.clone()) }),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A processor with 4 MiB of RAM and the SVM extension (no program: the tests only use RAM).
    fn machine() -> Processor<SvmState> {
        let model = crate::svm::SvmModel::Bare;
        Processor::new(crate::cpu::Cpu::contract_entry(), crate::mem::PhysMem::new(4 << 20), SvmState::new(model))
    }

    #[test]
    fn a_write_by_anyone_is_seen_by_the_next_read() {
        let mut m = machine();
        let pa = Hpa(0x20_0000);
        let mut v = Vmcb::default();
        v.save.rip = 0x1234;
        m.write_vmcb(pa, &v).unwrap();
        assert_eq!(m.read_vmcb(pa).unwrap().save.rip, 0x1234);
        assert_eq!((m.svm.vmcb_cache.hits, m.svm.vmcb_cache.misses), (1, 0));
        // A guest store into the save area (RIP, reference §1.3) behind the cache.
        crate::svm::vmcb::save_f::rip.write(&mut m.mem, pa, 0x5678).unwrap();
        assert_eq!(m.read_vmcb(pa).unwrap().save.rip, 0x5678);
        assert_eq!(m.svm.vmcb_cache.misses, 1);
        // A write into another page leaves the entry valid; a lent copy comes back valid.
        let l = m.lend_vmcb(pa).unwrap();
        assert_eq!(l.v.save.rip, 0x5678);
        m.give_back_vmcb(l);
        m.mem.write_u64(Hpa(pa.0 + 0x1000), 1).unwrap();
        assert_eq!(m.read_vmcb(pa).unwrap().save.rip, 0x5678);
        assert_eq!((m.svm.vmcb_cache.hits, m.svm.vmcb_cache.misses), (3, 1));
        // A blank VMCB written over it is what the next read sees, field for field.
        let mut b = m.blank_vmcb(pa);
        b.v.control.asid = 7;
        m.write_lent_vmcb(b).unwrap();
        let back = m.read_vmcb(pa).unwrap();
        assert_eq!((back.control.asid, back.save.rip), (7, 0));
        assert_eq!(back, Vmcb::read_from(&m.mem, pa).unwrap());
    }

    #[test]
    fn more_vmcbs_than_slots_still_read_their_own_contents() {
        let mut m = machine();
        for i in 0..(2 * SLOTS as u64) {
            let mut v = Vmcb::default();
            v.control.asid = i as u32 + 1;
            m.write_vmcb(Hpa(0x20_0000 + i * 0x1000), &v).unwrap();
        }
        for round in 0..2 {
            for i in 0..(2 * SLOTS as u64) {
                let v = m.read_vmcb(Hpa(0x20_0000 + i * 0x1000)).unwrap();
                assert_eq!(v.control.asid, i as u32 + 1, "round {round}, VMCB {i}");
            }
        }
    }
}

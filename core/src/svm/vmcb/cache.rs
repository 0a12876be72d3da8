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
use crate::machine::Machine;
use crate::mem::Hpa;
use crate::mem::phys::OutOfRange;

const SLOTS: usize = 4;

#[derive(Clone, Debug, Default)]
pub struct VmcbCache {
    slots: [Option<(u64, u32, Box<Vmcb>)>; SLOTS],
    next: usize,
    /// Reads answered from the cache / parsed from memory (tests and benchmarks).
    pub hits: u64,
    pub misses: u64,
}

impl VmcbCache {
    fn find(&self, pa: u64, generation: u32) -> Option<&Vmcb> {
        self.slots.iter().flatten().find(|s| s.0 == pa && s.1 == generation).map(|s| &*s.2)
    }

    fn store(&mut self, pa: u64, generation: u32, v: &Vmcb) {
        let i = match self.slots.iter().position(|s| s.as_ref().is_some_and(|s| s.0 == pa)) {
            Some(i) => i,
            None => {
                self.next = (self.next + 1) % SLOTS;
                self.next
            }
        };
        match &mut self.slots[i] {
            Some(s) if s.0 == pa => {
                s.1 = generation;
                (*s.2).clone_from(v);
            }
            slot => *slot = Some((pa, generation, Box::new(v.clone()))),
        }
    }
}

impl Machine {
    /// The VMCB at `pa` (page-aligned VMCBs are cached; see the module comment).
    pub fn read_vmcb(&mut self, pa: Hpa) -> Result<Vmcb, OutOfRange> {
        if pa.0 & 0xfff != 0 {
            return Vmcb::read_from(&self.mem, pa);
        }
        let generation = self.mem.page_generation(pa);
        if let Some(v) = self.vmcb_cache.find(pa.0, generation) {
            let v = v.clone();
            self.vmcb_cache.hits += 1;
            return Ok(v);
        }
        let v = Vmcb::read_from(&self.mem, pa)?;
        self.vmcb_cache.misses += 1;
        self.vmcb_cache.store(pa.0, generation, &v);
        Ok(v)
    }

    /// Writes every field of `v` into the VMCB at `pa` and remembers the result.
    pub fn write_vmcb(&mut self, pa: Hpa, v: &Vmcb) -> Result<(), OutOfRange> {
        v.write_to(&mut self.mem, pa)?;
        if pa.0 & 0xfff == 0 {
            let generation = self.mem.page_generation(pa);
            self.vmcb_cache.store(pa.0, generation, v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn machine() -> Machine {
        Machine::new(&[0xf4], 4).expect("machine")
    }

    #[test]
    fn a_write_by_anyone_is_seen_by_the_next_read() {
        let mut m = machine();
        let pa = Hpa(0x20_0000);
        let mut v = Vmcb::default();
        v.save.rip = 0x1234;
        m.write_vmcb(pa, &v).unwrap();
        assert_eq!(m.read_vmcb(pa).unwrap().save.rip, 0x1234);
        assert_eq!((m.vmcb_cache.hits, m.vmcb_cache.misses), (1, 0));
        // A guest store into the save area (RIP at VMCB+0x578, reference §1.3) behind the cache.
        m.mem.write_u64(Hpa(pa.0 + 0x578), 0x5678).unwrap();
        assert_eq!(m.read_vmcb(pa).unwrap().save.rip, 0x5678);
        assert_eq!(m.vmcb_cache.misses, 1);
        // A write into another page leaves the entry valid.
        m.mem.write_u64(Hpa(pa.0 + 0x1000), 1).unwrap();
        assert_eq!(m.read_vmcb(pa).unwrap().save.rip, 0x5678);
        assert_eq!(m.vmcb_cache.misses, 1);
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

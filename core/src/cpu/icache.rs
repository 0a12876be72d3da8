//! The decoded-instruction cache, keyed by (RIP, physical address of RIP).
//!
//! Keying by the physical address means a remapped linear page never returns stale bytes, and
//! keeping RIP in the key keeps RIP-relative operands and branch targets right when one physical
//! page is mapped at several linear addresses. Each entry records the write generation of its
//! physical page (`PhysMem::page_generation`): any store into that page — self-modifying code,
//! a loader, the SVM layer writing guest memory — invalidates exactly that page's entries.
//! Instructions that straddle a page boundary are never cached.
use crate::cpu::exec::fast::{classify, Fast};
use iced_x86::Instruction;

pub const ICACHE_ENTRIES: usize = 4096;

#[derive(Clone, Copy, Debug, Default)]
pub struct Entry {
    rip: u64,
    /// Physical address + 1 (0 = invalid).
    pa: u64,
    generation: u32,
    /// The pre-decoded form (or `Fast::Generic`).
    pub fast: Fast,
    /// Address of the next instruction.
    pub next: u64,
    pub ins: Instruction,
}

#[derive(Clone, Debug)]
pub struct DecodeCache {
    entries: Vec<Entry>,
    pub hits: u64,
    pub misses: u64,
}

impl Default for DecodeCache {
    fn default() -> Self {
        DecodeCache { entries: vec![Entry::default(); ICACHE_ENTRIES], hits: 0, misses: 0 }
    }
}

#[inline]
#[allow(clippy::cast_possible_truncation, reason = "a hash: only the low bits, masked to the table size, are kept")]
fn slot(pa: u64) -> usize {
    ((pa ^ (pa >> 12)) as usize) & (ICACHE_ENTRIES - 1)
}

impl DecodeCache {
    #[inline]
    pub fn lookup(&self, rip: u64, pa: u64, generation: u32) -> Option<&Entry> {
        let e = &self.entries[slot(pa)];
        if e.pa == pa.wrapping_add(1) && e.rip == rip && e.generation == generation { Some(e) } else { None }
    }

    #[inline]
    pub fn insert(&mut self, rip: u64, pa: u64, generation: u32, ins: &Instruction) {
        self.entries[slot(pa)] =
            Entry { rip, pa: pa.wrapping_add(1), generation, fast: classify(ins), next: ins.next_ip(), ins: *ins };
    }

    /// Replaces the fast form of the entry just inserted for (`rip`, `pa`) (an idiom recognized
    /// from the instructions around it: exec/fill.rs).
    pub fn set_fast(&mut self, rip: u64, pa: u64, fast: Fast) {
        let e = &mut self.entries[slot(pa)];
        if e.pa == pa.wrapping_add(1) && e.rip == rip {
            e.fast = fast;
        }
    }

    pub fn clear(&mut self) {
        self.entries.fill(Entry::default());
    }
}

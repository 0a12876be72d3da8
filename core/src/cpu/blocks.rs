//! Basic blocks of pre-decoded fast forms (exec/fast.rs), for the run loop's inner loop
//! (cpu/run_fast.rs): the fast forms from an address up to and including the first branch, the
//! first instruction that leaves the page, or the first one without a fast form (excluded), at
//! most `MAX_OPS`.
//!
//! Keyed like the decode cache (cpu/icache.rs), by (RIP, physical address) and the code page's
//! write generation, so a store into the page — self-modifying code, a loader — retires every
//! block on it; a block is built from the decode cache's entries (decoding the instructions it
//! lacks, exactly as a fetch would), so it holds the same forms the instructions have one by
//! one. Not architectural state: a clone (a time-travel snapshot) starts empty.
use crate::cpu::exec::fast::Fast;

/// Ops a block holds at most.
pub const MAX_OPS: usize = 16;
/// Blocks the cache holds.
const BLOCKS: usize = 1024;

/// One instruction of a block.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockOp {
    pub fast: Fast,
    /// The address of the next instruction.
    pub next: u64,
    /// The form may store to memory (the code page's generation is checked after it).
    pub stores: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Block {
    rip: u64,
    /// Physical address + 1 (0 = invalid).
    pa: u64,
    generation: u32,
    len: u8,
}

#[derive(Debug, Default)]
pub struct BlockCache {
    /// Empty until the first block is inserted.
    blocks: Vec<Block>,
    /// `MAX_OPS` slots per block.
    ops: Vec<BlockOp>,
}

/// A clone starts empty (a cache, rebuilt on demand).
impl Clone for BlockCache {
    fn clone(&self) -> Self {
        BlockCache::default()
    }
}

#[inline(always)]
#[allow(clippy::cast_possible_truncation, reason = "a hash: only the low bits, masked to the table size, are kept")]
fn slot(pa: u64) -> usize {
    ((pa ^ (pa >> 10)) as usize) & (BLOCKS - 1)
}

/// The form may write memory.
pub fn stores(f: &Fast) -> bool {
    matches!(
        f,
        Fast::AluMR { .. }
            | Fast::AluMI { .. }
            | Fast::Store { .. }
            | Fast::StoreI { .. }
            | Fast::Call { .. }
            | Fast::Push { .. }
            | Fast::FillLoop { .. }
    )
}

/// The form ends a block (it may transfer control).
pub fn ends_block(f: &Fast) -> bool {
    matches!(f, Fast::Jcc { .. } | Fast::Jmp { .. } | Fast::Call { .. } | Fast::Ret | Fast::FillLoop { .. })
}

impl BlockCache {
    /// The block at (`rip`, `pa`) of the page's `generation`: its slot and length.
    #[inline(always)]
    pub fn lookup(&self, rip: u64, pa: u64, generation: u32) -> Option<(usize, usize)> {
        let s = slot(pa);
        let b = self.blocks.get(s)?;
        if b.pa == pa.wrapping_add(1) && b.rip == rip && b.generation == generation {
            Some((s * MAX_OPS, b.len as usize))
        } else {
            None
        }
    }

    /// The ops of every block, taken out while a block runs (the processor executing them needs
    /// itself mutably; nothing it does while a block runs looks at the cache), put back after.
    #[inline(always)]
    pub fn take_ops(&mut self) -> Vec<BlockOp> {
        std::mem::take(&mut self.ops)
    }

    /// Puts back what `take_ops` took.
    #[inline(always)]
    pub fn put_ops(&mut self, ops: Vec<BlockOp>) {
        self.ops = ops;
    }

    /// Stores a block of 1..=MAX_OPS ops.
    #[allow(clippy::cast_possible_truncation, reason = "at most MAX_OPS ops")]
    pub fn insert(&mut self, rip: u64, pa: u64, generation: u32, ops: &[BlockOp]) {
        if self.blocks.is_empty() {
            self.blocks = vec![Block::default(); BLOCKS];
            self.ops = vec![BlockOp::default(); BLOCKS * MAX_OPS];
        }
        let s = slot(pa);
        let n = ops.len().min(MAX_OPS);
        self.ops[s * MAX_OPS..s * MAX_OPS + n].copy_from_slice(&ops[..n]);
        self.blocks[s] = Block { rip, pa: pa.wrapping_add(1), generation, len: n as u8 };
    }
}

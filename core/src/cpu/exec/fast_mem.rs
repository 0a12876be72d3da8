//! The data accesses of the fast forms (exec/fast.rs): an access within one page that a cached
//! translation permits, into RAM, done inline; anything else — a TLB miss, a page crossing, a
//! device, a fault — takes the full path (`read_lin` / `write_lin`), which gives the same result
//! for what the inline path handles (the same translation check and the same RAM access), so the
//! two differ only in speed.
use crate::cpu::control::{cr0, efer};
use crate::cpu::processor::{Processor, Virt};
use crate::mem::paging::Access;
use crate::mem::Hpa;
use crate::outcome::Trap;

impl<V: Virt> Processor<V> {
    /// The physical address of a data access of `size` bytes at `la` within one page, when
    /// `translate` would give it at once (paging off, or a TLB hit that permits the access).
    #[inline(always)]
    fn fast_data_pa(&self, la: u64, size: u32, write: bool) -> Option<u64> {
        if (la & 0xfff) + size as u64 > 0x1000 {
            return None;
        }
        let c = &self.cpu.ctl;
        if c.cr0 & cr0::PG == 0 && self.svm.nested_paging().is_none() {
            return Some(la);
        }
        let acc = Access { write, user: self.cpu.cpl == 3, fetch: false };
        self.tlb.lookup(la, acc, c.cr0 & cr0::WP != 0, c.efer & efer::NXE != 0)
    }

    /// `read_mem` (`rmw`: `read_mem_rmw`) with the inline path.
    #[inline(always)]
    pub(crate) fn read_mem_fast(&mut self, la: u64, size: u32, rmw: bool) -> Result<u64, Trap> {
        if let Some(pa) = self.fast_data_pa(la, size, rmw)
            && let Ok(v) = self.mem.read_small(Hpa(pa), size)
        {
            return Ok(v);
        }
        self.read_mem_full(la, size, rmw)
    }

    #[inline(never)]
    fn read_mem_full(&mut self, la: u64, size: u32, rmw: bool) -> Result<u64, Trap> {
        if rmw { self.read_mem_rmw(la, size) } else { self.read_mem(la, size) }
    }

    /// `write_mem` with the inline path.
    #[inline(always)]
    pub(crate) fn write_mem_fast(&mut self, la: u64, size: u32, val: u64) -> Result<(), Trap> {
        if let Some(pa) = self.fast_data_pa(la, size, true)
            && self.mem.write_small(Hpa(pa), size, val).is_ok()
        {
            return Ok(());
        }
        self.write_mem_full(la, size, val)
    }

    #[inline(never)]
    fn write_mem_full(&mut self, la: u64, size: u32, val: u64) -> Result<(), Trap> {
        self.write_mem(la, size, val)
    }
}

impl<V: Virt> Processor<V> {
    /// `push(8, val)` with the inline path.
    #[inline(always)]
    pub(crate) fn push_fast(&mut self, val: u64) -> Result<(), Trap> {
        let rsp = self.cpu.regs.gpr[4].wrapping_sub(8);
        if !crate::cpu::exec::is_canonical(rsp) {
            return Err(crate::outcome::Fault::with_code(crate::outcome::vector::SS, 0).into());
        }
        self.write_mem_fast(rsp, 8, val)?;
        self.cpu.regs.gpr[4] = rsp;
        Ok(())
    }

    /// `pop(8)` with the inline path.
    #[inline(always)]
    pub(crate) fn pop_fast(&mut self) -> Result<u64, Trap> {
        let rsp = self.cpu.regs.gpr[4];
        if !crate::cpu::exec::is_canonical(rsp) {
            return Err(crate::outcome::Fault::with_code(crate::outcome::vector::SS, 0).into());
        }
        let v = self.read_mem_fast(rsp, 8, false)?;
        self.cpu.regs.gpr[4] = rsp.wrapping_add(8);
        Ok(v)
    }
}

//! Sparse physical memory: 4 KiB pages allocated on first write; unbacked pages read as zero.
//! Pages are shared copy-on-write between clones, so a snapshot costs the page table, not the RAM.
#![allow(
    clippy::cast_possible_truncation,
    reason = "an access of 1, 2 or 4 bytes keeps the low bytes of the value; RAM is at most 4 GiB, so an address checked inside it fits usize"
)]
use super::Hpa;
use std::rc::Rc;

pub const PAGE_SIZE: usize = 4096;

/// The number of the page holding `a`, saturating: on a 32-bit target (wasm32) an address above
/// 2^44 must not wrap onto a page of RAM (it is outside RAM like any address past the end).
#[inline(always)]
fn page_index(a: Hpa) -> usize {
    usize::try_from(a.0 >> 12).unwrap_or(usize::MAX)
}

/// A page of zeros (the first write into an unbacked page).
#[cold]
fn new_page() -> Rc<[u8; PAGE_SIZE]> {
    Rc::new([0u8; PAGE_SIZE])
}

/// Replaces a page shared with a clone by a copy of its own.
#[cold]
fn unshare(slot: &mut Rc<[u8; PAGE_SIZE]>) {
    *slot = Rc::new(**slot);
}

/// System-physical RAM of a fixed size. Pages are allocated lazily so a 64 MiB machine costs only
/// what the program touches (important in the browser and in checkpoints).
#[derive(Clone)]
pub struct PhysMem {
    size: u64,
    /// Shared between clones (time-travel snapshots); copied on the first write after a clone.
    pages: Vec<Option<Rc<[u8; PAGE_SIZE]>>>,
    /// Incremented on every write; lets caches (decoded instructions) notice modification cheaply.
    generation: u64,
    /// Per-page write generation: bumped on every write into that page (decode-cache invalidation).
    page_gen: Vec<u32>,
    /// When `Some`, every write's (address, length) is appended (lockstep comparison, compare.rs).
    pub write_log: Option<Vec<(u64, u32)>>,
    /// Pages a page walk has read entries from (`mark_page_table`); never cleared.
    page_table: Vec<bool>,
    /// Writes into page-table pages so far: the TLB keeps a context's translations across world
    /// switches only while this is unchanged (cpu/tlb.rs).
    pt_writes: u64,
}

/// An access outside installed RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange(pub Hpa);

impl PhysMem {
    pub fn new(size: u64) -> Self {
        let n = size.div_ceil(PAGE_SIZE as u64) as usize;
        PhysMem {
            size,
            pages: vec![None; n],
            generation: 0,
            page_gen: vec![0; n],
            write_log: None,
            page_table: vec![false; n],
            pt_writes: 0,
        }
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// Marks the page holding `a` as one a page walk (guest, native or nested) read an entry from.
    #[inline]
    pub fn mark_page_table(&mut self, a: Hpa) {
        if let Some(f) = self.page_table.get_mut(page_index(a)) {
            *f = true;
        }
    }
    /// How many writes went into page-table pages (see `mark_page_table`).
    #[inline]
    pub fn pt_writes(&self) -> u64 {
        self.pt_writes
    }
    /// Counts a write into page `pn`.
    #[inline(always)]
    fn touch(&mut self, pn: usize) {
        self.page_gen[pn] = self.page_gen[pn].wrapping_add(1);
        if self.page_table[pn] {
            self.pt_writes += 1;
        }
    }
    /// Write generation of the page holding `a` (0 outside RAM).
    #[inline]
    pub fn page_generation(&self, a: Hpa) -> u32 {
        self.page_gen.get(page_index(a)).copied().unwrap_or(0)
    }
    /// Reads `size` (1..=8) bytes little-endian that lie within one page.
    #[inline]
    pub fn read_small(&self, a: Hpa, size: u32) -> Result<u64, OutOfRange> {
        let pn = page_index(a);
        let off = (a.0 & 0xfff) as usize;
        debug_assert!(off + size as usize <= PAGE_SIZE);
        match self.pages.get(pn) {
            Some(Some(p)) => Ok(match size {
                8 => u64::from_le_bytes(bytes_at(&p[..], off)),
                4 => u32::from_le_bytes(bytes_at(&p[..], off)) as u64,
                2 => u16::from_le_bytes(bytes_at(&p[..], off)) as u64,
                _ => p[off] as u64,
            }),
            Some(None) if a.0 + size as u64 <= self.size => Ok(0),
            _ => Err(OutOfRange(a)),
        }
    }
    /// Writes `size` (1..=8) bytes little-endian that lie within one page.
    #[inline(always)]
    pub fn write_small(&mut self, a: Hpa, size: u32, v: u64) -> Result<(), OutOfRange> {
        let pn = page_index(a);
        let off = (a.0 & 0xfff) as usize;
        if pn >= self.pages.len() || a.0 + size as u64 > self.size {
            return Err(OutOfRange(a));
        }
        self.generation = self.generation.wrapping_add(1);
        self.touch(pn);
        if let Some(l) = &mut self.write_log {
            l.push((a.0, size));
        }
        let p = self.page_mut(pn);
        match size {
            8 => p[off..off + 8].copy_from_slice(&v.to_le_bytes()),
            4 => p[off..off + 4].copy_from_slice(&(v as u32).to_le_bytes()),
            2 => p[off..off + 2].copy_from_slice(&(v as u16).to_le_bytes()),
            _ => p[off] = v as u8,
        }
        Ok(())
    }
    /// Pages whose contents this memory shares with another clone (not yet copied on write).
    pub fn shared_pages(&self) -> usize {
        self.pages.iter().flatten().filter(|p| Rc::strong_count(p) > 1).count()
    }
    /// Identity of each allocated page's storage (equal between clones while shared).
    pub fn page_addrs(&self) -> impl Iterator<Item = usize> + '_ {
        self.pages.iter().flatten().map(|p| Rc::as_ptr(p) as usize)
    }
    /// Bytes a clone costs besides the pages it does not share: the per-page vectors.
    pub fn bookkeeping_bytes(&self) -> usize {
        let n = self.pages.len();
        n * (std::mem::size_of::<Option<Rc<[u8; PAGE_SIZE]>>>() + std::mem::size_of::<u32>() + 1)
    }
    pub fn contains(&self, a: Hpa, len: u64) -> bool {
        a.0.checked_add(len).is_some_and(|end| end <= self.size)
    }
    /// Iterates over the allocated pages: (page number, contents).
    pub fn pages(&self) -> impl Iterator<Item = (u64, &[u8; PAGE_SIZE])> {
        self.pages.iter().enumerate().filter_map(|(i, p)| p.as_deref().map(|p| (i as u64, p)))
    }
    /// The 4 KiB page at page-aligned `a`, borrowed (an unbacked page reads as zeros).
    pub fn page(&self, a: Hpa) -> Result<&[u8; PAGE_SIZE], OutOfRange> {
        static ZERO: [u8; PAGE_SIZE] = [0; PAGE_SIZE];
        if a.0 & 0xfff != 0 || !self.contains(a, PAGE_SIZE as u64) {
            return Err(OutOfRange(a));
        }
        Ok(self.pages[page_index(a)].as_deref().unwrap_or(&ZERO))
    }
    /// The 4 KiB page at page-aligned `a` for writing in place (counts as a write of the page).
    pub fn page_for_write(&mut self, a: Hpa) -> Result<&mut [u8; PAGE_SIZE], OutOfRange> {
        if a.0 & 0xfff != 0 || !self.contains(a, PAGE_SIZE as u64) {
            return Err(OutOfRange(a));
        }
        let pn = page_index(a);
        self.generation = self.generation.wrapping_add(1);
        self.touch(pn);
        if let Some(l) = &mut self.write_log {
            l.push((a.0, PAGE_SIZE as u32));
        }
        Ok(self.page_mut(pn))
    }
    #[inline(always)]
    fn page_mut(&mut self, pn: usize) -> &mut [u8; PAGE_SIZE] {
        let slot = self.pages[pn].get_or_insert_with(new_page);
        // Shared with a clone: this memory's own copy first (copy on write).
        if Rc::get_mut(slot).is_none() {
            unshare(slot);
        }
        match Rc::get_mut(slot) {
            Some(p) => p,
            None => unreachable!("a page just unshared has no other owner"),
        }
    }
    pub fn read(&self, a: Hpa, buf: &mut [u8]) -> Result<(), OutOfRange> {
        if !self.contains(a, buf.len() as u64) {
            return Err(OutOfRange(a));
        }
        let mut addr = a.0 as usize;
        let mut done = 0;
        while done < buf.len() {
            let (pn, off) = (addr / PAGE_SIZE, addr % PAGE_SIZE);
            let n = (PAGE_SIZE - off).min(buf.len() - done);
            match &self.pages[pn] {
                Some(p) => buf[done..done + n].copy_from_slice(&p[off..off + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
            addr += n;
        }
        Ok(())
    }
    pub fn write(&mut self, a: Hpa, data: &[u8]) -> Result<(), OutOfRange> {
        if !self.contains(a, data.len() as u64) {
            return Err(OutOfRange(a));
        }
        self.generation = self.generation.wrapping_add(1);
        if let Some(l) = &mut self.write_log {
            l.push((a.0, data.len() as u32));
        }
        let mut addr = a.0 as usize;
        let mut done = 0;
        while done < data.len() {
            let (pn, off) = (addr / PAGE_SIZE, addr % PAGE_SIZE);
            let n = (PAGE_SIZE - off).min(data.len() - done);
            self.touch(pn);
            self.page_mut(pn)[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
            addr += n;
        }
        Ok(())
    }
    pub fn read_u8(&self, a: Hpa) -> Result<u8, OutOfRange> {
        self.read_small(a, 1).map(|v| v as u8)
    }
    pub fn read_u16(&self, a: Hpa) -> Result<u16, OutOfRange> {
        if a.0 & 0xfff <= 0x1000 - 2 {
            return self.read_small(a, 2).map(|v| v as u16);
        }
        let mut b = [0u8; 2];
        self.read(a, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }
    pub fn read_u32(&self, a: Hpa) -> Result<u32, OutOfRange> {
        if a.0 & 0xfff <= 0x1000 - 4 {
            return self.read_small(a, 4).map(|v| v as u32);
        }
        let mut b = [0u8; 4];
        self.read(a, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    pub fn read_u64(&self, a: Hpa) -> Result<u64, OutOfRange> {
        if a.0 & 0xfff <= 0x1000 - 8 {
            return self.read_small(a, 8);
        }
        let mut b = [0u8; 8];
        self.read(a, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    pub fn write_u8(&mut self, a: Hpa, v: u8) -> Result<(), OutOfRange> {
        self.write_small(a, 1, v as u64)
    }
    pub fn write_u16(&mut self, a: Hpa, v: u16) -> Result<(), OutOfRange> {
        if a.0 & 0xfff <= 0x1000 - 2 {
            return self.write_small(a, 2, v as u64);
        }
        self.write(a, &v.to_le_bytes())
    }
    pub fn write_u64(&mut self, a: Hpa, v: u64) -> Result<(), OutOfRange> {
        if a.0 & 0xfff <= 0x1000 - 8 {
            return self.write_small(a, 8, v);
        }
        self.write(a, &v.to_le_bytes())
    }
}

/// The `N` bytes of `b` from `off` on, as an array (panics like indexing if they are not all in `b`).
#[inline(always)]
pub(crate) fn bytes_at<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[off..off + N]);
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn unbacked_reads_zero_and_cross_page_roundtrip() {
        let mut m = PhysMem::new(3 * 4096);
        assert_eq!(m.read_u64(Hpa(0x1000)).unwrap(), 0);
        m.write_u64(Hpa(0x1ffc), 0x1122_3344_5566_7788).unwrap();
        assert_eq!(m.read_u32(Hpa(0x1ffc)).unwrap(), 0x5566_7788);
        assert_eq!(m.read_u32(Hpa(0x2000)).unwrap(), 0x1122_3344);
        assert_eq!(m.pages().count(), 2);
    }

    #[test]
    fn out_of_range_is_an_error_not_a_panic() {
        let mut m = PhysMem::new(4096);
        assert_eq!(m.read_u8(Hpa(4096)), Err(OutOfRange(Hpa(4096))));
        assert!(m.write_u64(Hpa(4090), 0).is_err());
        assert!(m.read_u64(Hpa(u64::MAX - 2)).is_err());
    }

    /// An address whose page number does not fit 32 bits is outside RAM on every target: on
    /// wasm32 it once wrapped onto the page with the same low page-number bits.
    #[test]
    fn addresses_past_2_pow_44_do_not_alias_ram() {
        let mut m = PhysMem::new(2 * 4096);
        m.write_u64(Hpa(0x1008), 0x1122_3344_5566_7788).unwrap();
        let far = Hpa((1 << 44) + 0x1008);
        assert_eq!(m.read_u64(far), Err(OutOfRange(far)));
        assert_eq!(m.read_u8(far), Err(OutOfRange(far)));
        assert_eq!(m.page_generation(far), 0);
    }

    #[test]
    fn clones_share_pages_until_written() {
        let mut a = PhysMem::new(2 * 4096);
        a.write_u64(Hpa(0x10), 7).unwrap();
        a.write_u64(Hpa(0x1010), 8).unwrap();
        let mut b = a.clone();
        assert_eq!(b.shared_pages(), 2);
        b.write_u64(Hpa(0x10), 9).unwrap();
        assert_eq!((a.read_u64(Hpa(0x10)).unwrap(), b.read_u64(Hpa(0x10)).unwrap()), (7, 9));
        assert_eq!((a.shared_pages(), b.shared_pages()), (1, 1));
    }
}


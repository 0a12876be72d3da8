//! The distinct pages a page walk read table entries from: what the TLB needs marked as
//! page-table pages before it may keep the walk's translation across world switches (cpu/tlb.rs).
#![warn(missing_docs)]
use super::Hpa;

/// The distinct pages a walk read table entries from, to be marked as page-table pages before
/// its translation is cached (cpu/tlb.rs). A 2-D walk reads at most 24 entries, usually from a
/// handful of pages; past `PtPages::CAP` pages the walk is flagged and must not be cached.
#[derive(Clone, Copy, Debug, Default)]
pub struct PtPages {
    pages: [u64; PtPages::CAP],
    n: usize,
    pub overflow: bool,
}

impl PtPages {
    pub const CAP: usize = 12;
    #[inline]
    pub fn add(&mut self, a: Hpa) {
        let p = a.0 & !0xfff;
        if self.pages[..self.n].contains(&p) {
            return;
        }
        if self.n < Self::CAP {
            self.pages[self.n] = p;
            self.n += 1;
        } else {
            self.overflow = true;
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = Hpa> + '_ {
        self.pages[..self.n].iter().map(|&p| Hpa(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn keeps_each_page_once_and_flags_overflow() {
        let mut p = PtPages::default();
        // A 2-D walk reads many entries from few pages: 0x1000 three times, 0x2000 twice.
        for a in [0x1008, 0x1ff8, 0x2000, 0x1000, 0x2010] {
            p.add(Hpa(a));
        }
        assert_eq!(p.iter().collect::<Vec<_>>(), [Hpa(0x1000), Hpa(0x2000)]);
        assert!(!p.overflow);
        for i in 0..PtPages::CAP as u64 {
            p.add(Hpa(0x10_0000 + i * 0x1000));
        }
        assert!(p.overflow, "more distinct pages than it holds: the walk must not be cached");
    }
}

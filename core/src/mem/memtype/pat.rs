//! The PAT MSR (IA32_PAT, 0x277): PAT-index selection, entry lookup and validity (reference §5.1/§5.2).
#![warn(missing_docs)]
use super::MemType;
use serde::Serialize;

/// MSR number of IA32_PAT (reference §5.1).
pub const IA32_PAT: u32 = 0x277;
/// Power-up / reset value: WB WT UC- UC WB WT UC- UC (SDM Table 11-12, reference §5.1).
pub const PAT_POWER_ON: u64 = 0x0007_0406_0007_0406;
/// Bits 7:3 of every PA field are reserved (reference §5.2, KVM `kvm_pat_valid`).
pub const PAT_RESERVED_MASK: u64 = 0xF8F8_F8F8_F8F8_F8F8;

/// Page-table-entry bits that select the PAT index (reference §5.1, SDM Table 11-11).
pub use crate::mem::paging::pte::{PCD as PTE_PCD, PWT as PTE_PWT};
/// The PAT bit of an entry that maps a 4 KiB page.
pub const PTE_PAT_4K: u64 = 1 << 7;
/// The PAT bit of an entry that maps a large (2 MiB / 1 GiB / 4 MiB) page.
pub const PTE_PAT_LARGE: u64 = 1 << 12;

/// Which kind of paging-structure entry (or CR3) supplies the PAT-selection bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EntryKind {
    /// A leaf mapping a 4 KiB page: PAT is bit 7.
    Leaf4K,
    /// A leaf mapping a 2 MiB / 1 GiB (or 4 MiB) page: PAT is bit 12.
    LeafLarge,
    /// A non-leaf entry, or CR3 / nCR3: only PCD/PWT count (index 0..=3, reference §5.1).
    NonLeaf,
}

/// The PWT/PCD/PAT bits taken from one entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PatBits {
    /// Page-level write-through (bit 3).
    pub pwt: bool,
    /// Page-level cache disable (bit 4).
    pub pcd: bool,
    /// PAT bit (bit 7 of a 4 KiB PTE, bit 12 of a large-page entry).
    pub pat: bool,
}

impl PatBits {
    /// Extracts PWT (bit 3), PCD (bit 4) and the PAT bit (bit 7 for 4 KiB leaves, bit 12 for large
    /// leaves, none for non-leaf entries and CR3) — reference §5.1, SDM quote there.
    pub const fn from_entry(entry: u64, kind: EntryKind) -> PatBits {
        let pat = match kind {
            EntryKind::Leaf4K => entry & PTE_PAT_4K != 0,
            EntryKind::LeafLarge => entry & PTE_PAT_LARGE != 0,
            EntryKind::NonLeaf => false,
        };
        PatBits { pwt: entry & PTE_PWT != 0, pcd: entry & PTE_PCD != 0, pat }
    }

    /// index = PAT·4 + PCD·2 + PWT (SDM Table 11-11, reference §5.1).
    pub const fn index(self) -> u8 {
        pat_index(self.pat, self.pcd, self.pwt)
    }
}

/// index = PAT·4 + PCD·2 + PWT (SDM Table 11-11, reference §5.1).
pub const fn pat_index(pat: bool, pcd: bool, pwt: bool) -> u8 {
    (pat as u8) * 4 + (pcd as u8) * 2 + pwt as u8
}

/// The raw byte of field PA`index` (reserved bits included), i.e. bits 8i+7:8i.
pub const fn pat_entry(pat_msr: u64, index: u8) -> u8 {
    pat_msr.to_le_bytes()[(index & 7) as usize]
}

/// The memory type of field PA`index`; `None` if that byte is not a valid PAT encoding.
pub const fn pat_type(pat_msr: u64, index: u8) -> Option<MemType> {
    MemType::from_pat_encoding(pat_entry(pat_msr, index))
}

/// A PAT value is valid iff every byte is one of 0, 1, 4, 5, 6, 7 (bits 7:3 zero, type not 2/3).
/// Used for WRMSR(PAT) and for the G_PAT VMRUN check (reference §5.2, §4.2 / APM 15.25.4).
pub const fn pat_valid(v: u64) -> bool {
    let mut i = 0;
    while i < 8 {
        if MemType::from_pat_encoding(pat_entry(v, i)).is_none() {
            return false;
        }
        i += 1;
    }
    true
}

/// "WB WT UC- UC WB WT UC- UC" for PA0..PA7; an invalid byte is shown as `?0x08`.
pub fn describe_pat(v: u64) -> String {
    (0..8u8)
        .map(|i| match pat_type(v, i) {
            Some(t) => t.name().to_string(),
            None => format!("?{:#04x}", pat_entry(v, i)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn index_selection_sdm_table_11_11() {
        // (entry bits, kind, expected index) — reference §5.1.
        let cases: &[(u64, EntryKind, u8)] = &[
            (0, EntryKind::Leaf4K, 0),
            (1 << 3, EntryKind::Leaf4K, 1),
            (1 << 4, EntryKind::Leaf4K, 2),
            ((1 << 4) | (1 << 3), EntryKind::Leaf4K, 3),
            (1 << 7, EntryKind::Leaf4K, 4),
            ((1 << 7) | (1 << 3), EntryKind::Leaf4K, 5),
            ((1 << 7) | (1 << 4), EntryKind::Leaf4K, 6),
            ((1 << 7) | (1 << 4) | (1 << 3), EntryKind::Leaf4K, 7),
            // bit 12 is an address bit in a 4 KiB PTE, not PAT
            (1 << 12, EntryKind::Leaf4K, 0),
            // large leaf: PAT is bit 12; bit 7 is PS
            (1 << 12, EntryKind::LeafLarge, 4),
            ((1 << 7) | (1 << 4), EntryKind::LeafLarge, 2),
            ((1 << 12) | (1 << 4) | (1 << 3), EntryKind::LeafLarge, 7),
            // non-leaf / CR3: PCD/PWT only
            ((1 << 7) | (1 << 12) | (1 << 3), EntryKind::NonLeaf, 1),
            ((1 << 4) | (1 << 3), EntryKind::NonLeaf, 3),
        ];
        for &(e, k, idx) in cases {
            assert_eq!(PatBits::from_entry(e, k).index(), idx, "entry {e:#x} {k:?}");
        }
    }

    #[test]
    fn lookup_in_power_on_value() {
        assert_eq!(PAT_POWER_ON, 0x0007040600070406);
        assert_eq!(describe_pat(PAT_POWER_ON), "WB WT UC- UC WB WT UC- UC");
        assert_eq!(pat_type(PAT_POWER_ON, 1), Some(MemType::WT));
        assert_eq!(pat_type(PAT_POWER_ON, 7), Some(MemType::UC));
        // reference §11.1 selftest constants
        assert_eq!(pat_type(0x0007040600070404, 0), Some(MemType::WT));
        assert_eq!(describe_pat(0x0606060606060606), "WB WB WB WB WB WB WB WB");
        assert_eq!(describe_pat(0x0808080808080808).split(' ').next(), Some("?0x08"));
    }

    #[test]
    fn validity_reference_5_2() {
        let valid = [PAT_POWER_ON, 0, 0x0007040600070404, 0x0606060606060606, 0x0606060606060604, 0x07070707];
        for v in valid {
            assert!(pat_valid(v), "{v:#x}");
        }
        assert!(!pat_valid(0x0808080808080808));
        // each reserved type in each field, and each reserved bit 3..7 in each field
        for field in 0..8 {
            for ty in [2u64, 3] {
                assert!(!pat_valid(ty << (8 * field)), "type {ty} in PA{field}");
            }
            for bit in 3..8 {
                assert!(!pat_valid(1u64 << (8 * field + bit)), "bit {bit} in PA{field}");
            }
            for ty in [0u64, 1, 4, 5, 6, 7] {
                assert!(pat_valid(ty << (8 * field)));
            }
        }
        for b in 8..=255u64 {
            assert!(!pat_valid(b << 40));
        }
    }
}

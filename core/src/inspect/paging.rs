//! Paging entries as the page-walk view shows them: which bits are set, whether the entry maps a
//! page, and where its frame is (AMD64 APM vol. 2, 5.3 and 5.4; PAT bit positions 7.8.2).
#![warn(missing_docs)]
use crate::mem::paging::pte;

/// The name of a paging-structure level (4 = PML4E … 1 = PTE).
pub fn level_name(level: u8) -> &'static str {
    match level {
        4 => "PML4E",
        3 => "PDPTE",
        2 => "PDE",
        1 => "PTE",
        _ => "?",
    }
}

/// True if the entry at `level` maps a page (PTE, or PS set in a PDE/PDPTE).
pub fn is_leaf(entry: u64, level: u8) -> bool {
    level == 1 || ((level == 2 || level == 3) && entry & pte::PS != 0)
}

/// The PAT bit of a leaf entry: bit 7 of a PTE, bit 12 of a large page; non-leaf entries have none.
pub fn pat_bit(entry: u64, level: u8) -> Option<u64> {
    match (is_leaf(entry, level), level) {
        (true, 1) => Some(1 << 7),
        (true, _) => Some(1 << 12),
        _ => None,
    }
}

/// The physical frame an entry points at: a 1 GiB or 2 MiB page for a large leaf, else 4 KiB.
pub fn frame(entry: u64, level: u8) -> u64 {
    let mask = match (is_leaf(entry, level), level) {
        (true, 3) => pte::ADDR_MASK & !0x3FFF_FFFF,
        (true, 2) => pte::ADDR_MASK & !0x1F_FFFF,
        _ => pte::ADDR_MASK,
    };
    entry & mask
}

/// The decoded bits of a present-or-not paging entry: set bits upper case, clear ones lower
/// case, then the frame it points at. D exists only in leaves, PS only in PDEs/PDPTEs.
pub fn decode_entry(entry: u64, level: u8) -> String {
    let bit = |mask: u64, n: &str| if entry & mask != 0 { n.to_string() } else { n.to_lowercase() };
    let mut parts = vec![bit(pte::P, "P"), bit(pte::RW, "RW"), bit(pte::US, "US"), bit(pte::PWT, "PWT"), bit(pte::PCD, "PCD"), bit(pte::A, "A")];
    if is_leaf(entry, level) {
        parts.push(bit(pte::D, "D"));
    }
    if level == 2 || level == 3 {
        parts.push(bit(pte::PS, "PS"));
    }
    if let Some(p) = pat_bit(entry, level) {
        parts.push(bit(p, "PAT"));
    }
    parts.push(bit(pte::NX, "NX"));
    format!("{} → {:#x}", parts.join(" "), frame(entry, level))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn entries_decode_by_level() {
        assert_eq!(decode_entry(0x8000_0000_0020_00e7, 1), "P RW US pwt pcd A D PAT NX → 0x200000");
        // A 2 MiB page: PAT is bit 12, the frame 2 MiB aligned.
        assert_eq!(decode_entry(0x0040_1083, 2), "P RW us pwt pcd a d PS PAT nx → 0x400000");
        assert_eq!(decode_entry(0x3019, 2), "P rw us PWT PCD a ps nx → 0x3000");
        assert_eq!(decode_entry(0x3003, 4), "P RW us pwt pcd a nx → 0x3000");
        assert!(is_leaf(0x83, 3) && !is_leaf(0x03, 3) && is_leaf(0, 1) && !is_leaf(0x80, 4));
        assert_eq!(frame(0x4000_0083, 3), 0x4000_0000);
        assert_eq!((pat_bit(0x80, 1), pat_bit(0x80, 2), pat_bit(0x03, 2)), (Some(1 << 7), Some(1 << 12), None));
        assert_eq!(level_name(3), "PDPTE");
    }
}

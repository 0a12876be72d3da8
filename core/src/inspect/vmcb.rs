//! The fields of a VMCB page by name, read from a copy of the page (the tracker's before/after
//! snapshots) rather than from the machine.
#![allow(clippy::cast_possible_truncation, reason = "a VMCB segment field is selector u16, attrib u16, limit u32 (APM Appendix B)")]
#![warn(missing_docs)]
use crate::svm::vmcb::VmcbSeg;
use crate::svm::vmcb::fields::{FIELDS, FieldValue, VmcbField};

/// Bytes in a VMCB page.
pub const PAGE: usize = 0x1000;

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |v, x| v << 8 | *x as u64)
}

/// The value of one field in `page`.
pub fn field_of_page(page: &[u8; PAGE], f: &VmcbField) -> FieldValue {
    let b = &page[f.offset as usize..f.offset as usize + f.size as usize];
    match f.size {
        1 | 2 | 4 | 8 => FieldValue::Int(le(b)),
        16 => FieldValue::Seg(VmcbSeg {
            selector: le(&b[0..2]) as u16,
            attrib: le(&b[2..4]) as u16,
            limit: le(&b[4..8]) as u32,
            base: le(&b[8..16]),
        }),
        _ => FieldValue::Bytes(b.to_vec()),
    }
}

/// Every VMCB field of `page` with its value, in the field table's order.
pub fn fields_of_page(page: &[u8; PAGE]) -> Vec<(&'static VmcbField, FieldValue)> {
    FIELDS.iter().map(|f| (f, field_of_page(page, f))).collect()
}

/// True if any byte of the field differs between the two pages.
pub fn field_changed(f: &VmcbField, before: &[u8; PAGE], after: &[u8; PAGE]) -> bool {
    let r = f.offset as usize..f.offset as usize + f.size as usize;
    before[r.clone()] != after[r]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::{Hpa, PhysMem};
    use crate::svm::vmcb::fields::{dump, field};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_page_reads_like_the_vmcb_in_memory() {
        let mut page = [0u8; PAGE];
        for (i, b) in page.iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        let mut mem = PhysMem::new(0x2000);
        mem.write(Hpa(0x1000), &page).unwrap();
        assert_eq!(fields_of_page(&page), dump(&mem, Hpa(0x1000)).unwrap());
        // G_PAT at 0x668 (APM Table B-2), little-endian.
        let g = field("g_pat").unwrap();
        assert_eq!(g.offset, 0x668);
        page[0x668..0x670].copy_from_slice(&0x0007_0406_0007_0406u64.to_le_bytes());
        assert_eq!(field_of_page(&page, g), FieldValue::Int(0x0007_0406_0007_0406));
        let before = page;
        page[0x668] = 0x07; // PA0: WB -> UC-
        assert!(field_changed(g, &before, &page) && !field_changed(field("rip").unwrap(), &before, &page));
    }
}

//! Text for the page-walk panel: paging-entry bits (decoded by the core's `inspect::paging`), the
//! memory-type provenance of a `MemTypeResolution` (PAT lookups, Table 15-19 / 15-20 cells, MTRR
//! source, CD flags) and the faults a walk would take.
use nestscope_core::mem::memtype::MtrrSource;
use nestscope_core::mem::memtype::combine::{MemTypeResolution, PatLookup, TableCell};
use nestscope_core::mem::memtype::pat::EntryKind;
use nestscope_core::svm::nested_walk::MemTypeError;

pub use nestscope_core::inspect::paging::{decode_entry, is_leaf, level_name};

fn kind_text(k: EntryKind) -> &'static str {
    match k {
        EntryKind::Leaf4K => "4 KiB leaf, PAT = bit 7",
        EntryKind::LeafLarge => "large leaf, PAT = bit 12",
        EntryKind::NonLeaf => "non-leaf / CR3: PCD, PWT only",
    }
}

/// "PAT index 0 (PAT 0 PCD 0 PWT 0, 4 KiB leaf) → gPAT[0] = 0x06 → WB".
pub fn pat_lookup(l: &PatLookup, reg: &str) -> String {
    let b = l.bits;
    let ty = if l.entry_valid {
        l.mem_type.name().to_string()
    } else {
        format!("reserved encoding, taken as {}", l.mem_type.name())
    };
    format!(
        "index {} (PAT {} PCD {} PWT {}; {}) → {reg}[{}] = {:#04x} → {ty}   ({reg} = {:#018x})",
        l.index,
        b.pat as u8,
        b.pcd as u8,
        b.pwt as u8,
        kind_text(l.pte.kind),
        l.index,
        l.pat_entry,
        l.pat_msr
    )
}

/// "Table 15-19: guest WB × host WB = WB".
pub fn cell(c: &TableCell, row: &str, col: &str) -> String {
    let t = match c.table {
        nestscope_core::mem::memtype::combine::CombineTable::T15_19 => "Table 15-19",
        nestscope_core::mem::memtype::combine::CombineTable::T15_20 => "Table 15-20",
    };
    format!("{t}: {row} {} × {col} {} = {}", c.row.name(), c.col.name(), c.result.name())
}

pub fn mtrr_source(s: &MtrrSource) -> String {
    let ranges = |m: u8| (0..8).filter(|i| m >> i & 1 == 1).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    match s {
        MtrrSource::Disabled => "MTRRs disabled (MTRRdefType.E = 0): UC".into(),
        MtrrSource::Fixed { msr, byte } => format!("fixed-range MTRR {msr:#x}, byte {byte}"),
        MtrrSource::Variable { matched } => format!("variable range(s) {}", ranges(*matched)),
        MtrrSource::OverlapUndefined { matched } => {
            format!("overlapping variable ranges {} (undefined: UC)", ranges(*matched))
        }
        MtrrSource::Default => "no range matched: MTRRdefType default".into(),
    }
}

/// Every step of a memory-type decision, as (label, text) rows in the order they apply.
pub fn provenance(r: &MemTypeResolution) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if r.nested {
        v.push(("guest PAT", pat_lookup(&r.guest, "gPAT")));
        if let Some(h) = &r.host {
            v.push(("host PAT", pat_lookup(h, "hPAT")));
        }
        if let Some(c) = &r.combined {
            v.push(("combined", cell(c, "guest", "host")));
        }
    } else {
        v.push(("PAT", pat_lookup(&r.guest, "PAT")));
    }
    v.push((
        "MTRR",
        format!("{} for SPA {:#x} — {}", r.mtrr.mem_type.name(), r.mtrr.spa.0, mtrr_source(&r.mtrr.source)),
    ));
    v.push(("effective", cell(&r.effective, "PAT", "MTRR")));
    let cd = if r.nested {
        format!("gCR0.CD = {}, hCR0.CD = {}", r.guest_cr0_cd as u8, r.host_cr0_cd as u8)
    } else {
        format!("CR0.CD = {}", r.guest_cr0_cd as u8)
    };
    let over = if r.cd_override { " → caching disabled, UC" } else { " (no override)" };
    v.push(("CD", format!("{cd}{over}")));
    v.push(("result", r.result.name().to_string()));
    v
}

/// A #PF error code's bits: "P W U R I".
pub fn pf_bits(code: u64) -> String {
    let names =
        [(0, "P"), (1, "W"), (2, "U"), (3, "RSV"), (4, "I/D"), (6, "SS"), (32, "final GPA"), (33, "guest table")];
    let set: Vec<&str> = names.iter().filter(|(b, _)| code >> b & 1 == 1).map(|(_, n)| *n).collect();
    if set.is_empty() { "none".into() } else { set.join(" ") }
}

/// What the access would raise instead of completing.
pub fn fault_text(e: &MemTypeError) -> String {
    match e {
        MemTypeError::NonCanonical => "#GP(0): the address is not canonical".into(),
        MemTypeError::PageFault { error_code } => {
            format!("#PF, error code {error_code:#x} ({})", pf_bits(*error_code as u64))
        }
        MemTypeError::NestedFault(x) => format!(
            "#NPF: #VMEXIT {:#x} ({}), EXITINFO1 {:#x} ({}), EXITINFO2 (GPA) {:#x}",
            x.code.0,
            x.code.name(),
            x.info1,
            pf_bits(x.info1),
            x.info2
        ),
        MemTypeError::Memory(m) => format!("a table lies outside RAM: {m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_texts_name_the_error_code_bits() {
        assert_eq!(pf_bits(0x2), "W");
        assert_eq!(pf_bits(0x1_0000_0007), "P W U final GPA");
        assert_eq!(fault_text(&MemTypeError::PageFault { error_code: 0x11 }), "#PF, error code 0x11 (P I/D)");
        assert_eq!(fault_text(&MemTypeError::NonCanonical), "#GP(0): the address is not canonical");
    }
}

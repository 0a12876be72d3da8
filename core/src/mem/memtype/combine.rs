//! Memory-type combination: AMD Table 15-19 (guest × host PAT), Table 15-20 (PAT × MTRR), CR0.CD,
//! and the `MemTypeResolution` provenance record (reference §6.3/§6.4).
use super::MemType;
use super::MemType::*;
use super::mtrr::{MtrrSource, MtrrState};
use super::pat::{EntryKind, PatBits, pat_entry};
use crate::mem::Hpa;
use serde::Serialize;

/// Row/column order of Table 15-19 (rows = guest PAT type, columns = host PAT type).
pub const T15_19_ORDER: [MemType; 6] = [UC, UcMinus, WC, WP, WT, WB];
/// Table 15-19 "Combining Guest and Host PAT Types", transcribed from reference §6.4
/// (APM 15.25.8). `T15_19[guest][host]` in [`T15_19_ORDER`].
const T15_19: [[MemType; 6]; 6] = [
    /* UC  */ [UC, UC, UC, UC, UC, UC],
    /* UC- */ [UC, UcMinus, WC, UC, UC, UC],
    /* WC  */ [WC, WC, WC, WcPlus, WcPlus, WcPlus],
    /* WP  */ [UC, UC, UC, WP, UC, WP],
    /* WT  */ [UC, UC, UC, UC, WT, WT],
    /* WB  */ [UC, UC, WC, WP, WT, WB],
];

/// Row order of Table 15-20 (effective PAT type, WC+ included).
pub const T15_20_ROWS: [MemType; 7] = [UC, UcMinus, WC, WcPlus, WP, WT, WB];
/// Column order of Table 15-20 (MTRR type).
pub const T15_20_COLS: [MemType; 5] = [UC, WC, WP, WT, WB];
/// Table 15-20 "Combining PAT and MTRR Types", transcribed from reference §6.3 (APM 15.25.8 /
/// ch.7). `T15_20[pat][mtrr]`.
const T15_20: [[MemType; 5]; 7] = [
    /* UC  */ [UC, CD, CD, CD, CD],
    /* UC- */ [UC, WC, CD, CD, CD],
    /* WC  */ [WC, WC, WC, WC, WC],
    /* WC+ */ [WC, WC, WcPlus, WcPlus, WcPlus],
    /* WP  */ [UC, CD, WP, CD, WP],
    /* WT  */ [UC, CD, CD, WT, WT],
    /* WB  */ [UC, WC, WP, WT, WB],
];

fn pos<const N: usize>(order: &[MemType; N], t: MemType) -> Option<usize> {
    order.iter().position(|&x| x == t)
}

/// Table 15-19: combined PAT type of a guest PAT type and a host (nested) PAT type. `None` if either
/// input is not a PAT type (WC+ / CD).
pub fn table_15_19(guest: MemType, host: MemType) -> Option<MemType> {
    Some(T15_19[pos(&T15_19_ORDER, guest)?][pos(&T15_19_ORDER, host)?])
}

/// Table 15-20: effective type of a (combined) PAT type and an MTRR type. `None` if `pat` is CD or
/// `mtrr` is not an MTRR type.
pub fn table_15_20(pat: MemType, mtrr: MemType) -> Option<MemType> {
    Some(T15_20[pos(&T15_20_ROWS, pat)?][pos(&T15_20_COLS, mtrr)?])
}

/// A paging-structure entry (or CR3 / nCR3 value) supplying PWT/PCD/PAT bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PteRef {
    pub entry: u64,
    pub kind: EntryKind,
}

/// One PAT lookup: entry bits → index → PAT MSR field → type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PatLookup {
    pub pte: PteRef,
    pub bits: PatBits,
    pub index: u8,
    /// The PAT register value consulted (gPAT, hPAT or the native PAT MSR).
    pub pat_msr: u64,
    /// The raw PA`index` byte.
    pub pat_entry: u8,
    /// False if `pat_entry` is a reserved encoding; the type is then taken as UC (model choice).
    pub entry_valid: bool,
    pub mem_type: MemType,
}

impl PatLookup {
    pub fn new(pte: PteRef, pat_msr: u64) -> Self {
        let bits = PatBits::from_entry(pte.entry, pte.kind);
        let index = bits.index();
        let raw = pat_entry(pat_msr, index);
        let t = MemType::from_pat_encoding(raw);
        PatLookup { pte, bits, index, pat_msr, pat_entry: raw, entry_valid: t.is_some(), mem_type: t.unwrap_or(UC) }
    }
}

/// Which AMD table a cell comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CombineTable {
    /// Table 15-19, guest × host PAT.
    T15_19,
    /// Table 15-20, PAT × MTRR.
    T15_20,
}

/// A table cell used by a resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TableCell {
    pub table: CombineTable,
    pub row: MemType,
    pub col: MemType,
    pub result: MemType,
}

/// The MTRR lookup for the system-physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MtrrLookup {
    pub spa: Hpa,
    pub mem_type: MemType,
    pub source: MtrrSource,
}

/// Every input and intermediate of one memory-type decision, for the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemTypeResolution {
    /// True for the nested-paging path (Table 15-19 then 15-20), false for native (15-20 only).
    pub nested: bool,
    /// Nested: the guest PTE looked up in gPAT. Native: the PTE looked up in the PAT MSR.
    pub guest: PatLookup,
    /// Nested only: the nested (NPT) PTE looked up in the host PAT MSR.
    pub host: Option<PatLookup>,
    /// Nested only: the Table 15-19 cell (guest row, host column).
    pub combined: Option<TableCell>,
    pub mtrr: MtrrLookup,
    /// The Table 15-20 cell (PAT row, MTRR column).
    pub effective: TableCell,
    /// Native: CR0.CD. Nested: gCR0.CD.
    pub guest_cr0_cd: bool,
    /// Nested: hCR0.CD. Native: always false.
    pub host_cr0_cd: bool,
    /// True if a CR0.CD flag overrode the table result.
    pub cd_override: bool,
    pub result: MemType,
}

/// Inputs of a nested-paging memory-type decision (reference §6.4 procedure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NestedMemTypeInputs {
    /// The guest entry that maps the access (leaf for data; CR3 / non-leaf for guest-walk accesses).
    pub guest_pte: PteRef,
    /// The guest PAT register (gPAT, loaded from G_PAT).
    pub gpat: u64,
    /// The nested entry that maps the guest-physical address (leaf; nCR3 / non-leaf for NPT walks).
    pub nested_pte: PteRef,
    /// The host PAT MSR.
    pub hpat: u64,
    /// The system-physical address (for the MTRRs).
    pub spa: Hpa,
    pub guest_cr0_cd: bool,
    pub host_cr0_cd: bool,
}

/// CR0.CD rule: caching disabled → UC. Reference §6.1 ("CR0.CD = 1 → UC", a simplification of
/// SDM Table 11-5) and §6.4 rule 3 ("gCR0.CD or hCR0.CD disables caching").
fn apply_cd(t: MemType, cd: bool) -> MemType {
    if cd { UC } else { t }
}

fn mtrr_lookup(mtrr: &MtrrState, spa: Hpa) -> MtrrLookup {
    let (mem_type, source) = mtrr.mtrr_type(spa);
    MtrrLookup { spa, mem_type, source }
}

fn cell_15_20(pat: MemType, mtrr: MemType) -> TableCell {
    #[allow(clippy::expect_used, reason = "callers pass a PAT lookup's or Table 15-19's type and an MTRR type (tests: every cell)")]
    let result = table_15_20(pat, mtrr).expect("PAT-derived row and MTRR column are always in Table 15-20");
    TableCell { table: CombineTable::T15_20, row: pat, col: mtrr, result }
}

/// Nested paging (NP_ENABLE = 1), reference §6.4 / APM 15.25.8: guest type = gPAT[guest index],
/// host type = hPAT[nested index], combined = Table 15-19, effective = Table 15-20 with the MTRR type
/// of the SPA, then gCR0.CD / hCR0.CD force UC.
pub fn resolve_nested(inp: &NestedMemTypeInputs, mtrr: &MtrrState) -> MemTypeResolution {
    let guest = PatLookup::new(inp.guest_pte, inp.gpat);
    let host = PatLookup::new(inp.nested_pte, inp.hpat);
    #[allow(clippy::expect_used, reason = "a PAT lookup yields a PAT type (reserved encodings read as UC)")]
    let combined_t = table_15_19(guest.mem_type, host.mem_type).expect("PAT types are always in Table 15-19");
    let combined =
        TableCell { table: CombineTable::T15_19, row: guest.mem_type, col: host.mem_type, result: combined_t };
    let m = mtrr_lookup(mtrr, inp.spa);
    let effective = cell_15_20(combined_t, m.mem_type);
    let cd = inp.guest_cr0_cd || inp.host_cr0_cd;
    MemTypeResolution {
        nested: true,
        guest,
        host: Some(host),
        combined: Some(combined),
        mtrr: m,
        effective,
        guest_cr0_cd: inp.guest_cr0_cd,
        host_cr0_cd: inp.host_cr0_cd,
        cd_override: cd && effective.result != UC,
        result: apply_cd(effective.result, cd),
    }
}

/// Native paging (or NP disabled: "as if there were no gPAT", reference §6.4): PAT type of the PTE
/// combined with the MTRR type by Table 15-20, then CR0.CD forces UC.
pub fn resolve_native(pte: PteRef, pat_msr: u64, spa: Hpa, cr0_cd: bool, mtrr: &MtrrState) -> MemTypeResolution {
    let guest = PatLookup::new(pte, pat_msr);
    let m = mtrr_lookup(mtrr, spa);
    let effective = cell_15_20(guest.mem_type, m.mem_type);
    MemTypeResolution {
        nested: false,
        guest,
        host: None,
        combined: None,
        mtrr: m,
        effective,
        guest_cr0_cd: cr0_cd,
        host_cr0_cd: false,
        cd_override: cr0_cd && effective.result != UC,
        result: apply_cd(effective.result, cr0_cd),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::memtype::pat::PAT_POWER_ON;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // Independent copies of the reference tables (reference §6.4 and §6.3), pasted verbatim.
    const REF_15_19: &str = "
| guest \\ host | UC | UC- | WC | WP | WT | WB |
|---|---|---|---|---|---|---|
| UC | UC | UC | UC | UC | UC | UC |
| UC- | UC | UC- | WC | UC | UC | UC |
| WC | WC | WC | WC | WC+ | WC+ | WC+ |
| WP | UC | UC | UC | WP | UC | WP |
| WT | UC | UC | UC | UC | WT | WT |
| WB | UC | UC | WC | WP | WT | WB |
";
    const REF_15_20: &str = "
| effective PAT \\ MTRR | UC | WC | WP | WT | WB |
|---|---|---|---|---|---|
| UC | UC | CD | CD | CD | CD |
| UC- | UC | WC | CD | CD | CD |
| WC | WC | WC | WC | WC | WC |
| WC+ | WC | WC | WC+ | WC+ | WC+ |
| WP | UC | CD | WP | CD | WP |
| WT | UC | CD | CD | WT | WT |
| WB | UC | WC | WP | WT | WB |
";

    /// (row, column, cell) triples of a markdown table.
    fn parse(md: &str) -> Vec<(MemType, MemType, MemType)> {
        let rows: Vec<Vec<&str>> = md
            .lines()
            .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
            .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
            .collect();
        let cols: Vec<MemType> = rows[0][1..].iter().map(|c| MemType::parse(c).unwrap()).collect();
        let mut out = Vec::new();
        for r in &rows[1..] {
            let row = MemType::parse(r[0]).unwrap();
            for (c, cell) in cols.iter().zip(&r[1..]) {
                out.push((row, *c, MemType::parse(cell).unwrap_or_else(|| panic!("cell {cell}"))));
            }
        }
        out
    }

    #[test]
    fn table_15_19_every_cell() {
        let cells = parse(REF_15_19);
        assert_eq!(cells.len(), 36);
        for (g, h, want) in cells {
            assert_eq!(table_15_19(g, h), Some(want), "guest {g} host {h}");
        }
        assert_eq!(table_15_19(WcPlus, WB), None);
        assert_eq!(table_15_19(WB, CD), None);
    }

    #[test]
    fn table_15_20_every_cell() {
        let cells = parse(REF_15_20);
        assert_eq!(cells.len(), 35);
        for (p, m, want) in cells {
            assert_eq!(table_15_20(p, m), Some(want), "PAT {p} MTRR {m}");
        }
        assert_eq!(table_15_20(CD, WB), None);
        assert_eq!(table_15_20(WB, UcMinus), None);
    }

    fn leaf(bits: u64) -> PteRef {
        PteRef { entry: 0x1234_5000 | 1 | bits, kind: EntryKind::Leaf4K }
    }

    #[test]
    fn nested_resolution_simplesvm_cases() {
        // reference §6.4 SimpleSvm cross-check: host PAT index 0 = WB.
        let wb_mtrr = MtrrState::all_wb();
        let mut inp = NestedMemTypeInputs {
            guest_pte: leaf(0),
            gpat: 0x0007_0406_0007_0107, // PA0 UC-, PA1 WC, PA2 WT
            nested_pte: leaf(0),
            hpat: PAT_POWER_ON,
            spa: Hpa(0x20_0000),
            guest_cr0_cd: false,
            host_cr0_cd: false,
        };
        // guest UC- + host WB → UC; UC with MTRR WB → CD
        let r = resolve_nested(&inp, &wb_mtrr);
        assert_eq!((r.guest.mem_type, r.host.unwrap().mem_type), (UcMinus, WB));
        assert_eq!(r.combined.unwrap().result, UC);
        assert_eq!(r.effective, TableCell { table: CombineTable::T15_20, row: UC, col: WB, result: CD });
        assert_eq!(r.result, CD);
        // guest WC (index 1 via PWT) + host WB → WC+; with MTRR WB → WC+
        inp.guest_pte = leaf(1 << 3); // PWT
        let r = resolve_nested(&inp, &wb_mtrr);
        assert_eq!((r.guest.index, r.guest.mem_type, r.combined.unwrap().result, r.result), (1, WC, WcPlus, WcPlus));
        // host index 3 (PCD|PWT) = UC in the power-on PAT: guest WC + host UC → WC
        inp.nested_pte = leaf((1 << 4) | (1 << 3));
        let r = resolve_nested(&inp, &wb_mtrr);
        assert_eq!((r.host.unwrap().index, r.combined.unwrap().result, r.result), (3, WC, WC));
        // gCR0.CD or hCR0.CD → UC
        inp.nested_pte = leaf(0);
        inp.host_cr0_cd = true;
        let r = resolve_nested(&inp, &wb_mtrr);
        assert_eq!((r.effective.result, r.cd_override, r.result), (WcPlus, true, UC));
        // MTRRs disabled → MTRR UC column
        inp.host_cr0_cd = false;
        let r = resolve_nested(&inp, &MtrrState::power_on());
        assert_eq!((r.mtrr.mem_type, r.mtrr.source, r.result), (UC, MtrrSource::Disabled, WC));
    }

    #[test]
    fn native_resolution_uses_table_15_20_only() {
        let wb = MtrrState::all_wb();
        // PCD → index 2 → UC- in the power-on PAT; UC- × WB → CD
        let r = resolve_native(leaf(1 << 4), PAT_POWER_ON, Hpa(0x1000), false, &wb);
        assert_eq!((r.nested, r.guest.index, r.guest.mem_type, r.result), (false, 2, UcMinus, CD));
        assert!(r.host.is_none() && r.combined.is_none());
        let r = resolve_native(leaf(0), PAT_POWER_ON, Hpa(0x1000), false, &wb);
        assert_eq!(r.result, WB);
        let r = resolve_native(leaf(0), PAT_POWER_ON, Hpa(0x1000), true, &wb);
        assert_eq!((r.cd_override, r.result), (true, UC));
        // a reserved PAT byte is reported and treated as UC
        let r = resolve_native(leaf(0), 0x08, Hpa(0x1000), false, &wb);
        assert_eq!((r.guest.entry_valid, r.guest.pat_entry, r.guest.mem_type), (false, 8, UC));
    }
}

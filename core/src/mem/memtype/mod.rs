//! Memory types: the `MemType` enum, PAT, MTRRs and the AMD combination tables (reference §5, §6).
//!
//! `pat` covers the PAT MSR and PAT-index selection (reference §5.1/§5.2), `mtrr` the MTRR MSRs and
//! the SDM 11.11.4.1 precedence (reference §5.3), and `combine` AMD Tables 15-19/15-20 plus the
//! provenance record the UI shows (reference §6.3/§6.4).
use serde::Serialize;
use std::fmt;

pub mod combine;
pub(crate) mod mtrr;
pub mod pat;

pub use combine::{MemTypeResolution, resolve_native, resolve_nested, table_15_19, table_15_20};
pub use mtrr::{MtrrSource, MtrrState};
pub use pat::{EntryKind, PAT_POWER_ON, pat_valid};

/// A memory type. `UC..UcMinus` have PAT encodings (SDM Table 11-10, reference §5.1); `WcPlus` is
/// the AMD nested-paging type produced by Table 15-19 and `CD` the AMD "cache disable" type inferred
/// by Table 15-20 (reference §6.3/§6.4). Names follow the APM spelling.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum MemType {
    UC,
    WC,
    WT,
    WP,
    WB,
    UcMinus,
    WcPlus,
    CD,
}

impl MemType {
    /// All eight types, in declaration order.
    pub const ALL: [MemType; 8] = [
        MemType::UC,
        MemType::WC,
        MemType::WT,
        MemType::WP,
        MemType::WB,
        MemType::UcMinus,
        MemType::WcPlus,
        MemType::CD,
    ];

    /// PAT field encoding → type (SDM Table 11-10, reference §5.1): 0 UC, 1 WC, 4 WT, 5 WP, 6 WB,
    /// 7 UC-. 2, 3 and 8..=0xFF are reserved → `None`.
    pub const fn from_pat_encoding(e: u8) -> Option<MemType> {
        match e {
            0 => Some(MemType::UC),
            1 => Some(MemType::WC),
            4 => Some(MemType::WT),
            5 => Some(MemType::WP),
            6 => Some(MemType::WB),
            7 => Some(MemType::UcMinus),
            _ => None,
        }
    }

    /// MTRR type encoding → type (reference §5.2/§5.3): only {0, 1, 4, 5, 6}; UC- (7) is not an
    /// MTRR type.
    pub const fn from_mtrr_encoding(e: u8) -> Option<MemType> {
        match e {
            7 => None,
            _ => MemType::from_pat_encoding(e),
        }
    }

    /// The PAT/MTRR encoding of this type; `None` for WC+ and CD, which have no encoding.
    pub const fn encoding(self) -> Option<u8> {
        match self {
            MemType::UC => Some(0),
            MemType::WC => Some(1),
            MemType::WT => Some(4),
            MemType::WP => Some(5),
            MemType::WB => Some(6),
            MemType::UcMinus => Some(7),
            MemType::WcPlus | MemType::CD => None,
        }
    }

    /// The conventional short name: "UC", "WC", "WT", "WP", "WB", "UC-", "WC+", "CD".
    pub const fn name(self) -> &'static str {
        match self {
            MemType::UC => "UC",
            MemType::WC => "WC",
            MemType::WT => "WT",
            MemType::WP => "WP",
            MemType::WB => "WB",
            MemType::UcMinus => "UC-",
            MemType::WcPlus => "WC+",
            MemType::CD => "CD",
        }
    }

    /// Inverse of [`MemType::name`] (whitespace-trimmed, case-insensitive).
    pub fn parse(s: &str) -> Option<MemType> {
        let s = s.trim();
        MemType::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for MemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn pat_encodings_follow_sdm_table_11_10() {
        // reference §5.1: 00 UC, 01 WC, 02/03 reserved, 04 WT, 05 WP, 06 WB, 07 UC-, 08-FF reserved.
        let expect = ["UC", "WC", "-", "-", "WT", "WP", "WB", "UC-"];
        for (e, name) in expect.iter().enumerate() {
            assert_eq!(MemType::from_pat_encoding(u8::try_from(e).unwrap()).map(|t| t.name()).unwrap_or("-"), *name);
        }
        for e in 8..=255u8 {
            assert_eq!(MemType::from_pat_encoding(e), None);
        }
        assert_eq!(MemType::from_mtrr_encoding(7), None);
        assert_eq!(MemType::from_mtrr_encoding(6), Some(MemType::WB));
        for t in MemType::ALL {
            assert_eq!(MemType::parse(t.name()), Some(t));
            if let Some(e) = t.encoding() {
                assert_eq!(MemType::from_pat_encoding(e), Some(t));
            }
        }
    }
}

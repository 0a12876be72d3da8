//! Control registers, EFER and debug registers.
use serde::{Deserialize, Serialize};

pub mod cr0 {
    pub const PE: u64 = 1 << 0;
    pub const MP: u64 = 1 << 1;
    pub const ET: u64 = 1 << 4;
    pub const NE: u64 = 1 << 5;
    pub const WP: u64 = 1 << 16;
    pub const NW: u64 = 1 << 29;
    pub const CD: u64 = 1 << 30;
    pub const PG: u64 = 1 << 31;
}
pub mod cr4 {
    pub const TSD: u64 = 1 << 2;
    pub const DE: u64 = 1 << 3;
    pub const PSE: u64 = 1 << 4;
    pub const PAE: u64 = 1 << 5;
    pub const PGE: u64 = 1 << 7;
    pub const PCE: u64 = 1 << 8;
}
pub mod efer {
    pub const SCE: u64 = 1 << 0;
    pub const LME: u64 = 1 << 8;
    pub const LMA: u64 = 1 << 10;
    pub const NXE: u64 = 1 << 11;
    pub const SVME: u64 = 1 << 12;
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlRegs {
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub cr8: u64,
    pub efer: u64,
    pub dr: [u64; 8],
}

impl ControlRegs {
    /// CONTRACT §1: CR0 0x80010033, CR4 0x20, EFER 0xD00, CR3 0x2000.
    pub fn contract_entry() -> Self {
        let mut dr = [0; 8];
        dr[6] = 0xffff_0ff0;
        dr[7] = 0x400;
        ControlRegs { cr0: 0x8001_0033, cr2: 0, cr3: 0x2000, cr4: 0x20, cr8: 0, efer: 0xd00, dr }
    }
}

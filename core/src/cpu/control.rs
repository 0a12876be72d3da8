//! Control registers, EFER and debug registers.

/// CR0 bits (APM vol.2 3.1.1).
pub mod cr0 {
    pub const PE: u64 = 1 << 0;
    pub const MP: u64 = 1 << 1;
    pub const EM: u64 = 1 << 2;
    pub const TS: u64 = 1 << 3;
    pub const ET: u64 = 1 << 4;
    pub const NE: u64 = 1 << 5;
    pub const WP: u64 = 1 << 16;
    pub const AM: u64 = 1 << 18;
    pub const NW: u64 = 1 << 29;
    pub const CD: u64 = 1 << 30;
    pub const PG: u64 = 1 << 31;
    /// Display names of the bits above.
    pub const NAMES: [(u64, &str); 11] = [
        (PE, "PE"),
        (MP, "MP"),
        (EM, "EM"),
        (TS, "TS"),
        (ET, "ET"),
        (NE, "NE"),
        (WP, "WP"),
        (AM, "AM"),
        (NW, "NW"),
        (CD, "CD"),
        (PG, "PG"),
    ];
}
/// CR4 bits (APM vol.2 3.1.3).
pub mod cr4 {
    pub const VME: u64 = 1 << 0;
    pub const PVI: u64 = 1 << 1;
    pub const TSD: u64 = 1 << 2;
    pub const DE: u64 = 1 << 3;
    pub const PSE: u64 = 1 << 4;
    pub const PAE: u64 = 1 << 5;
    pub const MCE: u64 = 1 << 6;
    pub const PGE: u64 = 1 << 7;
    pub const PCE: u64 = 1 << 8;
    pub const OSFXSR: u64 = 1 << 9;
    pub const OSXMMEXCPT: u64 = 1 << 10;
    pub const UMIP: u64 = 1 << 11;
    pub const LA57: u64 = 1 << 12;
    pub const FSGSBASE: u64 = 1 << 16;
    pub const PCIDE: u64 = 1 << 17;
    pub const OSXSAVE: u64 = 1 << 18;
    pub const SMEP: u64 = 1 << 20;
    pub const SMAP: u64 = 1 << 21;
    pub const PKE: u64 = 1 << 22;
    pub const CET: u64 = 1 << 23;
    /// Display names of the bits above.
    pub const NAMES: [(u64, &str); 20] = [
        (VME, "VME"),
        (PVI, "PVI"),
        (TSD, "TSD"),
        (DE, "DE"),
        (PSE, "PSE"),
        (PAE, "PAE"),
        (MCE, "MCE"),
        (PGE, "PGE"),
        (PCE, "PCE"),
        (OSFXSR, "OSFXSR"),
        (OSXMMEXCPT, "OSXMMEXCPT"),
        (UMIP, "UMIP"),
        (LA57, "LA57"),
        (FSGSBASE, "FSGSBASE"),
        (PCIDE, "PCIDE"),
        (OSXSAVE, "OSXSAVE"),
        (SMEP, "SMEP"),
        (SMAP, "SMAP"),
        (PKE, "PKE"),
        (CET, "CET"),
    ];
}
/// EFER bits (APM vol.2 3.1.7).
pub mod efer {
    pub const SCE: u64 = 1 << 0;
    pub const LME: u64 = 1 << 8;
    pub const LMA: u64 = 1 << 10;
    pub const NXE: u64 = 1 << 11;
    pub const SVME: u64 = 1 << 12;
    pub const LMSLE: u64 = 1 << 13;
    pub const FFXSR: u64 = 1 << 14;
    pub const TCE: u64 = 1 << 15;
    /// Display names of the bits above.
    pub const NAMES: [(u64, &str); 8] = [
        (SCE, "SCE"),
        (LME, "LME"),
        (LMA, "LMA"),
        (NXE, "NXE"),
        (SVME, "SVME"),
        (LMSLE, "LMSLE"),
        (FFXSR, "FFXSR"),
        (TCE, "TCE"),
    ];
}

#[derive(Clone, Debug, Default, PartialEq)]
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

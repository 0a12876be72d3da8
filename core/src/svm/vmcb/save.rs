//! The VMCB state-save area, VMCB 0x400.. (reference §1.3 / APM Appendix B), and the architectural
//! register bits the checks use.
use super::{VmcbSeg, vmcb_area};

vmcb_area! {
    /// The VMCB state-save area (reference §1.3). Offsets are VMCB offsets (save offset + 0x400).
    pub struct VmcbSave, fields save_f {
        pub es: VmcbSeg = 0x400,
        pub cs: VmcbSeg = 0x410,
        pub ss: VmcbSeg = 0x420,
        pub ds: VmcbSeg = 0x430,
        pub fs: VmcbSeg = 0x440,
        pub gs: VmcbSeg = 0x450,
        pub gdtr: VmcbSeg = 0x460,
        pub ldtr: VmcbSeg = 0x470,
        pub idtr: VmcbSeg = 0x480,
        pub tr: VmcbSeg = 0x490,
        pub vmpl: u8 = 0x4CA,
        pub cpl: u8 = 0x4CB,
        pub efer: u64 = 0x4D0,
        pub cr4: u64 = 0x548,
        pub cr3: u64 = 0x550,
        pub cr0: u64 = 0x558,
        pub dr7: u64 = 0x560,
        pub dr6: u64 = 0x568,
        pub rflags: u64 = 0x570,
        pub rip: u64 = 0x578,
        pub rsp: u64 = 0x5D8,
        pub s_cet: u64 = 0x5E0,
        pub ssp: u64 = 0x5E8,
        pub isst_addr: u64 = 0x5F0,
        pub rax: u64 = 0x5F8,
        pub star: u64 = 0x600,
        pub lstar: u64 = 0x608,
        pub cstar: u64 = 0x610,
        pub sfmask: u64 = 0x618,
        pub kernel_gs_base: u64 = 0x620,
        pub sysenter_cs: u64 = 0x628,
        pub sysenter_esp: u64 = 0x630,
        pub sysenter_eip: u64 = 0x638,
        pub cr2: u64 = 0x640,
        /// G_PAT: the guest PAT, loaded only when NP_ENABLE = 1 (reference §1.3, §8.2).
        pub g_pat: u64 = 0x668,
        pub dbgctl: u64 = 0x670,
        pub br_from: u64 = 0x678,
        pub br_to: u64 = 0x680,
        pub last_excp_from: u64 = 0x688,
        pub last_excp_to: u64 = 0x690,
        pub spec_ctrl: u64 = 0x6E0,
    }
}

// CR0 bits.
pub const CR0_PE: u64 = 1 << 0;
pub const CR0_MP: u64 = 1 << 1;
pub const CR0_EM: u64 = 1 << 2;
pub const CR0_TS: u64 = 1 << 3;
pub const CR0_ET: u64 = 1 << 4;
pub const CR0_NE: u64 = 1 << 5;
pub const CR0_WP: u64 = 1 << 16;
pub const CR0_AM: u64 = 1 << 18;
pub const CR0_NW: u64 = 1 << 29;
pub const CR0_CD: u64 = 1 << 30;
pub const CR0_PG: u64 = 1 << 31;
pub const CR0_NAMES: [(u64, &str); 11] = [
    (CR0_PE, "PE"),
    (CR0_MP, "MP"),
    (CR0_EM, "EM"),
    (CR0_TS, "TS"),
    (CR0_ET, "ET"),
    (CR0_NE, "NE"),
    (CR0_WP, "WP"),
    (CR0_AM, "AM"),
    (CR0_NW, "NW"),
    (CR0_CD, "CD"),
    (CR0_PG, "PG"),
];

// CR4 bits.
pub const CR4_PAE: u64 = 1 << 5;
pub const CR4_NAMES: [(u64, &str); 20] = [
    (1 << 0, "VME"),
    (1 << 1, "PVI"),
    (1 << 2, "TSD"),
    (1 << 3, "DE"),
    (1 << 4, "PSE"),
    (1 << 5, "PAE"),
    (1 << 6, "MCE"),
    (1 << 7, "PGE"),
    (1 << 8, "PCE"),
    (1 << 9, "OSFXSR"),
    (1 << 10, "OSXMMEXCPT"),
    (1 << 11, "UMIP"),
    (1 << 12, "LA57"),
    (1 << 16, "FSGSBASE"),
    (1 << 17, "PCIDE"),
    (1 << 18, "OSXSAVE"),
    (1 << 20, "SMEP"),
    (1 << 21, "SMAP"),
    (1 << 22, "PKE"),
    (1 << 23, "CET"),
];

// EFER bits.
pub const EFER_SCE: u64 = 1 << 0;
pub const EFER_LME: u64 = 1 << 8;
pub const EFER_LMA: u64 = 1 << 10;
pub const EFER_NXE: u64 = 1 << 11;
pub const EFER_SVME: u64 = 1 << 12;
pub const EFER_LMSLE: u64 = 1 << 13;
pub const EFER_FFXSR: u64 = 1 << 14;
pub const EFER_TCE: u64 = 1 << 15;
pub const EFER_NAMES: [(u64, &str); 8] = [
    (EFER_SCE, "SCE"),
    (EFER_LME, "LME"),
    (EFER_LMA, "LMA"),
    (EFER_NXE, "NXE"),
    (EFER_SVME, "SVME"),
    (EFER_LMSLE, "LMSLE"),
    (EFER_FFXSR, "FFXSR"),
    (EFER_TCE, "TCE"),
];

/// Names of the set bits of `v` according to `names`, space-separated; leftover bits as hex.
pub fn bit_names(v: u64, names: &[(u64, &str)]) -> String {
    let mut out: Vec<String> = names.iter().filter(|(m, _)| v & m != 0).map(|(_, n)| n.to_string()).collect();
    let rest = names.iter().fold(v, |r, (m, _)| r & !m);
    if rest != 0 {
        out.push(format!("other={rest:#x}"));
    }
    if out.is_empty() { "-".to_string() } else { out.join(" ") }
}

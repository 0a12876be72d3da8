//! CPUID of the modelled processor (CONTRACT §1): an AMD family-17h part with SVM, long mode,
//! NX, 1 GiB pages, and the SVM leaf 0x8000000A; XSAVE with XCR0 = x87 only (cpu/xsave.rs) and
//! IA32_TSC_ADJUST.

/// Highest standard leaf.
pub const MAX_BASIC: u32 = 0xd;
/// Highest extended leaf.
pub const MAX_EXT: u32 = 0x8000_000a;
/// SVM revision reported in 0x8000000A EAX.
pub const SVM_REVISION: u32 = 1;
/// Number of ASIDs reported in 0x8000000A EBX.
pub const SVM_NUM_ASIDS: u32 = 8;

pub mod bits {
    //! Feature bits used by the model and its tests.
    // Leaf 1 EDX
    pub const FPU: u32 = 1 << 0;
    pub const DE: u32 = 1 << 2;
    pub const PSE: u32 = 1 << 3;
    pub const TSC: u32 = 1 << 4;
    pub const MSR: u32 = 1 << 5;
    pub const PAE: u32 = 1 << 6;
    pub const CX8: u32 = 1 << 8;
    pub const APIC: u32 = 1 << 9;
    pub const SEP: u32 = 1 << 11;
    pub const MTRR: u32 = 1 << 12;
    pub const PGE: u32 = 1 << 13;
    pub const CMOV: u32 = 1 << 15;
    pub const PAT: u32 = 1 << 16;
    pub const CLFSH: u32 = 1 << 19;
    // Leaf 1 ECX
    pub const CX16: u32 = 1 << 13;
    pub const POPCNT: u32 = 1 << 23;
    pub const XSAVE: u32 = 1 << 26;
    /// CR4.OSXSAVE as the running code set it (`cpuid_in`).
    pub const OSXSAVE: u32 = 1 << 27;
    // Leaf 7 EBX
    pub const TSC_ADJUST: u32 = 1 << 1;
    pub const BMI1: u32 = 1 << 3;
    pub const SMEP: u32 = 1 << 7;
    // 0x80000001 ECX
    pub const LAHF_LM: u32 = 1 << 0;
    pub const SVM: u32 = 1 << 2;
    pub const ABM: u32 = 1 << 5;
    // 0x80000001 EDX
    pub const SYSCALL: u32 = 1 << 11;
    pub const NX: u32 = 1 << 20;
    pub const PDPE1GB: u32 = 1 << 26;
    pub const RDTSCP: u32 = 1 << 27;
    pub const LM: u32 = 1 << 29;
    // 0x8000000A EDX
    pub const SVM_NP: u32 = 1 << 0;
    pub const SVM_LBRV: u32 = 1 << 1;
    pub const SVM_NRIPS: u32 = 1 << 3;
    pub const SVM_PAUSE_FILTER: u32 = 1 << 10;
    pub const SVM_PAUSE_FILTER_THRESHOLD: u32 = 1 << 12;
    pub const SVM_VGIF: u32 = 1 << 16;
    pub const SVM_VNMI: u32 = 1 << 25;
}

/// "AuthenticAMD" as EBX, EDX, ECX.
const VENDOR: [u32; 3] = [u32::from_le_bytes(*b"Auth"), u32::from_le_bytes(*b"enti"), u32::from_le_bytes(*b"cAMD")];
/// Family 17h (0xF + extended 0x8), model 1, stepping 1.
const SIGNATURE: u32 = 0x0080_0f11;
const BRAND: &[u8; 48] = b"nestscope virtual AMD SVM processor\0\0\0\0\0\0\0\0\0\0\0\0\0";

const LEAF1_EDX: u32 = {
    use bits::*;
    FPU | DE | PSE | TSC | MSR | PAE | CX8 | APIC | SEP | MTRR | PGE | CMOV | PAT | CLFSH
};

/// Leaf 0x8000000A EDX: the SVM features the model implements (LBR virtualization and the PAUSE
/// filter with its threshold: svm/features.rs; virtual GIF and virtual NMI: svm/interrupts.rs).
pub const SVM_FEATURES_EDX: u32 = bits::SVM_NP
    | bits::SVM_LBRV
    | bits::SVM_NRIPS
    | bits::SVM_PAUSE_FILTER
    | bits::SVM_PAUSE_FILTER_THRESHOLD
    | bits::SVM_VGIF
    | bits::SVM_VNMI;

/// CPUID(leaf, subleaf) → [EAX, EBX, ECX, EDX]. Leaves above the maximum read as zero (AMD).
pub fn cpuid(leaf: u32, subleaf: u32) -> [u32; 4] {
    use bits::*;
    match leaf {
        0 => [MAX_BASIC, VENDOR[0], VENDOR[2], VENDOR[1]],
        // EBX: CLFLUSH line 8 qwords, 1 logical processor, APIC ID 0.
        1 => [SIGNATURE, 0x0001_0800, CX16 | POPCNT | XSAVE, LEAF1_EDX],
        7 if subleaf == 0 => [0, TSC_ADJUST | BMI1 | SMEP, 0, 0],
        // XSAVE (SDM vol.1 13.2 / APM vol.1 11.5.2): XCR0 may hold x87 only; the XSAVE area of
        // that is the 512-byte legacy region plus the 64-byte header (576 bytes); sub-leaf 1
        // reports no XSAVEOPT/XSAVEC/XGETBV1/XSAVES.
        0xd if subleaf == 0 => [super::xsave::XCR0_SUPPORTED, 576, 576, 0],
        0x8000_0000 => [MAX_EXT, VENDOR[0], VENDOR[2], VENDOR[1]],
        0x8000_0001 => [SIGNATURE, 0, LAHF_LM | SVM | ABM, (LEAF1_EDX & !(CLFSH)) | SYSCALL | NX | PDPE1GB | RDTSCP | LM],
        0x8000_0002..=0x8000_0004 => {
            let o = ((leaf - 0x8000_0002) * 16) as usize;
            let w = |i: usize| u32::from_le_bytes([BRAND[o + i], BRAND[o + i + 1], BRAND[o + i + 2], BRAND[o + i + 3]]);
            [w(0), w(4), w(8), w(12)]
        }
        // Physical and linear address bits 48/48.
        0x8000_0008 => [0x3030, 0, 0, 0],
        0x8000_000a => [SVM_REVISION, SVM_NUM_ASIDS, 0, SVM_FEATURES_EDX],
        _ => [0; 4],
    }
}

/// CPUID as the running code sees it: `cpuid` less the `hidden` features, with leaf 1
/// ECX.OSXSAVE = CR4.OSXSAVE (APM vol.3 CPUID Fn0000_0001_ECX[27]).
pub fn cpuid_in(leaf: u32, subleaf: u32, cr4: u64, hidden: Hidden) -> [u32; 4] {
    let mut r = cpuid(leaf, subleaf);
    if leaf == 1 && cr4 & super::control::cr4::OSXSAVE != 0 {
        r[2] |= bits::OSXSAVE;
    }
    if hidden.rdtscp && leaf == 0x8000_0001 {
        r[3] &= !bits::RDTSCP;
    }
    if hidden.xsave && (leaf == 1 || leaf == 0xd) {
        if leaf == 1 { r[2] &= !(bits::XSAVE | bits::OSXSAVE) } else { r = [0; 4] }
    }
    r
}

/// Features a machine is configured without, as QEMU's `-cpu …,-rdtscp,-xsave` removes them
/// (kvm-unit-tests' unittests.cfg runs svm_unsupported_instruction_intercept_test so): CPUID stops
/// reporting them and the processor behaves as one without them — RDTSCP is #UD, CR4.OSXSAVE is
/// reserved (so XGETBV/XSETBV are #UD). The other features that config removes (INVPCID, SKINIT)
/// are not offered anyway.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    pub rdtscp: bool,
    pub xsave: bool,
}

impl Hidden {
    /// Parses QEMU's spelling, a comma-separated list of `-feature` (rdtscp, xsave; invpcid and
    /// skinit, which the model never offers, are accepted and change nothing).
    pub fn parse(s: &str) -> Result<Hidden, String> {
        let mut h = Hidden::default();
        for f in s.split(',').filter(|f| !f.is_empty()) {
            match f {
                "-rdtscp" => h.rdtscp = true,
                "-xsave" => h.xsave = true,
                "-invpcid" | "-skinit" => {}
                _ => return Err(format!("unknown CPU feature change {f:?} (known: -rdtscp, -xsave, -invpcid, -skinit)")),
            }
        }
        Ok(h)
    }
}

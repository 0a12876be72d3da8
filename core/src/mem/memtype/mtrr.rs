//! MTRR state, WRMSR validity and the SDM 11.11.4.1 type lookup for a system-physical address (reference §5.3).
//!
//! MTRRs are never replicated for SVM guests: they apply to system-physical addresses only
//! (reference §5.3, APM 15.25.2 / 15.25.8).
use super::MemType;
use crate::mem::Hpa;
use serde::Serialize;

/// IA32_MTRRCAP (read-only): VCNT[7:0], FIX bit 8, WC bit 10, SMRR bit 11.
pub const MSR_MTRRCAP: u32 = 0xFE;
/// IA32_MTRR_DEF_TYPE: Type[7:0], FE bit 10, E bit 11.
pub const MSR_MTRR_DEF_TYPE: u32 = 0x2FF;
/// PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n.
pub const MSR_MTRR_PHYSBASE0: u32 = 0x200;
/// The 11 fixed-range MSRs, in the order of `MtrrState::fixed`.
pub const FIXED_MSRS: [u32; 11] = [0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F];
/// Number of variable-range pairs modelled (KVM_NR_VAR_MTRR, reference §5.3).
pub const NUM_VAR: usize = 8;

pub const DEF_TYPE_FE: u64 = 1 << 10;
pub const DEF_TYPE_E: u64 = 1 << 11;
/// Bits of IA32_MTRR_DEF_TYPE that may be nonzero (reference §5.2: all bits outside 0xCFF MBZ).
pub const DEF_TYPE_WRITABLE: u64 = 0xCFF;
pub const PHYSMASK_V: u64 = 1 << 11;
/// MTRRcap as KVM reports it: VCNT = 8, FIX = 1, WC = 1, SMRR = 0 (reference §5.3).
pub const MTRRCAP_DEFAULT: u64 = 0x500 | NUM_VAR as u64;

/// One variable-range pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VarMtrr {
    pub base: u64,
    pub mask: u64,
}

/// The MTRR MSRs of one (physical) processor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MtrrState {
    pub cap: u64,
    pub def_type: u64,
    /// Fixed-range MSRs in the order of [`FIXED_MSRS`].
    pub fixed: [u64; 11],
    pub var: [VarMtrr; NUM_VAR],
}

/// Which MTRR decided the type (for the provenance display).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MtrrSource {
    /// MTRR_DEF_TYPE.E = 0: everything is UC.
    Disabled,
    /// A fixed-range MSR (below 1 MiB with FE = 1): the MSR number and the byte within it.
    Fixed { msr: u32, byte: u8 },
    /// One or more variable ranges matched (bit n = pair n) and the SDM rules define the result.
    Variable { matched: u8 },
    /// Several variable ranges with an overlap the SDM leaves undefined; this model answers UC.
    OverlapUndefined { matched: u8 },
    /// No range matched: the default type.
    Default,
}

/// Why a WRMSR to an MTRR is refused (each is a #GP in hardware).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MtrrWriteError {
    /// Not an MTRR MSR handled by this state (or a variable pair beyond VCNT).
    NotMtrr,
    /// IA32_MTRRCAP is read-only.
    ReadOnly,
    /// A reserved bit is set or a type field holds an illegal MTRR type.
    Reserved,
}

impl Default for MtrrState {
    fn default() -> Self {
        Self::power_on()
    }
}

/// Legal MTRR type byte: {0, 1, 4, 5, 6} (reference §5.2, KVM bitmask 0x73).
const fn mtrr_type_valid(t: u64) -> bool {
    t < 8 && (0x73 >> t) & 1 == 1
}

/// Bits 63:max_phys_bits set.
const fn above_maxphys(max_phys_bits: u8) -> u64 {
    if max_phys_bits >= 64 { 0 } else { !0u64 << max_phys_bits }
}

/// One MTRR MSR (reference §5.3): MTRRcap, MTRRdefType, a fixed-range MSR (index into
/// [`FIXED_MSRS`]) or half of variable pair n (0..NUM_VAR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MtrrMsr {
    Cap,
    DefType,
    Fixed(usize),
    PhysBase(usize),
    PhysMask(usize),
}

impl MtrrMsr {
    /// The MTRR MSR numbered `msr`, if it is one.
    pub fn of(msr: u32) -> Option<Self> {
        match msr {
            MSR_MTRRCAP => Some(Self::Cap),
            MSR_MTRR_DEF_TYPE => Some(Self::DefType),
            _ => {
                if let Some(i) = FIXED_MSRS.iter().position(|&m| m == msr) {
                    return Some(Self::Fixed(i));
                }
                let off = msr.checked_sub(MSR_MTRR_PHYSBASE0)? as usize;
                match (off / 2, off % 2) {
                    (n, _) if n >= NUM_VAR => None,
                    (n, 0) => Some(Self::PhysBase(n)),
                    (n, _) => Some(Self::PhysMask(n)),
                }
            }
        }
    }

    /// The WRMSR validity rules of reference §5.2/§5.3: MTRRcap is read-only; DEF_TYPE bits
    /// outside 0xCFF MBZ and its type must be legal; each fixed-range byte must be a legal type;
    /// PHYSBASE type legal, bits 11:8 and bits ≥ MAXPHYADDR MBZ; PHYSMASK bits 10:0 and bits ≥
    /// MAXPHYADDR MBZ.
    pub fn check_write(self, value: u64, max_phys_bits: u8) -> Result<(), MtrrWriteError> {
        let hi = above_maxphys(max_phys_bits);
        let ok = match self {
            Self::Cap => return Err(MtrrWriteError::ReadOnly),
            Self::DefType => value & !DEF_TYPE_WRITABLE == 0 && mtrr_type_valid(value & 0xFF),
            Self::Fixed(_) => (0..8).all(|b| mtrr_type_valid((value >> (8 * b)) & 0xFF)),
            Self::PhysBase(_) => value & (0xF00 | hi) == 0 && mtrr_type_valid(value & 0xFF),
            Self::PhysMask(_) => value & (0x7FF | hi) == 0,
        };
        if ok { Ok(()) } else { Err(MtrrWriteError::Reserved) }
    }
}

impl MtrrState {
    /// After RESET: MTRRs disabled (E = 0 → all UC), every range zero.
    pub fn power_on() -> Self {
        MtrrState { cap: MTRRCAP_DEFAULT, def_type: 0, fixed: [0; 11], var: [VarMtrr::default(); NUM_VAR] }
    }

    /// What firmware typically leaves: MTRRs enabled, default type WB, no ranges.
    pub fn all_wb() -> Self {
        MtrrState { def_type: DEF_TYPE_E | 6, ..Self::power_on() }
    }

    /// Number of usable variable pairs: min(VCNT, 8).
    pub fn vcnt(&self) -> usize {
        ((self.cap & 0xFF) as usize).min(NUM_VAR)
    }

    /// True if `msr` is one of the MTRR MSRs (cap, def type, fixed, or variable within VCNT).
    pub fn is_mtrr_msr(&self, msr: u32) -> bool {
        self.rdmsr(msr).is_some()
    }

    /// RDMSR of an MTRR MSR; `None` if `msr` is not one.
    pub fn rdmsr(&self, msr: u32) -> Option<u64> {
        match msr {
            MSR_MTRRCAP => Some(self.cap),
            MSR_MTRR_DEF_TYPE => Some(self.def_type),
            _ => {
                if let Some(i) = FIXED_MSRS.iter().position(|&m| m == msr) {
                    return Some(self.fixed[i]);
                }
                let (n, is_mask) = self.var_index(msr)?;
                let v = &self.var[n];
                Some(if is_mask { v.mask } else { v.base })
            }
        }
    }

    fn var_index(&self, msr: u32) -> Option<(usize, bool)> {
        let off = msr.checked_sub(MSR_MTRR_PHYSBASE0)? as usize;
        (off / 2 < self.vcnt()).then_some((off / 2, off % 2 == 1))
    }

    /// WRMSR with the validity rules of [`MtrrMsr::check_write`]; a variable pair beyond VCNT is
    /// not an MTRR. On error nothing changes.
    pub fn wrmsr(&mut self, msr: u32, value: u64, max_phys_bits: u8) -> Result<(), MtrrWriteError> {
        let reg = MtrrMsr::of(msr).ok_or(MtrrWriteError::NotMtrr)?;
        if let MtrrMsr::PhysBase(n) | MtrrMsr::PhysMask(n) = reg
            && n >= self.vcnt()
        {
            return Err(MtrrWriteError::NotMtrr);
        }
        reg.check_write(value, max_phys_bits)?;
        match reg {
            MtrrMsr::Cap => {}
            MtrrMsr::DefType => self.def_type = value,
            MtrrMsr::Fixed(i) => self.fixed[i] = value,
            MtrrMsr::PhysBase(n) => self.var[n].base = value,
            MtrrMsr::PhysMask(n) => self.var[n].mask = value,
        }
        Ok(())
    }

    /// The fixed-range MSR and byte covering `addr` (< 1 MiB), per the table in reference §5.3.
    #[allow(clippy::cast_possible_truncation, reason = "addr < 1 MiB: each byte index is at most 7, each MSR index at most 10")]
    pub fn fixed_slot(addr: u64) -> Option<(usize, u8)> {
        match addr {
            0..0x8_0000 => Some((0, (addr >> 16) as u8)),
            0x8_0000..0xC_0000 => {
                let o = addr - 0x8_0000;
                Some((1 + (o >> 17) as usize, ((o >> 14) & 7) as u8))
            }
            0xC_0000..0x10_0000 => {
                let o = addr - 0xC_0000;
                Some((3 + (o >> 15) as usize, ((o >> 12) & 7) as u8))
            }
            _ => None,
        }
    }

    /// The MTRR memory type of a system-physical address, with the MTRR that decided it.
    /// SDM 11.11.4.1 precedence (reference §5.3): E = 0 → UC; below 1 MiB with FE = 1 → fixed
    /// range; else variable ranges (one match → its type; equal types → that type; any UC → UC;
    /// WT + WB → WT; other overlaps undefined → UC here); no match → default type.
    /// A type byte that is not a legal MTRR type (only possible if a field was set directly,
    /// bypassing [`MtrrState::wrmsr`]) is treated as UC.
    pub fn mtrr_type(&self, spa: Hpa) -> (MemType, MtrrSource) {
        let ty = |b: u64| MemType::from_mtrr_encoding((b & 0xFF) as u8).unwrap_or(MemType::UC);
        if self.def_type & DEF_TYPE_E == 0 {
            return (MemType::UC, MtrrSource::Disabled);
        }
        if self.def_type & DEF_TYPE_FE != 0
            && let Some((i, byte)) = Self::fixed_slot(spa.0)
        {
            let t = ty(self.fixed[i] >> (8 * byte));
            return (t, MtrrSource::Fixed { msr: FIXED_MSRS[i], byte });
        }
        let mut matched = 0u8;
        let mut types: Vec<MemType> = Vec::new();
        for (n, v) in self.var.iter().enumerate().take(self.vcnt()) {
            let m = v.mask & !0xFFF;
            if v.mask & PHYSMASK_V != 0 && spa.0 & m == v.base & m {
                matched |= 1 << n;
                types.push(ty(v.base));
            }
        }
        let Some(&first) = types.first() else {
            return (ty(self.def_type), MtrrSource::Default);
        };
        if types.iter().all(|&t| t == first) {
            (first, MtrrSource::Variable { matched })
        } else if types.contains(&MemType::UC) {
            (MemType::UC, MtrrSource::Variable { matched })
        } else if types.iter().all(|&t| t == MemType::WT || t == MemType::WB) {
            (MemType::WT, MtrrSource::Variable { matched })
        } else {
            (MemType::UC, MtrrSource::OverlapUndefined { matched })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const MIB: u64 = 1 << 20;

    fn enabled(def: u64) -> MtrrState {
        let mut s = MtrrState::power_on();
        s.wrmsr(MSR_MTRR_DEF_TYPE, def, 48).unwrap();
        s
    }
    /// Variable range n = [base, base+size) of type t (size a power of two).
    fn var(s: &mut MtrrState, n: u32, base: u64, size: u64, t: u64) {
        s.wrmsr(0x200 + 2 * n, base | t, 48).unwrap();
        s.wrmsr(0x201 + 2 * n, (!(size - 1) & ((1 << 48) - 1) & !0xFFF) | PHYSMASK_V, 48).unwrap();
    }

    #[test]
    fn disabled_means_uc_everywhere() {
        let mut s = MtrrState::power_on();
        var(&mut s, 0, 0, 1 << 30, 6);
        s.fixed = [0x0606_0606_0606_0606; 11];
        for a in [0, 0x7_0000, MIB, 1 << 29] {
            assert_eq!(s.mtrr_type(Hpa(a)), (MemType::UC, MtrrSource::Disabled));
        }
    }

    #[test]
    fn fixed_ranges_below_1mib_only_with_fe() {
        let mut s = enabled(DEF_TYPE_E | DEF_TYPE_FE | 6);
        s.wrmsr(0x250, 0x0000_0000_0000_0400, 48).unwrap(); // 64K unit 1 (0x10000..) = WT
        s.wrmsr(0x259, 0x0101_0101_0101_0101, 48).unwrap(); // A0000-BFFFF = WC (VGA)
        s.wrmsr(0x26F, 0x0500_0000_0000_0000, 48).unwrap(); // FF000-FFFFF = WP
        var(&mut s, 0, 0, 1 << 30, 0); // variable UC over the first GiB: must lose below 1 MiB
        let cases = [
            (0x0_0000, MemType::UC, 0x250, 0),
            (0x1_2345, MemType::WT, 0x250, 1),
            (0xA_0000, MemType::WC, 0x259, 0),
            (0xB_C000, MemType::WC, 0x259, 7),
            (0xF_F000, MemType::WP, 0x26F, 7),
            (0xF_E000, MemType::UC, 0x26F, 6),
        ];
        for (a, t, msr, byte) in cases {
            assert_eq!(s.mtrr_type(Hpa(a)), (t, MtrrSource::Fixed { msr, byte }), "{a:#x}");
        }
        assert_eq!(s.mtrr_type(Hpa(MIB)), (MemType::UC, MtrrSource::Variable { matched: 1 }));
        // FE = 0: the same address goes to the variable ranges
        s.wrmsr(MSR_MTRR_DEF_TYPE, DEF_TYPE_E | 6, 48).unwrap();
        assert_eq!(s.mtrr_type(Hpa(0xA_0000)), (MemType::UC, MtrrSource::Variable { matched: 1 }));
    }

    #[test]
    fn fixed_slots_cover_the_reference_table() {
        assert_eq!(MtrrState::fixed_slot(0x7_FFFF), Some((0, 7)));
        assert_eq!(MtrrState::fixed_slot(0x8_0000), Some((1, 0)));
        assert_eq!(MtrrState::fixed_slot(0x9_C000), Some((1, 7)));
        assert_eq!(MtrrState::fixed_slot(0xA_0000), Some((2, 0)));
        assert_eq!(MtrrState::fixed_slot(0xC_0000), Some((3, 0)));
        assert_eq!(MtrrState::fixed_slot(0xC_8000), Some((4, 0)));
        assert_eq!(MtrrState::fixed_slot(0xF_8000), Some((10, 0)));
        assert_eq!(MtrrState::fixed_slot(0x10_0000), None);
    }

    #[test]
    fn variable_precedence() {
        let mut s = enabled(DEF_TYPE_E | 6);
        var(&mut s, 0, 0x4000_0000, 1 << 30, 6); // 1-2 GiB WB
        var(&mut s, 1, 0x4000_0000, 1 << 28, 4); // 1 GiB + 256 MiB WT (overlaps 0)
        var(&mut s, 2, 0x4000_0000, 1 << 24, 0); // first 16 MiB UC (overlaps 0 and 1)
        var(&mut s, 3, 0x8000_0000, 1 << 20, 1); // 2 GiB: WC
        var(&mut s, 4, 0x8000_0000, 1 << 20, 5); // same range WP: undefined overlap
        var(&mut s, 5, 0xC000_0000, 1 << 20, 1); // WC
        var(&mut s, 6, 0xC000_0000, 1 << 21, 1); // WC again: same type
        let v = |m| MtrrSource::Variable { matched: m };
        assert_eq!(s.mtrr_type(Hpa(0x4000_0000)), (MemType::UC, v(0b111)));
        assert_eq!(s.mtrr_type(Hpa(0x4100_0000)), (MemType::WT, v(0b011)));
        assert_eq!(s.mtrr_type(Hpa(0x5000_0000)), (MemType::WB, v(0b001)));
        assert_eq!(s.mtrr_type(Hpa(0x8000_0000)), (MemType::UC, MtrrSource::OverlapUndefined { matched: 0b11000 }));
        assert_eq!(s.mtrr_type(Hpa(0xC000_0000)), (MemType::WC, v(0b110_0000)));
        assert_eq!(s.mtrr_type(Hpa(0xC010_0000)), (MemType::WC, v(0b100_0000)));
        assert_eq!(s.mtrr_type(Hpa(0x1000)), (MemType::WB, MtrrSource::Default));
        let s2 = enabled(DEF_TYPE_E);
        assert_eq!(s2.mtrr_type(Hpa(0x1000)), (MemType::UC, MtrrSource::Default));
        // a pair without V does not match
        let mut s3 = enabled(DEF_TYPE_E | 6);
        s3.wrmsr(0x200, 0, 48).unwrap();
        s3.wrmsr(0x201, 0xFFFF_C000_0000, 48).unwrap();
        assert_eq!(s3.mtrr_type(Hpa(0)), (MemType::WB, MtrrSource::Default));
    }

    #[test]
    fn wrmsr_validity() {
        use MtrrWriteError::*;
        let mut s = MtrrState::power_on();
        assert_eq!(s.wrmsr(MSR_MTRRCAP, 0, 48), Err(ReadOnly));
        for t in [0u64, 1, 4, 5, 6] {
            assert_eq!(s.wrmsr(MSR_MTRR_DEF_TYPE, DEF_TYPE_E | DEF_TYPE_FE | t, 48), Ok(()));
            assert_eq!(s.wrmsr(0x200, t, 48), Ok(()));
            assert_eq!(s.wrmsr(0x26C, t * 0x0101_0101_0101_0101, 48), Ok(()));
        }
        for t in [2u64, 3, 7, 8, 0xFF] {
            assert_eq!(s.wrmsr(MSR_MTRR_DEF_TYPE, DEF_TYPE_E | t, 48), Err(Reserved), "type {t}");
            assert_eq!(s.wrmsr(0x200, t, 48), Err(Reserved));
            assert_eq!(s.wrmsr(0x250, t << 56, 48), Err(Reserved));
        }
        for bit in [8, 9, 12, 63] {
            assert_eq!(s.wrmsr(MSR_MTRR_DEF_TYPE, 1 << bit, 48), Err(Reserved), "bit {bit}");
        }
        assert_eq!(s.wrmsr(0x200, 1 << 8, 48), Err(Reserved));
        assert_eq!(s.wrmsr(0x200, 1 << 48, 48), Err(Reserved));
        assert_eq!(s.wrmsr(0x200, 1 << 47, 48), Ok(()));
        assert_eq!(s.wrmsr(0x201, 1 << 10, 48), Err(Reserved));
        assert_eq!(s.wrmsr(0x201, 1 << 48, 48), Err(Reserved));
        assert_eq!(s.wrmsr(0x201, PHYSMASK_V | (1 << 47), 48), Ok(()));
        assert_eq!(s.wrmsr(0x20F, 0, 48), Ok(())); // PHYSMASK7
        assert_eq!(s.wrmsr(0x210, 0, 48), Err(NotMtrr)); // pair 8 does not exist
        assert_eq!(s.wrmsr(0x277, 0, 48), Err(NotMtrr));
        assert_eq!(s.rdmsr(0x201), Some(PHYSMASK_V | (1 << 47)));
        assert_eq!(s.rdmsr(MSR_MTRRCAP), Some(0x508));
        assert!(s.is_mtrr_msr(0x26F) && !s.is_mtrr_msr(0x270));
    }
}

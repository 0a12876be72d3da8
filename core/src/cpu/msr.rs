//! Model-specific registers: numbers, reset values, validity checks (#GP on reserved bits and
//! reserved encodings) and the serializable MSR state kept in checkpoints.
//!
//! EFER lives in `ControlRegs::efer`, the PAT in `Cpu::pat`, FS/GS base in the segment registers
//! and the TSC is derived from the step counter; everything else is in [`MsrState`].
use serde::{Deserialize, Serialize};

pub const TSC: u32 = 0x10;
pub const APIC_BASE: u32 = 0x1b;
pub const MTRRCAP: u32 = 0xfe;
pub const SYSENTER_CS: u32 = 0x174;
pub const SYSENTER_ESP: u32 = 0x175;
pub const SYSENTER_EIP: u32 = 0x176;
pub const MTRR_PHYSBASE0: u32 = 0x200;
pub const MTRR_PHYSMASK7: u32 = 0x20f;
pub const MTRR_FIX64K_00000: u32 = 0x250;
pub const MTRR_FIX16K_80000: u32 = 0x258;
pub const MTRR_FIX16K_A0000: u32 = 0x259;
pub const MTRR_FIX4K_C0000: u32 = 0x268;
pub const MTRR_FIX4K_F8000: u32 = 0x26f;
pub const PAT: u32 = 0x277;
pub const MTRR_DEF_TYPE: u32 = 0x2ff;
pub const EFER: u32 = 0xc000_0080;
pub const STAR: u32 = 0xc000_0081;
pub const LSTAR: u32 = 0xc000_0082;
pub const CSTAR: u32 = 0xc000_0083;
pub const SFMASK: u32 = 0xc000_0084;
pub const FS_BASE: u32 = 0xc000_0100;
pub const GS_BASE: u32 = 0xc000_0101;
pub const KERNEL_GS_BASE: u32 = 0xc000_0102;
pub const TSC_AUX: u32 = 0xc000_0103;
pub const VM_CR: u32 = 0xc001_0114;
pub const VM_HSAVE_PA: u32 = 0xc001_0117;

/// MTRRcap: VCNT = 8, FIX (bit 8), WC (bit 10); SMRR clear.
pub const MTRRCAP_VALUE: u64 = 0x508;
/// MTRRdefType at reset: E, FE, default type WB (CONTRACT §1).
pub const MTRR_DEF_TYPE_RESET: u64 = 0xc06;
/// Every fixed-range MTRR byte WB.
pub const MTRR_FIXED_RESET: u64 = 0x0606_0606_0606_0606;
/// APIC base at reset: 0xFEE00000, enabled (bit 11), BSP (bit 8).
pub const APIC_BASE_RESET: u64 = 0xfee0_0900;
/// Physical-address width of the model (CPUID 0x80000008).
pub const MAXPHYADDR: u32 = 48;
/// EFER bits software may set: SCE, LME, LMA (read back, hardware-managed), NXE, SVME, FFXSR, TCE.
pub const EFER_VALID: u64 = 1 | (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 14) | (1 << 15);
/// VM_CR bits: DPD, R_INIT, DIS_A20M, LOCK, SVMDIS.
pub const VM_CR_VALID: u64 = 0x1f;
pub const VM_CR_SVMDIS: u64 = 1 << 4;

/// The fixed-range MTRR MSR numbers in order.
pub const FIXED_MTRRS: [u32; 11] = [0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f];

/// MSRs without a home elsewhere in `Cpu`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsrState {
    pub apic_base: u64,
    pub mtrr_def_type: u64,
    pub mtrr_fixed: [u64; 11],
    /// PHYSBASE0, PHYSMASK0, ..., PHYSBASE7, PHYSMASK7 (MSR 0x200 + i).
    pub mtrr_var: [u64; 16],
    pub sysenter_cs: u64,
    pub sysenter_esp: u64,
    pub sysenter_eip: u64,
    pub star: u64,
    pub lstar: u64,
    pub cstar: u64,
    pub sfmask: u64,
    pub kernel_gs_base: u64,
    pub tsc_aux: u64,
    pub vm_cr: u64,
    pub vm_hsave_pa: u64,
    /// TSC = steps + tsc_offset (a WRMSR to the TSC sets the offset).
    pub tsc_offset: u64,
}

impl Default for MsrState {
    fn default() -> Self {
        MsrState {
            apic_base: APIC_BASE_RESET,
            mtrr_def_type: MTRR_DEF_TYPE_RESET,
            mtrr_fixed: [MTRR_FIXED_RESET; 11],
            mtrr_var: [0; 16],
            sysenter_cs: 0,
            sysenter_esp: 0,
            sysenter_eip: 0,
            star: 0,
            lstar: 0,
            cstar: 0,
            sfmask: 0,
            kernel_gs_base: 0,
            tsc_aux: 0,
            vm_cr: 0,
            vm_hsave_pa: 0,
            tsc_offset: 0,
        }
    }
}

/// A PAT value is valid when every byte is 0, 1, 4, 5, 6 or 7 (reference §5.2).
pub fn pat_valid(v: u64) -> bool {
    v.to_le_bytes().iter().all(|&b| matches!(b, 0 | 1 | 4 | 5 | 6 | 7))
}

/// An MTRR memory type is 0, 1, 4, 5 or 6 (UC- is not allowed in MTRRs).
pub fn mtrr_type_valid(t: u8) -> bool {
    matches!(t, 0 | 1 | 4 | 5 | 6)
}

/// Bits at or above MAXPHYADDR.
const fn above_maxphy() -> u64 {
    !((1u64 << MAXPHYADDR) - 1)
}

fn canonical(v: u64) -> bool {
    (((v << 16) as i64) >> 16) as u64 == v
}

/// Why a WRMSR/RDMSR is refused: always #GP(0), the text is for traces and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsrFault(pub &'static str);

impl MsrState {
    /// RDMSR of an MSR held here. `None` = not an MSR of this table.
    pub fn read(&self, idx: u32) -> Option<u64> {
        Some(match idx {
            APIC_BASE => self.apic_base,
            MTRRCAP => MTRRCAP_VALUE,
            SYSENTER_CS => self.sysenter_cs,
            SYSENTER_ESP => self.sysenter_esp,
            SYSENTER_EIP => self.sysenter_eip,
            MTRR_PHYSBASE0..=MTRR_PHYSMASK7 => self.mtrr_var[(idx - MTRR_PHYSBASE0) as usize],
            MTRR_DEF_TYPE => self.mtrr_def_type,
            STAR => self.star,
            LSTAR => self.lstar,
            CSTAR => self.cstar,
            SFMASK => self.sfmask,
            KERNEL_GS_BASE => self.kernel_gs_base,
            TSC_AUX => self.tsc_aux,
            VM_CR => self.vm_cr,
            VM_HSAVE_PA => self.vm_hsave_pa,
            _ => {
                let i = FIXED_MTRRS.iter().position(|&m| m == idx)?;
                self.mtrr_fixed[i]
            }
        })
    }

    /// WRMSR of an MSR held here. `Ok(false)` = not an MSR of this table.
    pub fn write(&mut self, idx: u32, v: u64) -> Result<bool, MsrFault> {
        match idx {
            APIC_BASE => {
                // Bits 7:0, 9, 10 (x2APIC, not offered) and above MAXPHYADDR are reserved.
                if v & (0x6ff | above_maxphy()) != 0 {
                    return Err(MsrFault("APIC_BASE reserved bit"));
                }
                self.apic_base = v;
            }
            MTRRCAP => return Err(MsrFault("MTRRcap is read-only")),
            SYSENTER_CS => self.sysenter_cs = v & 0xffff_ffff,
            SYSENTER_ESP => self.sysenter_esp = v,
            SYSENTER_EIP => self.sysenter_eip = v,
            MTRR_PHYSBASE0..=MTRR_PHYSMASK7 => {
                let i = (idx - MTRR_PHYSBASE0) as usize;
                if i.is_multiple_of(2) {
                    if v & (0xf00 | above_maxphy()) != 0 || !mtrr_type_valid(v as u8) {
                        return Err(MsrFault("MTRR PHYSBASE reserved bit or type"));
                    }
                } else if v & (0x7ff | above_maxphy()) != 0 {
                    return Err(MsrFault("MTRR PHYSMASK reserved bit"));
                }
                self.mtrr_var[i] = v;
            }
            MTRR_DEF_TYPE => {
                if v & !0xcff != 0 || !mtrr_type_valid(v as u8) {
                    return Err(MsrFault("MTRRdefType reserved bit or type"));
                }
                self.mtrr_def_type = v;
            }
            STAR => self.star = v,
            LSTAR | CSTAR => {
                if !canonical(v) {
                    return Err(MsrFault("non-canonical address"));
                }
                if idx == LSTAR { self.lstar = v } else { self.cstar = v }
            }
            SFMASK => self.sfmask = v & 0xffff_ffff,
            KERNEL_GS_BASE => {
                if !canonical(v) {
                    return Err(MsrFault("non-canonical address"));
                }
                self.kernel_gs_base = v;
            }
            TSC_AUX => {
                if v >> 32 != 0 {
                    return Err(MsrFault("TSC_AUX reserved bit"));
                }
                self.tsc_aux = v;
            }
            VM_CR => {
                if v & !VM_CR_VALID != 0 {
                    return Err(MsrFault("VM_CR reserved bit"));
                }
                // With LOCK set, SVMDIS and LOCK are frozen.
                if self.vm_cr & (1 << 3) != 0 && (v ^ self.vm_cr) & 0x18 != 0 {
                    return Err(MsrFault("VM_CR is locked"));
                }
                self.vm_cr = v;
            }
            VM_HSAVE_PA => {
                if v & 0xfff != 0 || v & above_maxphy() != 0 {
                    return Err(MsrFault("VM_HSAVE_PA not page-aligned or beyond MAXPHYADDR"));
                }
                self.vm_hsave_pa = v;
            }
            _ => {
                let Some(i) = FIXED_MTRRS.iter().position(|&m| m == idx) else { return Ok(false) };
                if !v.to_le_bytes().iter().all(|&b| mtrr_type_valid(b)) {
                    return Err(MsrFault("fixed MTRR type"));
                }
                self.mtrr_fixed[i] = v;
            }
        }
        Ok(true)
    }
}

//! Model-specific registers: numbers, reset values, validity checks (#GP on reserved bits and
//! reserved encodings) and the serializable MSR state kept in checkpoints.
//!
//! EFER lives in `ControlRegs::efer`, the PAT in `Cpu::pat`, FS/GS base in the segment registers
//! and the TSC is derived from the step counter; everything else is in [`MsrState`].
use super::caps::CpuCaps;
use crate::mem::memtype::mtrr::{self, MtrrMsr};

pub const TSC: u32 = 0x10;
/// IA32_TSC_ADJUST (SDM vol.3 17.17.3; CPUID 7.0:EBX[1]); its writes and the TSC's are in cpu/tsc.rs.
pub const TSC_ADJUST: u32 = 0x3b;
/// DEBUGCTL (APM 13.1.1.6): LBR (branch recording, cpu/lbr.rs), BTF and the PB0–PB3 bits.
pub const DEBUGCTL: u32 = 0x1d9;
/// Legacy performance counters (APM 13.2.1): PerfEvtSel0–3 at 0xC001_0000, PerfCtr0–3 at 0xC001_0004.
pub const PERF_CTL0: u32 = 0xc001_0000;
pub const PERF_CTR0: u32 = 0xc001_0004;
pub const APIC_BASE: u32 = 0x1b;
pub const MTRRCAP: u32 = mtrr::MSR_MTRRCAP;
pub const SYSENTER_CS: u32 = 0x174;
pub const SYSENTER_ESP: u32 = 0x175;
pub const SYSENTER_EIP: u32 = 0x176;
pub const PAT: u32 = 0x277;
pub const MTRR_DEF_TYPE: u32 = mtrr::MSR_MTRR_DEF_TYPE;
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

/// The name of an MSR this model knows by number (for showing an MSR exit), from the constants
/// above; `None` for others.
pub fn name(msr: u32) -> Option<&'static str> {
    Some(match msr {
        TSC => "TSC",
        TSC_ADJUST => "TSC_ADJUST",
        DEBUGCTL => "DEBUGCTL",
        APIC_BASE => "APIC_BASE",
        SYSENTER_CS => "SYSENTER_CS",
        SYSENTER_ESP => "SYSENTER_ESP",
        SYSENTER_EIP => "SYSENTER_EIP",
        PAT => "PAT",
        EFER => "EFER",
        STAR => "STAR",
        LSTAR => "LSTAR",
        CSTAR => "CSTAR",
        SFMASK => "SFMASK",
        FS_BASE => "FS_BASE",
        GS_BASE => "GS_BASE",
        KERNEL_GS_BASE => "KERNEL_GS_BASE",
        TSC_AUX => "TSC_AUX",
        VM_CR => "VM_CR",
        VM_HSAVE_PA => "VM_HSAVE_PA",
        _ if msr == MTRRCAP => "MTRRCAP",
        _ if msr == MTRR_DEF_TYPE => "MTRR_DEF_TYPE",
        _ => return None,
    })
}

/// MTRRcap: VCNT = 8, FIX (bit 8), WC (bit 10); SMRR clear.
pub const MTRRCAP_VALUE: u64 = mtrr::MTRRCAP_DEFAULT;
/// MTRRdefType at reset: E, FE, default type WB (CONTRACT §1).
pub const MTRR_DEF_TYPE_RESET: u64 = 0xc06;
/// Every fixed-range MTRR byte WB.
pub const MTRR_FIXED_RESET: u64 = 0x0606_0606_0606_0606;
/// APIC base at reset: 0xFEE00000, enabled (bit 11), BSP (bit 8).
pub const APIC_BASE_RESET: u64 = 0xfee0_0900;
/// Physical-address width of the model (CPUID 0x80000008): [`CpuCaps::MODEL`]'s.
pub const MAXPHYADDR: u32 = CpuCaps::MODEL.maxphyaddr as u32;
/// VM_CR bits: DPD, R_INIT, DIS_A20M, LOCK, SVMDIS.
pub const VM_CR_VALID: u64 = 0x1f;
pub const VM_CR_SVMDIS: u64 = 1 << 4;

/// The fixed-range MTRR MSR numbers in order.
pub use crate::mem::memtype::mtrr::FIXED_MSRS as FIXED_MTRRS;

/// MSRs without a home elsewhere in `Cpu`.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// IA32_TSC_ADJUST: what software added to the TSC by writing it (SDM vol.3 17.17.3).
    pub tsc_adjust: u64,
    /// DEBUGCTL as written (reserved bits refused); LBR records into `lbr`.
    pub debugctl: u64,
    /// LastBranchFromIP/ToIP, LastIntFromIP/ToIP (cpu/lbr.rs; read-only MSRs 0x1DB–0x1DE).
    pub lbr: super::lbr::Lbr,
    /// PerfEvtSel0–3 and PerfCtr0–3 as written; the counters do not count.
    pub perf_ctl: [u64; 4],
    pub perf_ctr: [u64; 4],
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
            tsc_adjust: 0,
            debugctl: 0,
            lbr: Default::default(),
            perf_ctl: [0; 4],
            perf_ctr: [0; 4],
        }
    }
}

/// Bits at or above MAXPHYADDR.
const fn above_maxphy() -> u64 {
    CpuCaps::MODEL.above_maxphyaddr()
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
            SYSENTER_CS => self.sysenter_cs,
            SYSENTER_ESP => self.sysenter_esp,
            SYSENTER_EIP => self.sysenter_eip,
            STAR => self.star,
            LSTAR => self.lstar,
            CSTAR => self.cstar,
            SFMASK => self.sfmask,
            KERNEL_GS_BASE => self.kernel_gs_base,
            TSC_AUX => self.tsc_aux,
            VM_CR => self.vm_cr,
            VM_HSAVE_PA => self.vm_hsave_pa,
            DEBUGCTL => self.debugctl,
            TSC_ADJUST => self.tsc_adjust,
            super::lbr::LAST_BRANCH_FROM_IP..=super::lbr::LAST_INT_TO_IP => self.lbr.read(idx)?,
            PERF_CTL0..=0xc001_0003 => self.perf_ctl[(idx - PERF_CTL0) as usize],
            PERF_CTR0..=0xc001_0007 => self.perf_ctr[(idx - PERF_CTR0) as usize],
            _ => match MtrrMsr::of(idx)? {
                MtrrMsr::Cap => MTRRCAP_VALUE,
                MtrrMsr::DefType => self.mtrr_def_type,
                MtrrMsr::Fixed(i) => self.mtrr_fixed[i],
                MtrrMsr::PhysBase(n) => self.mtrr_var[2 * n],
                MtrrMsr::PhysMask(n) => self.mtrr_var[2 * n + 1],
            },
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
            SYSENTER_CS => self.sysenter_cs = v & 0xffff_ffff,
            SYSENTER_ESP => self.sysenter_esp = v,
            SYSENTER_EIP => self.sysenter_eip = v,
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
            DEBUGCTL => {
                // Bits 5:0 (LBR, BTF, PB0–PB3) are defined; the rest are reserved (APM 13.1.1.6).
                if v & !super::lbr::DEBUGCTL_VALID != 0 {
                    return Err(MsrFault("DEBUGCTL reserved bit"));
                }
                self.debugctl = v;
            }
            super::lbr::LAST_BRANCH_FROM_IP..=super::lbr::LAST_INT_TO_IP => {
                return Err(MsrFault("the LBR MSRs are read-only"));
            }
            PERF_CTL0..=0xc001_0003 => self.perf_ctl[(idx - PERF_CTL0) as usize] = v,
            // The counters are 48 bits wide (APM 13.2.1).
            PERF_CTR0..=0xc001_0007 => self.perf_ctr[(idx - PERF_CTR0) as usize] = v & 0xffff_ffff_ffff,
            _ => {
                let Some(reg) = MtrrMsr::of(idx) else { return Ok(false) };
                reg.check_write(v, CpuCaps::MODEL.maxphyaddr).map_err(|_| {
                    MsrFault(match reg {
                        MtrrMsr::Cap => "MTRRcap is read-only",
                        MtrrMsr::DefType => "MTRRdefType reserved bit or type",
                        MtrrMsr::Fixed(_) => "fixed MTRR type",
                        MtrrMsr::PhysBase(_) => "MTRR PHYSBASE reserved bit or type",
                        MtrrMsr::PhysMask(_) => "MTRR PHYSMASK reserved bit",
                    })
                })?;
                match reg {
                    MtrrMsr::Cap => {}
                    MtrrMsr::DefType => self.mtrr_def_type = v,
                    MtrrMsr::Fixed(i) => self.mtrr_fixed[i] = v,
                    MtrrMsr::PhysBase(n) => self.mtrr_var[2 * n] = v,
                    MtrrMsr::PhysMask(n) => self.mtrr_var[2 * n + 1] = v,
                }
            }
        }
        Ok(true)
    }
}

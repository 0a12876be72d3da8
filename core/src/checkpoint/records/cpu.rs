//! The processor's record: registers, segments, control registers, MSRs (with the LBR MSRs and
//! the features the machine is configured without).
use super::{Persist, mirror_struct};
use crate::cpu::cpuid::Hidden;
use crate::cpu::lbr::Lbr;
use crate::cpu::msr::MsrState;
use crate::cpu::{ControlRegs, Cpu, DescTable, Regs, Segment};
use serde::{Deserialize, Serialize};

mirror_struct! {
    /// LastBranchFromIP/ToIP, LastIntFromIP/ToIP (cpu/lbr.rs).
    LbrState <-> Lbr { branch_from: u64, branch_to: u64, int_from: u64, int_to: u64 }
}

mirror_struct! {
    /// CPU features the machine is configured without (cpuid.rs `Hidden`).
    HiddenState <-> Hidden { rdtscp: bool, xsave: bool }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRecord {
    pub selector: u16,
    pub base: u64,
    pub limit: u32,
    pub attrib: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRecord {
    pub base: u64,
    pub limit: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuRecord {
    /// rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15.
    pub gpr: [u64; 16],
    pub rip: u64,
    pub rflags: u64,
    pub cs: SegmentRecord,
    pub ds: SegmentRecord,
    pub es: SegmentRecord,
    pub ss: SegmentRecord,
    pub fs: SegmentRecord,
    pub gs: SegmentRecord,
    pub ldtr: SegmentRecord,
    pub tr: SegmentRecord,
    pub gdtr: TableRecord,
    pub idtr: TableRecord,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub cr8: u64,
    pub efer: u64,
    pub dr: [u64; 8],
    pub pat: u64,
    pub cpl: u8,
    pub msr: MsrRecord,
    /// CPU features the machine is configured without (cpuid.rs `Hidden`; added later: absent in
    /// older files, left out when none).
    #[serde(default, skip_serializing_if = "is_default")]
    pub hidden: HiddenState,
}

pub(crate) fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MsrRecord {
    pub apic_base: u64,
    pub mtrr_def_type: u64,
    pub mtrr_fixed: [u64; 11],
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
    pub tsc_offset: u64,
    /// DEBUGCTL and the legacy performance-counter MSRs (added in format 2 without a version
    /// change: absent in older files, left out when zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub debugctl: u64,
    #[serde(default, skip_serializing_if = "all_zero")]
    pub perf_ctl: [u64; 4],
    #[serde(default, skip_serializing_if = "all_zero")]
    pub perf_ctr: [u64; 4],
    /// The LBR MSRs (cpu/lbr.rs; added without a version change: absent in older files, left
    /// out when zero).
    #[serde(default, skip_serializing_if = "is_default")]
    pub lbr: LbrState,
    /// IA32_TSC_ADJUST (likewise added later; left out when zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tsc_adjust: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn all_zero(v: &[u64; 4]) -> bool {
    v.iter().all(|&x| x == 0)
}


impl Persist for Segment {
    type State = SegmentRecord;
    fn save(&self) -> SegmentRecord {
        SegmentRecord { selector: self.selector, base: self.base, limit: self.limit, attrib: self.attrib }
    }
    fn restore(s: &SegmentRecord) -> Result<Self, String> {
        Ok(Segment { selector: s.selector, base: s.base, limit: s.limit, attrib: s.attrib })
    }
}

impl Persist for DescTable {
    type State = TableRecord;
    fn save(&self) -> TableRecord {
        TableRecord { base: self.base, limit: self.limit }
    }
    fn restore(t: &TableRecord) -> Result<Self, String> {
        Ok(DescTable { base: t.base, limit: t.limit })
    }
}

impl Persist for MsrState {
    type State = MsrRecord;
    fn save(&self) -> MsrRecord {
        let r = self;
        MsrRecord {
            apic_base: r.apic_base,
            mtrr_def_type: r.mtrr_def_type,
            mtrr_fixed: r.mtrr_fixed,
            mtrr_var: r.mtrr_var,
            sysenter_cs: r.sysenter_cs,
            sysenter_esp: r.sysenter_esp,
            sysenter_eip: r.sysenter_eip,
            star: r.star,
            lstar: r.lstar,
            cstar: r.cstar,
            sfmask: r.sfmask,
            kernel_gs_base: r.kernel_gs_base,
            tsc_aux: r.tsc_aux,
            vm_cr: r.vm_cr,
            vm_hsave_pa: r.vm_hsave_pa,
            tsc_offset: r.tsc_offset,
            debugctl: r.debugctl,
            perf_ctl: r.perf_ctl,
            perf_ctr: r.perf_ctr,
            lbr: r.lbr.save(),
            tsc_adjust: r.tsc_adjust,
        }
    }
    fn restore(r: &MsrRecord) -> Result<Self, String> {
        Ok(MsrState {
            apic_base: r.apic_base,
            mtrr_def_type: r.mtrr_def_type,
            mtrr_fixed: r.mtrr_fixed,
            mtrr_var: r.mtrr_var,
            sysenter_cs: r.sysenter_cs,
            sysenter_esp: r.sysenter_esp,
            sysenter_eip: r.sysenter_eip,
            star: r.star,
            lstar: r.lstar,
            cstar: r.cstar,
            sfmask: r.sfmask,
            kernel_gs_base: r.kernel_gs_base,
            tsc_aux: r.tsc_aux,
            vm_cr: r.vm_cr,
            vm_hsave_pa: r.vm_hsave_pa,
            tsc_offset: r.tsc_offset,
            debugctl: r.debugctl,
            perf_ctl: r.perf_ctl,
            perf_ctr: r.perf_ctr,
            lbr: Lbr::restore(&r.lbr)?,
            tsc_adjust: r.tsc_adjust,
        })
    }
}

impl Persist for Cpu {
    type State = CpuRecord;
    fn save(&self) -> CpuRecord {
        let c = self;
        CpuRecord {
            gpr: c.regs.gpr,
            rip: c.regs.rip,
            rflags: c.regs.rflags,
            cs: c.cs.save(),
            ds: c.ds.save(),
            es: c.es.save(),
            ss: c.ss.save(),
            fs: c.fs.save(),
            gs: c.gs.save(),
            ldtr: c.ldtr.save(),
            tr: c.tr.save(),
            gdtr: c.gdtr.save(),
            idtr: c.idtr.save(),
            cr0: c.ctl.cr0,
            cr2: c.ctl.cr2,
            cr3: c.ctl.cr3,
            cr4: c.ctl.cr4,
            cr8: c.ctl.cr8,
            efer: c.ctl.efer,
            dr: c.ctl.dr,
            pat: c.pat,
            cpl: c.cpl,
            msr: c.msr.save(),
            hidden: c.hidden.save(),
        }
    }
    fn restore(c: &CpuRecord) -> Result<Self, String> {
        let seg = Segment::restore;
        Ok(Cpu {
            regs: Regs { gpr: c.gpr, rip: c.rip, rflags: c.rflags },
            cs: seg(&c.cs)?,
            ds: seg(&c.ds)?,
            es: seg(&c.es)?,
            ss: seg(&c.ss)?,
            fs: seg(&c.fs)?,
            gs: seg(&c.gs)?,
            gdtr: DescTable::restore(&c.gdtr)?,
            idtr: DescTable::restore(&c.idtr)?,
            ctl: ControlRegs { cr0: c.cr0, cr2: c.cr2, cr3: c.cr3, cr4: c.cr4, cr8: c.cr8, efer: c.efer, dr: c.dr },
            pat: c.pat,
            cpl: c.cpl,
            ldtr: seg(&c.ldtr)?,
            tr: seg(&c.tr)?,
            msr: MsrState::restore(&c.msr)?,
            hidden: Hidden::restore(&c.hidden)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::round_trip;
    use super::*;

    /// Every register, segment, MSR, LBR MSR and hidden feature survives the record (distinct
    /// values in each, so a swapped pair is seen).
    #[test]
    fn a_processor_round_trips_through_its_record() {
        let mut c = Cpu::contract_entry();
        for (i, g) in c.regs.gpr.iter_mut().enumerate() {
            *g = 0x1111 * (i as u64 + 1);
        }
        c.regs.rip = 0xffff_8000_0000_1234;
        c.fs = Segment { selector: 0x2b, base: 0x7000, limit: 0xfff, attrib: 0xf3 };
        c.tr = Segment { selector: 0x40, base: 0x9000, limit: 0x67, attrib: 0x8b };
        c.idtr = DescTable { base: 0x3000, limit: 0xfff };
        c.ctl.cr2 = 0xdead_b000;
        c.ctl.dr[3] = 0x55;
        c.pat = 0x0007_0406_0007_0406;
        c.cpl = 3;
        c.msr.lstar = 0xffff_ffff_8100_0000;
        c.msr.mtrr_var[5] = 0xff_ffff_f800;
        c.msr.perf_ctr[2] = 9;
        c.msr.lbr = Lbr { branch_from: 1, branch_to: 2, int_from: 3, int_to: 4 };
        c.msr.tsc_adjust = 77;
        c.hidden = Hidden { rdtscp: true, xsave: false };
        assert_eq!(round_trip(&c), c);
        assert_eq!(round_trip(&Cpu::contract_entry()), Cpu::contract_entry());
    }

    /// Fields added after format 2 was published are left out of the JSON at their reset value
    /// (so older files and newer ones of the same run agree).
    #[test]
    fn later_fields_are_left_out_at_reset() {
        let j = serde_json::to_value(Cpu::contract_entry().save()).unwrap_or_default();
        assert!(j.get("hidden").is_none(), "{j}");
        for k in ["lbr", "tsc_adjust", "debugctl", "perf_ctl", "perf_ctr"] {
            assert!(j["msr"].get(k).is_none(), "msr.{k}");
        }
    }
}

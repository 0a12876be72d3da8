//! The processor's SVM record: the hardware model, GIF and — while a guest runs — the guest mode
//! (the VMCB controls read at VMRUN, the host save, nested paging, the gPAT register, the LBR
//! host save and the PAUSE filter).
use super::cpu::{LbrState, SegmentRecord, TableRecord, is_default};
use super::vmcb::VmcbControlState;
use super::{Persist, mirror_enum, mirror_struct};
use crate::cpu::lbr::Lbr;
use crate::cpu::{DescTable, Segment};
use crate::mem::NestedPaging;
use crate::svm::features::{LbrHost, PauseFilter};
use crate::svm::state::{GuestMode, HostSave};
use crate::svm::{SvmModel, SvmState, VmcbControl};
use serde::{Deserialize, Serialize};

mirror_enum! {
    /// Which hardware reading of G_PAT the machine implements (svm/model.rs).
    SvmModelState <-> SvmModel { Bare, BareSwap, BareQemu }
}

mirror_struct! {
    /// The nested-paging context of a guest run with NP (mem/nested.rs).
    NestedPagingState <-> NestedPaging { ncr3: u64, host_nxe: bool, host_cr0: u64, host_cr4: u64, host_efer: u64 }
}

mirror_struct! {
    /// The PAUSE filter while a guest runs (svm/features.rs).
    PauseFilterState <-> PauseFilter { counter: u16, last: u64 }
}

/// The host's DEBUGCTL and LBR MSRs saved by a VMRUN with LBR virtualization.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LbrHostState {
    pub debugctl: u64,
    pub lbr: LbrState,
}

impl Persist for LbrHost {
    type State = LbrHostState;
    fn save(&self) -> LbrHostState {
        LbrHostState { debugctl: self.debugctl, lbr: self.lbr.save() }
    }
    fn restore(s: &LbrHostState) -> Result<Self, String> {
        Ok(LbrHost { debugctl: s.debugctl, lbr: Lbr::restore(&s.lbr)? })
    }
}

/// Host state saved by VMRUN (svm/state.rs `HostSave`, APM 15.5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSaveState {
    pub es: SegmentRecord,
    pub cs: SegmentRecord,
    pub ss: SegmentRecord,
    pub ds: SegmentRecord,
    pub gdtr: TableRecord,
    pub idtr: TableRecord,
    pub cr0: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
    pub rflags: u64,
    pub rip: u64,
    pub rsp: u64,
    pub rax: u64,
    pub parked_pat: Option<u64>,
}

impl Persist for HostSave {
    type State = HostSaveState;
    fn save(&self) -> HostSaveState {
        let h = self;
        HostSaveState {
            es: h.es.save(),
            cs: h.cs.save(),
            ss: h.ss.save(),
            ds: h.ds.save(),
            gdtr: h.gdtr.save(),
            idtr: h.idtr.save(),
            cr0: h.cr0,
            cr3: h.cr3,
            cr4: h.cr4,
            efer: h.efer,
            rflags: h.rflags,
            rip: h.rip,
            rsp: h.rsp,
            rax: h.rax,
            parked_pat: h.parked_pat,
        }
    }
    fn restore(h: &HostSaveState) -> Result<Self, String> {
        Ok(HostSave {
            es: Segment::restore(&h.es)?,
            cs: Segment::restore(&h.cs)?,
            ss: Segment::restore(&h.ss)?,
            ds: Segment::restore(&h.ds)?,
            gdtr: DescTable::restore(&h.gdtr)?,
            idtr: DescTable::restore(&h.idtr)?,
            cr0: h.cr0,
            cr3: h.cr3,
            cr4: h.cr4,
            efer: h.efer,
            rflags: h.rflags,
            rip: h.rip,
            rsp: h.rsp,
            rax: h.rax,
            parked_pat: h.parked_pat,
        })
    }
}

/// What the processor holds while it runs a guest (svm/state.rs `GuestMode`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestModeState {
    pub vmcb_pa: u64,
    pub ctrl: VmcbControlState,
    pub host: Option<HostSaveState>,
    pub np: Option<NestedPagingState>,
    pub gpat: u64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub host_if: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lbr_host: Option<LbrHostState>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub pause: PauseFilterState,
}

impl Persist for GuestMode {
    type State = GuestModeState;
    fn save(&self) -> GuestModeState {
        GuestModeState {
            vmcb_pa: self.vmcb_pa,
            ctrl: self.ctrl.save(),
            host: self.host.as_ref().map(Persist::save),
            np: self.np.as_ref().map(Persist::save),
            gpat: self.gpat,
            host_if: self.host_if,
            lbr_host: self.lbr_host.as_ref().map(Persist::save),
            pause: self.pause.save(),
        }
    }
    fn restore(g: &GuestModeState) -> Result<Self, String> {
        Ok(GuestMode {
            vmcb_pa: g.vmcb_pa,
            ctrl: VmcbControl::restore(&g.ctrl)?,
            host: g.host.as_ref().map(HostSave::restore).transpose()?,
            np: g.np.as_ref().map(NestedPaging::restore).transpose()?,
            gpat: g.gpat,
            host_if: g.host_if,
            lbr_host: g.lbr_host.as_ref().map(LbrHost::restore).transpose()?,
            pause: PauseFilter::restore(&g.pause)?,
        })
    }
}

/// The processor's SVM state. Files written before the hardware stopped knowing about L0 carry
/// `l0_host` (the guest was entered by the L0 model: it has no host save now) and `pending_exit`
/// (never set between steps); both are read and no longer written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvmRecord {
    pub model: SvmModelState,
    pub gif: bool,
    pub guest: Option<GuestModeState>,
    #[serde(default, skip_serializing)]
    pub l0_host: bool,
    /// Any value but `null` is refused on load (an exit that no one took).
    #[serde(default, skip_serializing)]
    pub pending_exit: Option<serde::de::IgnoredAny>,
}

impl Persist for SvmState {
    type State = SvmRecord;
    fn save(&self) -> SvmRecord {
        SvmRecord {
            model: self.model.save(),
            gif: self.gif,
            guest: self.guest.as_ref().map(Persist::save),
            l0_host: false,
            pending_exit: None,
        }
    }
    fn restore(s: &SvmRecord) -> Result<Self, String> {
        if s.pending_exit.is_some() {
            return Err("the SVM state holds an exit that no one took (`pending_exit`)".into());
        }
        let mut guest = s.guest.as_ref().map(GuestMode::restore).transpose()?;
        if s.l0_host
            && let Some(g) = guest.as_mut()
        {
            g.host = None;
        }
        Ok(SvmState { model: SvmModel::restore(&s.model)?, gif: s.gif, guest, vmcb_cache: Default::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::super::round_trip;
    use super::*;

    fn seg(n: u16) -> Segment {
        Segment { selector: n, base: u64::from(n) << 12, limit: 0xffff, attrib: 0x93 + n }
    }

    /// A guest with everything set (host save, NP, LBR host save, PAUSE filter) survives the
    /// record, and so does each hardware model with no guest.
    #[test]
    fn the_svm_state_round_trips_through_its_record() {
        let mut ctrl = VmcbControl::default();
        (ctrl.intercept_word4, ctrl.asid, ctrl.nested_cr3, ctrl.insn_bytes[14]) = (3, 7, 0x5000, 0xcc);
        let host = HostSave {
            es: seg(1),
            cs: seg(2),
            ss: seg(3),
            ds: seg(4),
            gdtr: DescTable { base: 0x1000, limit: 0x17 },
            idtr: DescTable { base: 0x2000, limit: 0xfff },
            cr0: 0x8001_0033,
            cr3: 0x3000,
            cr4: 0x20,
            efer: 0x1d00,
            rflags: 0x246,
            rip: 0x10_0039,
            rsp: 0x8_0000,
            rax: 0x20_0000,
            parked_pat: Some(0x0606),
        };
        let np = NestedPaging { ncr3: 0x5000, host_nxe: true, host_cr0: 0x8001_0033, host_cr4: 0x20, host_efer: 0x1d00 };
        let guest = GuestMode {
            vmcb_pa: 0x20_0000,
            ctrl,
            host: Some(host),
            np: Some(np),
            gpat: 0x0007_0406_0007_0406,
            host_if: true,
            lbr_host: Some(LbrHost { debugctl: 1, lbr: Lbr { branch_from: 5, branch_to: 6, int_from: 7, int_to: 8 } }),
            pause: PauseFilter { counter: 3, last: 99 },
        };
        let s = SvmState { model: SvmModel::BareSwap, gif: false, guest: Some(guest), vmcb_cache: Default::default() };
        assert_eq!(round_trip(&s), s);
        for m in SvmModel::ALL {
            assert_eq!(round_trip(&SvmState::new(m)), SvmState::new(m));
        }
    }

    /// Files of earlier builds: `l0_host` drops the host save, a `pending_exit` is refused.
    #[test]
    fn retired_fields_convert_or_are_refused() {
        let mut r = SvmState::new(SvmModel::Bare).save();
        r.pending_exit = serde_json::from_str("{\"code\": 1}").ok();
        assert!(SvmState::restore(&r).unwrap_err().contains("pending_exit"));
        let j = serde_json::to_value(SvmState::new(SvmModel::Bare).save()).unwrap_or_default();
        assert_eq!(j, serde_json::json!({"model": "Bare", "gif": true, "guest": null}));
    }
}

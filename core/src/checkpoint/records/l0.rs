//! The L0 model's record (hv/): the design, L1's RAM, L0's configuration, where KVM keeps PAT
//! values, the nested context, L1's GIF, the cached vmcb12 while L2 runs, the shadow NPT and
//! EFER.SVME per level. Caches that are recomputed (merged permission maps, the #NPF loop guard)
//! are not saved.
use super::vmcb::VmcbControlState;
use super::{Persist, mirror_enum, mirror_struct};
use crate::hv::gpat::{Design, NestedCtx, PatRegs};
use crate::hv::l0::Nested12;
use crate::hv::shadow_npt::ShadowNpt;
use crate::hv::{Kvm, L0Config};
use crate::svm::VmcbControl;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mirror_enum! {
    /// The KVM gPAT design (hv/gpat).
    DesignState <-> Design { KvmLegacy, KvmRfc, KvmSwap, KvmMerged }
}

mirror_struct! {
    /// L0's configuration: its own PAT (hv/l0.rs).
    L0ConfigState <-> L0Config { pat: u64 }
}

mirror_struct! {
    /// `vcpu->arch.pat` and the G_PAT of vmcb01 and vmcb02 (hv/gpat).
    PatRegsState <-> PatRegs { arch_pat: u64, vmcb01_gpat: u64, vmcb02_gpat: u64 }
}

mirror_struct! {
    /// Whether L2 runs and whether vmcb12 enables NP (hv/gpat).
    NestedCtxState <-> NestedCtx { guest_mode: bool, nested_npt: bool }
}

/// What L0 remembers about the L2 that L1 runs (hv/l0.rs `Nested12`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nested12State {
    pub vmcb12: u64,
    pub ctrl: VmcbControlState,
    pub l1_nxe: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub l1_smep: bool,
}

impl Persist for Nested12 {
    type State = Nested12State;
    fn save(&self) -> Nested12State {
        Nested12State { vmcb12: self.vmcb12, ctrl: self.ctrl.save(), l1_nxe: self.l1_nxe, l1_smep: self.l1_smep }
    }
    fn restore(s: &Nested12State) -> Result<Self, String> {
        Ok(Nested12 { vmcb12: s.vmcb12, ctrl: VmcbControl::restore(&s.ctrl)?, l1_nxe: s.l1_nxe, l1_smep: s.l1_smep })
    }
}

/// The shadow NPT (hv/shadow_npt.rs). `exempt` and `key` were added later: absent in older
/// files, left out when unset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShadowNptState {
    pub used: u64,
    pub protected: BTreeSet<u64>,
    pub rmap: BTreeMap<u64, Vec<u64>>,
    pub fills: u64,
    pub zaps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt: Option<(u64, u64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<(u64, bool)>,
}

impl Persist for ShadowNpt {
    type State = ShadowNptState;
    fn save(&self) -> ShadowNptState {
        let s = self;
        ShadowNptState { used: s.used, protected: s.protected.clone(), rmap: s.rmap.clone(), fills: s.fills, zaps: s.zaps, exempt: s.exempt, key: s.key }
    }
    fn restore(s: &ShadowNptState) -> Result<Self, String> {
        Ok(ShadowNpt { used: s.used, protected: s.protected.clone(), rmap: s.rmap.clone(), fills: s.fills, zaps: s.zaps, exempt: s.exempt, key: s.key })
    }
}

/// What the L0 model keeps besides the machine (hv/l0.rs `Kvm`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct L0Record {
    pub design: DesignState,
    pub l1_mem_mib: u64,
    pub config: L0ConfigState,
    pub pat: PatRegsState,
    pub ctx: NestedCtxState,
    pub l1_gif: bool,
    pub nested: Option<Nested12State>,
    pub last_vmcb12: Option<u64>,
    pub shadow: ShadowNptState,
    pub svme: [bool; 2],
}

/// The L0 part of a `kvm-*` run (the machine's record is the rest).
pub fn save(k: &Kvm) -> L0Record {
    L0Record {
        design: k.design.save(),
        l1_mem_mib: k.layout.l1_mem >> 20,
        config: k.config.save(),
        pat: k.pat.save(),
        ctx: k.ctx.save(),
        l1_gif: k.l1_gif,
        nested: k.nested.as_ref().map(Persist::save),
        last_vmcb12: k.last_vmcb12,
        shadow: k.shadow.save(),
        svme: k.svme,
    }
}

/// The L0 model of `l` over the machine `m` (whose RAM holds L1's RAM and L0's pages; the caller
/// checked that the sizes agree).
pub fn restore(l: &L0Record, m: crate::machine::Machine) -> Result<Kvm, String> {
    Ok(Kvm {
        m,
        design: Design::restore(&l.design)?,
        layout: crate::hv::layout::Layout::new(l.l1_mem_mib << 20),
        config: L0Config::restore(&l.config)?,
        pat: PatRegs::restore(&l.pat)?,
        ctx: NestedCtx::restore(&l.ctx)?,
        l1_gif: l.l1_gif,
        nested: l.nested.as_ref().map(Nested12::restore).transpose()?,
        last_vmcb12: l.last_vmcb12,
        shadow: ShadowNpt::restore(&l.shadow)?,
        svme: l.svme,
        merged_maps: None,
        last_npf: (u64::MAX, 0, 0),
        io_pass: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::round_trip;
    use super::*;

    /// Each L0 component survives its record: every design, the PAT registers, the nested
    /// context, a cached vmcb12 and a shadow NPT with protected pages, reverse map, exemption
    /// and key.
    #[test]
    fn the_l0_components_round_trip_through_their_records() {
        for d in Design::ALL {
            assert_eq!(round_trip(&d), d);
        }
        let pat = PatRegs { arch_pat: 1, vmcb01_gpat: 2, vmcb02_gpat: 3 };
        assert_eq!(round_trip(&pat), pat);
        let ctx = NestedCtx { guest_mode: true, nested_npt: false };
        assert_eq!(round_trip(&ctx), ctx);
        assert_eq!(round_trip(&L0Config { pat: 0x0606 }), L0Config { pat: 0x0606 });
        let mut ctrl = VmcbControl::default();
        (ctrl.intercept_word3, ctrl.misc_ctl) = (0x9900_0000, 1);
        let n = Nested12 { vmcb12: 0x20_0000, ctrl, l1_nxe: true, l1_smep: true };
        assert_eq!(round_trip(&n), n);
        let mut s = ShadowNpt { used: 3, fills: 9, zaps: 2, exempt: Some((0x44, 17)), key: Some((0x5000, true)), ..Default::default() };
        s.protected.insert(0x1234);
        s.rmap.insert(0x77, vec![0x400_1008, 0x400_2010]);
        assert_eq!(round_trip(&s), s);
        assert_eq!(round_trip(&ShadowNpt::default()), ShadowNpt::default());
    }

    /// A whole `kvm-merged` run's L0 part survives save and restore.
    #[test]
    fn a_kvm_run_round_trips_through_its_l0_record() {
        let sc = crate::scenario::catalog::get("hello-vmrun").unwrap().unwrap();
        let p = crate::scenario::run::assemble(&sc.source).unwrap();
        let mut k = Kvm::new(&p, 64, Design::KvmMerged, L0Config::default()).unwrap();
        while k.m.svm.guest.is_none() || k.nested.is_none() {
            k.run(k.m.steps + 1).unwrap();
        }
        let json = serde_json::to_string(&save(&k)).unwrap();
        let back = restore(&serde_json::from_str(&json).unwrap(), k.m.clone()).unwrap();
        assert_eq!(save(&back), save(&k));
        assert!(back.nested.is_some());
    }
}

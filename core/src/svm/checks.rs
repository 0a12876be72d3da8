//! VMRUN consistency checks that end in #VMEXIT(VMEXIT_INVALID) (reference §4.2, APM 15.5.1,
//! 15.20, 15.25.3, 15.25.4). Pure functions over the control and save areas.
#![warn(missing_docs)]
use super::exit_table::Intercept;
use super::intercept::{EventInj, EventType, MSRPM_SIZE, is_intercepted};
use super::vmcb::{VmcbControl, VmcbSave};
use crate::cpu::caps::CpuCaps;
use crate::cpu::control::{cr0 as c0, cr4 as c4, efer as ef};
pub use crate::mem::memtype::pat::pat_valid;
use serde::Serialize;

pub use crate::trace::FailedCheck;

/// Host-side facts the checks need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct HostContext {
    /// hCR0 at VMRUN (for "NP_ENABLE = 1 with hCR0.PG = 0", reference §4.2 / APM 15.25.3).
    pub cr0: u64,
    /// Whether G_PAT is checked when NP_ENABLE = 1. The `bare` and `bare-swap` hardware models
    /// check it (APM 15.25.4, Bochs); `bare-qemu` never does (QEMU TCG, reference §10.1).
    pub check_gpat: bool,
    /// What the processor supports: CR4/EFER bits outside it are MBZ, MAXPHYADDR bounds CR3, nCR3
    /// and the permission maps, and EFER.LME/LMA need long mode.
    pub caps: CpuCaps,
}

impl HostContext {
    /// The context of this emulator's processor ([`CpuCaps::MODEL`]) with hCR0 `cr0`.
    pub const fn new(cr0: u64, check_gpat: bool) -> Self {
        HostContext { cr0, check_gpat, caps: CpuCaps::MODEL }
    }
}

/// Every check, in evaluation order: (name, APM section, condition that fails VMRUN). The last
/// one reads guest memory ([`check_pae_pdptes`], after the pure checks of [`check_vmrun`]).
pub const CHECKS: [(&str, &str, &str); 22] = [
    ("efer_svme_zero", "15.5.1", "EFER.SVME is zero"),
    ("cr0_cd_nw", "15.5.1", "CR0.CD is zero and CR0.NW is set"),
    ("cr0_high", "15.5.1", "CR0[63:32] are not zero"),
    ("cr3_mbz", "15.5.1", "any MBZ bit of CR3 is set (with CR0.PG, in every paging mode: bits ≥ MAXPHYADDR)"),
    ("cr4_mbz", "15.5.1", "any MBZ bit of CR4 is set"),
    ("dr6_high", "15.5.1", "DR6[63:32] are not zero"),
    ("dr7_high", "15.5.1", "DR7[63:32] are not zero"),
    ("efer_mbz", "15.5.1", "any MBZ bit of EFER is set"),
    ("efer_long_mode_unsupported", "15.5.1", "EFER.LMA or EFER.LME set and long mode unsupported"),
    ("lme_pg_no_pae", "15.5.1", "EFER.LME and CR0.PG set and CR4.PAE zero"),
    ("lme_pg_no_pe", "15.5.1", "EFER.LME and CR0.PG set and CR0.PE zero"),
    ("lme_pg_pae_cs_l_d", "15.5.1", "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set"),
    ("vmrun_intercept_clear", "15.5.1", "the VMRUN intercept bit is clear"),
    ("msrpm_beyond_maxphyaddr", "15.5.1", "the MSR permission map extends to or beyond MAXPHYADDR"),
    ("iopm_beyond_maxphyaddr", "15.5.1", "the I/O permission map extends to or beyond MAXPHYADDR"),
    ("asid_zero", "15.5.1", "ASID is zero (newer APM revisions)"),
    ("illegal_event_inj", "15.20", "illegal event injection"),
    ("vnmi_without_nmi_intercept", "15.21.6", "V_NMI_ENABLE is set and the NMI intercept is clear"),
    ("np_host_cr0_pg_clear", "15.25.3", "NP_ENABLE = 1 and hCR0.PG = 0"),
    ("ncr3_mbz", "15.25.4", "NP_ENABLE = 1 and any MBZ bit of nCR3 is set"),
    ("g_pat_invalid", "15.25.4", "NP_ENABLE = 1 and G_PAT has an unsupported type or a reserved bit set"),
    ("pae_pdpte_rsvd", "15.5.1", "NP_ENABLE = 0, legacy PAE paging, and a present PDPE at CR3 has a reserved bit set"),
];

/// Where VMRUN reads the guest's four PDPEs (reference §4.1): with nested paging off and legacy
/// PAE paging (CR0.PG, CR4.PAE, EFER.LME clear), the PDPT at CR3[31:5]; else `None` (with nested
/// paging they are read at each walk, APM 15.25.10).
pub fn pae_pdpt_of(ctrl: &VmcbControl, save: &VmcbSave) -> Option<u64> {
    let legacy_pae = save.cr0 & c0::PG != 0 && save.cr4 & c4::PAE != 0 && save.efer & ef::LME == 0;
    (legacy_pae && !ctrl.np_enable()).then_some(save.cr3 & 0xffff_ffe0)
}

/// The PDPE check (reference §4.1: "a reserved bit in one of them ends VMRUN with a #VMEXIT"):
/// `Err` naming the first present PDPE with a reserved bit (mem/paging_legacy.rs
/// `PDPTE_RESERVED`; kvm-unit-tests svm_pae_test expects VMEXIT_INVALID without NPT).
pub fn check_pae_pdptes(pdptes: &[u64; 4]) -> Result<(), FailedCheck> {
    use crate::mem::paging_legacy::PDPTE_RESERVED;
    match pdptes.iter().position(|&e| e & 1 != 0 && e & PDPTE_RESERVED != 0) {
        Some(i) => Err(FailedCheck {
            name: "pae_pdpte_rsvd",
            apm_section: "15.5.1",
            detail: format!("PDPE{i} = {:#x}, reserved bits {:#x}", pdptes[i], pdptes[i] & PDPTE_RESERVED),
        }),
        None => Ok(()),
    }
}

/// Exception vectors that may be injected as type 3 (reference §4.5, KVM's list): DE DB BP OF BR
/// UD NM DF TS NP SS GP PF MF AC MC XM HV SX. #CP (21) and #VC (29) need shadow stacks / SEV-ES,
/// which this model does not have.
pub const INJECTABLE_EXCEPTIONS: [u8; 19] = [0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19, 28, 30];

/// Why an EVENTINJ value is illegal (reference §4.5), or `None` if legal (or not valid).
pub fn event_inj_problem(v: u64) -> Option<String> {
    let e = EventInj::decode(v);
    if !e.valid {
        return None;
    }
    match e.ty {
        EventType::Reserved(t) => Some(format!("reserved event type {t}")),
        EventType::Exception if !INJECTABLE_EXCEPTIONS.contains(&e.vector) => {
            Some(format!("exception vector {} is not a defined exception", e.vector))
        }
        _ => None,
    }
}

fn bits_from(n: u8) -> u64 {
    if n >= 64 { 0 } else { !0u64 << n }
}

/// The part of the I/O permission map VMRUN checks: 64K + 3 bits, i.e. two 4-KiB pages and the
/// first byte of the third (APM 15.10.1: the map is 12 KiB, "the first three bits of a third
/// 4-Kbyte page" are the last ones used).
pub const IOPM_CHECKED_BYTES: u64 = 0x2001;

/// True if a map of `size` bytes at `base & !0xFFF` extends to 2^max_phys_bits or beyond: its end
/// (the address one past its last byte) is at or above MAXPHYADDR (APM 15.5.1 "the MSR or IOIO
/// intercept tables extend to a physical address that is greater than or equal to the maximum
/// supported physical address"). kvm-unit-tests `test_msrpm_iopm_bitmap_addrs` settles the
/// reading: an MSRPM (8 KiB) at 2^M − 8 KiB fails, an IOPM at 2^M − 12 KiB passes and one at
/// 2^M − 8 KiB fails, which is this rule with the sizes MSRPM_SIZE and IOPM_CHECKED_BYTES.
fn map_beyond(base: u64, size: u64, max_phys_bits: u8) -> bool {
    match (base & !0xFFF).checked_add(size) {
        Some(end) => end & bits_from(max_phys_bits) != 0,
        None => true,
    }
}

/// Runs every check and returns all failures, in [`CHECKS`] order (for the UI).
pub fn check_vmrun_all(ctrl: &VmcbControl, save: &VmcbSave, host: &HostContext) -> Vec<FailedCheck> {
    let mut out = Vec::new();
    let mut fail = |name: &'static str, detail: String| {
        let sec = CHECKS.iter().find(|c| c.0 == name).map_or("15.5.1", |c| c.1);
        out.push(FailedCheck { name, apm_section: sec, detail });
    };
    let (efer, cr0, cr4) = (save.efer, save.cr0, save.cr4);
    let long = efer & ef::LME != 0 && cr0 & c0::PG != 0;
    if efer & ef::SVME == 0 {
        fail("efer_svme_zero", format!("EFER = {efer:#x}"));
    }
    if cr0 & c0::CD == 0 && cr0 & c0::NW != 0 {
        fail("cr0_cd_nw", format!("CR0 = {cr0:#x}"));
    }
    if cr0 >> 32 != 0 {
        fail("cr0_high", format!("CR0 = {cr0:#x}"));
    }
    // CR3's bits at or above MAXPHYADDR are MBZ whenever paging uses it: long mode, and legacy
    // PAE or 32-bit paging as well (kvm-unit-tests svm_pae_test / svm_pse_test: "CR3 reserved
    // bit" for every bit from MAXPHYADDR to 63 fails VMRUN). Without paging CR3 is not used.
    if cr0 & c0::PG != 0 && save.cr3 & host.caps.above_maxphyaddr() != 0 {
        fail("cr3_mbz", format!("CR3 = {:#x}, MAXPHYADDR = {}", save.cr3, host.caps.maxphyaddr));
    }
    if cr4 & !host.caps.cr4_valid != 0 {
        fail("cr4_mbz", format!("CR4 = {cr4:#x}, unsupported bits {:#x}", cr4 & !host.caps.cr4_valid));
    }
    if save.dr6 >> 32 != 0 {
        fail("dr6_high", format!("DR6 = {:#x}", save.dr6));
    }
    if save.dr7 >> 32 != 0 {
        fail("dr7_high", format!("DR7 = {:#x}", save.dr7));
    }
    if efer & !host.caps.efer_valid != 0 {
        fail("efer_mbz", format!("EFER = {efer:#x}, unsupported bits {:#x}", efer & !host.caps.efer_valid));
    }
    if !host.caps.long_mode && efer & (ef::LME | ef::LMA) != 0 {
        fail("efer_long_mode_unsupported", format!("EFER = {efer:#x}"));
    }
    if long && cr4 & c4::PAE == 0 {
        fail("lme_pg_no_pae", format!("EFER = {efer:#x}, CR0 = {cr0:#x}, CR4 = {cr4:#x}"));
    }
    if long && cr0 & c0::PE == 0 {
        fail("lme_pg_no_pe", format!("EFER = {efer:#x}, CR0 = {cr0:#x}"));
    }
    if long && cr4 & c4::PAE != 0 && save.cs.l() && save.cs.d() {
        fail("lme_pg_pae_cs_l_d", format!("CS.attrib = {:#x}", save.cs.attrib));
    }
    if !is_intercepted(ctrl, Intercept::VMRUN) {
        fail("vmrun_intercept_clear", format!("intercept word 4 = {:#x}", ctrl.intercept_word4));
    }
    if map_beyond(ctrl.msrpm_base_pa, MSRPM_SIZE, host.caps.maxphyaddr) {
        fail("msrpm_beyond_maxphyaddr", format!("MSRPM_BASE_PA = {:#x}", ctrl.msrpm_base_pa));
    }
    if map_beyond(ctrl.iopm_base_pa, IOPM_CHECKED_BYTES, host.caps.maxphyaddr) {
        fail("iopm_beyond_maxphyaddr", format!("IOPM_BASE_PA = {:#x}", ctrl.iopm_base_pa));
    }
    if ctrl.asid == 0 {
        fail("asid_zero", "ASID = 0".into());
    }
    if let Some(why) = event_inj_problem(ctrl.event_inj_u64()) {
        fail("illegal_event_inj", format!("EVENTINJ = {:#x}: {why}", ctrl.event_inj_u64()));
    }
    if ctrl.int_ctl & super::vmcb::control::V_NMI_ENABLE != 0 && !is_intercepted(ctrl, Intercept::NMI) {
        fail("vnmi_without_nmi_intercept", format!("int_ctl = {:#x}, intercept word 3 = {:#x}", ctrl.int_ctl, ctrl.intercept_word3));
    }
    if ctrl.np_enable() {
        if host.cr0 & c0::PG == 0 {
            fail("np_host_cr0_pg_clear", format!("hCR0 = {:#x}", host.cr0));
        }
        if ctrl.nested_cr3 & host.caps.above_maxphyaddr() != 0 {
            fail("ncr3_mbz", format!("nCR3 = {:#x}, MAXPHYADDR = {}", ctrl.nested_cr3, host.caps.maxphyaddr));
        }
        if host.check_gpat && !pat_valid(save.g_pat) {
            fail("g_pat_invalid", format!("G_PAT = {:#018x}", save.g_pat));
        }
    }
    out
}

/// The VMRUN consistency checks (reference §4.2): `Err` with the first failing check, in
/// [`CHECKS`] order. A failure means #VMEXIT(VMEXIT_INVALID).
pub fn check_vmrun(ctrl: &VmcbControl, save: &VmcbSave, host: &HostContext) -> Result<(), FailedCheck> {
    match check_vmrun_all(ctrl, save, host).into_iter().next() {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::memtype::pat::PAT_POWER_ON;
    use crate::svm::intercept::set_intercept;
    use crate::svm::vmcb::VmcbSeg;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// hCR0 of a program at its CONTRACT entry state, the CR0 VMRUN passes as the host's.
    const HOST_CR0: u64 = 0x8001_0033;

    /// The context `exec_vmrun` passes: this processor's caps, G_PAT checked.
    fn host() -> HostContext {
        HostContext::new(HOST_CR0, true)
    }

    /// A legal 64-bit guest with nested paging.
    fn valid() -> (VmcbControl, VmcbSave) {
        let mut c = VmcbControl::default();
        set_intercept(&mut c, Intercept::VMRUN, true);
        c.asid = 1;
        c.msrpm_base_pa = 0x10_0000;
        c.iopm_base_pa = 0x20_0000;
        c.set_np_enable(true);
        c.nested_cr3 = 0x30_0000;
        let s = VmcbSave {
            efer: ef::SVME | ef::LME | ef::LMA | ef::SCE | ef::NXE,
            cr0: c0::PG | c0::PE | c0::NE | c0::ET | c0::WP,
            cr4: c4::PAE,
            cr3: 0x1000,
            dr6: 0xFFFF_0FF0,
            dr7: 0x400,
            rflags: 2,
            cs: VmcbSeg { selector: 8, attrib: 0x29B, limit: 0xFFFF_FFFF, base: 0 }, // P, L
            g_pat: PAT_POWER_ON,
            ..Default::default()
        };
        (c, s)
    }

    fn first_failure(c: &VmcbControl, s: &VmcbSave, h: &HostContext) -> Option<&'static str> {
        check_vmrun(c, s, h).err().map(|f| f.name)
    }

    #[test]
    fn valid_vmcb_passes() {
        let (c, s) = valid();
        assert_eq!(check_vmrun(&c, &s, &host()), Ok(()));
        // also valid: NP off, legacy 32-bit protected-mode guest without paging
        let (mut c2, mut s2) = valid();
        c2.set_np_enable(false);
        s2.efer = ef::SVME;
        s2.cr0 = c0::PE | c0::ET;
        s2.cr4 = 0;
        s2.cs.attrib = 0xC9B; // G, D, P
        assert_eq!(check_vmrun_all(&c2, &s2, &host()), vec![]);
    }

    #[test]
    fn one_case_per_check() {
        type Break = fn(&mut VmcbControl, &mut VmcbSave, &mut HostContext);
        let cases: &[(&str, Break)] = &[
            ("efer_svme_zero", |_, s, _| s.efer &= !ef::SVME),
            ("cr0_cd_nw", |_, s, _| s.cr0 |= c0::NW),
            ("cr0_high", |_, s, _| s.cr0 |= 1 << 32),
            ("cr3_mbz", |_, s, _| s.cr3 |= 1 << 48),
            ("cr3_mbz", |_, s, _| s.cr3 |= 1 << 63),
            ("cr4_mbz", |_, s, _| s.cr4 |= 1 << 15),
            ("cr4_mbz", |_, s, _| s.cr4 |= c4::LA57),
            // FSGSBASE and LMSLE: bits this processor's MOV CR4 / WRMSR EFER refuse as well
            ("cr4_mbz", |_, s, _| s.cr4 |= c4::FSGSBASE),
            ("efer_mbz", |_, s, _| s.efer |= ef::LMSLE),
            ("dr6_high", |_, s, _| s.dr6 |= 1 << 32),
            ("dr7_high", |_, s, _| s.dr7 |= 1 << 40),
            ("efer_mbz", |_, s, _| s.efer |= 1 << 1),
            ("efer_long_mode_unsupported", |_, _, h| h.caps.long_mode = false),
            ("lme_pg_no_pae", |_, s, _| s.cr4 &= !c4::PAE),
            ("lme_pg_no_pe", |_, s, _| s.cr0 &= !c0::PE),
            ("lme_pg_pae_cs_l_d", |_, s, _| s.cs.attrib |= VmcbSeg::ATTR_DB),
            ("vmrun_intercept_clear", |c, _, _| set_intercept(c, Intercept::VMRUN, false)),
            ("msrpm_beyond_maxphyaddr", |c, _, _| c.msrpm_base_pa = (1 << 48) - 0x1000),
            ("msrpm_beyond_maxphyaddr", |c, _, _| c.msrpm_base_pa = u64::MAX),
            ("iopm_beyond_maxphyaddr", |c, _, _| c.iopm_base_pa = (1 << 48) - 0x2000),
            ("asid_zero", |c, _, _| c.asid = 0),
            ("illegal_event_inj", |c, _, _| c.set_event_inj_u64(EVTINJ | 1 << 8 | 0x20)), // type 1
            ("illegal_event_inj", |c, _, _| c.set_event_inj_u64(EVTINJ | 5 << 8)),        // type 5
            ("illegal_event_inj", |c, _, _| c.set_event_inj_u64(EVTINJ | 3 << 8 | 2)),    // exception 2
            ("illegal_event_inj", |c, _, _| c.set_event_inj_u64(EVTINJ | 3 << 8 | 15)),
            ("illegal_event_inj", |c, _, _| c.set_event_inj_u64(EVTINJ | 3 << 8 | 31)),
            ("np_host_cr0_pg_clear", |_, _, h| h.cr0 &= !c0::PG),
            ("ncr3_mbz", |c, _, _| c.nested_cr3 |= 1 << 52),
            ("vnmi_without_nmi_intercept", |c, _, _| c.int_ctl |= crate::svm::vmcb::control::V_NMI_ENABLE),
            ("g_pat_invalid", |_, s, _| s.g_pat = 0x0808_0808_0808_0808),
            ("g_pat_invalid", |_, s, _| s.g_pat = PAT_POWER_ON | 2 << 24),
        ];
        for (name, brk) in cases {
            let (mut c, mut s) = valid();
            let mut h = host();
            brk(&mut c, &mut s, &mut h);
            let all = check_vmrun_all(&c, &s, &h);
            assert_eq!(all.iter().map(|f| f.name).collect::<Vec<_>>(), vec![*name], "{all:?}");
            let f = check_vmrun(&c, &s, &h).unwrap_err();
            let sec = CHECKS.iter().find(|x| x.0 == *name).unwrap().1;
            assert_eq!(f.apm_section, sec);
        }
        // every check in CHECKS has at least one case (the memory one: pae_pdptes_checked_without_np)
        for (n, _, _) in CHECKS {
            assert!(n == "pae_pdpte_rsvd" || cases.iter().any(|c| c.0 == n), "no case for {n}");
        }
    }
    const EVTINJ: u64 = 1 << 31;

    #[test]
    fn legal_event_injections_pass() {
        for v in [
            EVTINJ | 0x20,                            // INTR vector 0x20
            EVTINJ | 2 << 8 | 2,                      // NMI
            EVTINJ | 3 << 8 | 14 | 1 << 11 | 2 << 32, // #PF, error code 2
            EVTINJ | 3 << 8 | 30,                     // #SX
            EVTINJ | 4 << 8 | 0x80,                   // INT 0x80
            5 << 8 | 31,                              // not valid: ignored
        ] {
            let (mut c, s) = valid();
            c.set_event_inj_u64(v);
            assert_eq!(check_vmrun(&c, &s, &host()), Ok(()), "{v:#x}");
        }
    }

    #[test]
    fn paging_checks_only_in_long_mode() {
        let (c, mut s) = valid();
        s.efer = ef::SVME; // no LME: CR4.PAE / CS.L+D are not checked
        s.cr4 = 0;
        s.cs.attrib |= VmcbSeg::ATTR_DB;
        assert_eq!(first_failure(&c, &s, &host()), None);
        // CR3 bits at or above MAXPHYADDR: MBZ with paging on in PAE and 32-bit legacy mode too
        // (kvm-unit-tests svm_pae_test, svm_pse_test), not checked with paging off.
        for cr4 in [c4::PAE, c4::PSE] {
            s.cr4 = cr4;
            for b in 48..64 {
                s.cr3 = 0x1000 | 1 << b;
                assert_eq!(first_failure(&c, &s, &host()), Some("cr3_mbz"), "cr4 {cr4:#x} bit {b}");
            }
            // bits 4:0 (PAE) and 11:0 (32-bit) below MAXPHYADDR are ignored, not MBZ
            s.cr3 = 0x1000 | 0x1f;
            assert_eq!(first_failure(&c, &s, &host()), None);
        }
        s.cr0 &= !c0::PG;
        s.cr3 = 1 << 50;
        assert_eq!(first_failure(&c, &s, &host()), None);
    }

    /// Reference §4.1 / kvm-unit-tests svm_pae_test without NPT: a legacy PAE guest's present
    /// PDPE with a reserved bit (52..62 in the test, 63:48 and 8:5, 2:1 here) fails VMRUN; bits
    /// 11:9 are ignored, a PDPE that is not present is not checked; with NP or in long mode the
    /// PDPEs are not read at VMRUN.
    #[test]
    fn pae_pdptes_checked_without_np() {
        let (mut c, mut s) = valid();
        s.efer = ef::SVME;
        s.cr3 = 0x5000 | 0x1f;
        assert_eq!(pae_pdpt_of(&c, &s), None, "NP on");
        c.set_np_enable(false);
        assert_eq!(pae_pdpt_of(&c, &s), Some(0x5000));
        s.efer |= ef::LME;
        assert_eq!(pae_pdpt_of(&c, &s), None, "long mode");
        let ok = [0x6001, 0x7001 | 0xe00, 1 << 52, 0];
        assert_eq!(check_pae_pdptes(&ok), Ok(()));
        for b in [52, 62, 63, 48, 8, 5, 2, 1] {
            let mut p = ok;
            p[2] = 0x8001 | 1 << b;
            let f = check_pae_pdptes(&p).unwrap_err();
            let sec = CHECKS.iter().find(|x| x.0 == "pae_pdpte_rsvd").unwrap().1;
            assert_eq!((f.name, f.apm_section), ("pae_pdpte_rsvd", sec), "bit {b}");
        }
    }

    /// kvm-unit-tests `test_msrpm_iopm_bitmap_addrs` (svm_guest_state_test) with MAXPHYADDR 48:
    /// each address and whether VMRUN must fail (APM 15.5.1; the low 12 bits are ignored).
    #[test]
    fn permission_map_addresses_as_kvm_unit_tests_expect() {
        const LIMIT: u64 = 1 << 48;
        const PAGE: u64 = 0x1000;
        let msrpm = [(LIMIT - 2 * PAGE, true), (LIMIT - 2 * PAGE + 1, true), (LIMIT - PAGE, true), (0x10_0000, false), (0x10_0fff, false)];
        let iopm = [
            (LIMIT - 4 * PAGE, false),
            (LIMIT - 3 * PAGE, false),
            (LIMIT - 2 * PAGE - 2, false),
            (LIMIT - 2 * PAGE, true),
            (LIMIT - PAGE, true),
            (0x20_0000, false),
            (0x20_0fff, false),
        ];
        for (addr, fails) in msrpm {
            let (mut c, s) = valid();
            c.msrpm_base_pa = addr;
            assert_eq!(first_failure(&c, &s, &host()), fails.then_some("msrpm_beyond_maxphyaddr"), "MSRPM {addr:#x}");
        }
        for (addr, fails) in iopm {
            let (mut c, s) = valid();
            c.iopm_base_pa = addr;
            assert_eq!(first_failure(&c, &s, &host()), fails.then_some("iopm_beyond_maxphyaddr"), "IOPM {addr:#x}");
        }
    }

    /// reference §11.5 (Krish Sadhukhan's G_PAT test) and §4.2: with NP_ENABLE = 1 VMRUN fails exactly
    /// when G_PAT is invalid; with NP_ENABLE = 0 G_PAT is ignored; `bare-qemu` (check_gpat = false)
    /// never checks it.
    #[test]
    fn g_pat_checked_only_with_np_and_check_gpat() {
        let qemu = HostContext::new(HOST_CR0, false);
        for field in 0..8 {
            let mut values: Vec<(u64, bool)> = (0..8u64).map(|t| (t << (8 * field), !matches!(t, 2 | 3))).collect();
            values.extend((3..8).map(|b| (1u64 << (8 * field + b), false)));
            for (g_pat, ok) in values {
                let (mut c, mut s) = valid();
                s.g_pat = g_pat;
                let want = if ok { None } else { Some("g_pat_invalid") };
                assert_eq!(first_failure(&c, &s, &host()), want, "{g_pat:#x}");
                assert_eq!(first_failure(&c, &s, &qemu), None);
                c.set_np_enable(false);
                assert_eq!(first_failure(&c, &s, &host()), None);
            }
        }
        // NP-only checks are skipped entirely with NP_ENABLE = 0
        let (mut c, s) = valid();
        c.set_np_enable(false);
        c.nested_cr3 = u64::MAX;
        let h = HostContext::new(c0::PE, true);
        assert_eq!(first_failure(&c, &s, &h), None);
    }
}

//! Tests of the world-switch tracker.
use super::*;
use crate::hv::L0Config;
use crate::model::Model;
use crate::sim::VmcbRole;
use crate::scenario::catalog;
use crate::svm::vmcb::fields::field;
use crate::trace::EventKind;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn program(name: &str) -> Vec<u8> {
    let sc = catalog::get(name).expect("in the catalog").expect("parses");
    crate::asm::assemble(&sc.source).expect("assembles").bytes
}

fn sim(code: &[u8], model: &str) -> Sim {
    Sim::new(code, 64, model.parse().expect("a model"), &L0Config::default()).expect("loads")
}

fn field_bytes(page: &[u8], name: &str) -> u64 {
    let f = field(name).expect("a field");
    let mut b = [0u8; 8];
    let n = (f.size as usize).min(8);
    b[..n].copy_from_slice(&page[f.offset as usize..f.offset as usize + n]);
    u64::from_le_bytes(b)
}

#[test]
fn stepping_with_the_tracker_ends_like_a_plain_run() {
    for model in Model::ALL.map(Model::name) {
        let code = program("hello-vmrun");
        let mut plain = sim(&code, model);
        plain.run(1_000_000).expect("runs");
        let mut s = sim(&code, model);
        let mut t = Tracker::new(&s);
        assert!(matches!(t.run(&mut s, 1_000_000, false), Ok(SliceEnd::Stopped(_))), "{model}");
        assert_eq!(s.machine().steps, plain.machine().steps, "{model}");
        assert_eq!(s.machine().console, plain.machine().console, "{model}");
        assert_eq!(s.machine().events, plain.machine().events, "{model}");
        let recorded: usize = t.records.iter().map(|r| r.events).sum();
        assert_eq!(recorded, s.machine().events.len(), "{model}: every event belongs to a record");
    }
}

#[test]
fn bare_vmmcall_exit_changes_exit_code_in_the_vmcb() {
    let mut s = sim(&program("hello-vmrun"), "bare");
    let mut t = Tracker::new(&s);
    assert!(s.vmcbs().is_empty(), "no VMCB before the first VMRUN");
    assert_eq!(t.run(&mut s, 1_000_000, true), Ok(SliceEnd::Switched));
    let r = t.last().expect("a record");
    assert_eq!((r.first_event, r.events), (0, 1));
    assert_eq!(s.machine().events[0].kind, EventKind::Vmrun);
    assert!(r.pages.is_empty(), "a successful VMRUN does not write the VMCB");
    assert_eq!(s.vmcbs(), vec![(VmcbRole::Vmcb12, Hpa(0x200000))]);
    assert_eq!(t.run(&mut s, 1_000_000, true), Ok(SliceEnd::Switched));
    let r = t.last().expect("a record");
    assert_eq!(s.machine().events[r.first_event].exit_code, 0x81);
    let c = r.change_of(Hpa(0x200000)).expect("the #VMEXIT wrote the VMCB");
    assert_eq!(field_bytes(&c.before, "exit_code"), 0);
    assert_eq!(field_bytes(&c.after, "exit_code"), 0x81);
    assert_ne!(field_bytes(&c.before, "rip"), field_bytes(&c.after, "rip"), "the guest RIP is saved");
    assert_eq!(s.vmcbs(), vec![(VmcbRole::Vmcb12, Hpa(0x200000))], "still known after the exit");
}

#[test]
fn kvm_vmrun_is_tracked_through_l0_and_vmcb02_is_written() {
    let mut s = sim(&program("hello-vmrun"), "kvm-merged");
    let mut t = Tracker::new(&s);
    let Sim::Kvm(k) = &s else { panic!("a kvm model") };
    let (v01, v02) = (Hpa(k.layout.vmcb01), Hpa(k.layout.vmcb02));
    loop {
        assert_eq!(t.run(&mut s, 1_000_000, true), Ok(SliceEnd::Switched));
        let r = t.last().expect("a record").clone();
        if s.machine().events.since(r.first_event).any(|(_, e)| e.kind == EventKind::Vmrun) {
            assert_eq!(r.events, 2, "L1's VMRUN: #VMEXIT L1→L0 then the emulated VMRUN");
            assert!(r.change_of(v02).is_some(), "L0 built vmcb02");
            assert!(r.change_of(v01).is_some(), "L0 saved L1's state in vmcb01");
            break;
        }
        assert_eq!(s.machine().events[r.first_event].to, Level::L0, "{:?}", s.machine().events[r.first_event]);
    }
    assert_eq!(s.vmcbs(), vec![(VmcbRole::Vmcb12, Hpa(0x200000)), (VmcbRole::Vmcb01, v01), (VmcbRole::Vmcb02, v02)]);
}

/// hello-vmrun with ASID 0, which fails the consistency checks.
fn bad_asid() -> Vec<u8> {
    let sc = catalog::get("hello-vmrun").expect("in the catalog").expect("parses");
    let src = sc.source.replace("mov dword [VMCB + 0x058], 1", "mov dword [VMCB + 0x058], 0");
    assert_ne!(src, sc.source);
    crate::asm::assemble(&src).expect("assembles").bytes
}

#[test]
fn a_failed_vmrun_shows_vmexit_invalid_in_the_vmcb_on_every_model() {
    for model in ["bare", "kvm-legacy"] {
        let mut s = sim(&bad_asid(), model);
        let mut t = Tracker::new(&s);
        loop {
            assert_eq!(t.run(&mut s, 1_000_000, true), Ok(SliceEnd::Switched), "{model}");
            let r = t.last().expect("a record").clone();
            let evs: Vec<_> = s.machine().events.since(r.first_event).map(|(_, e)| e.clone()).collect();
            if let Some(e) = evs.iter().find(|e| e.exit_code == u64::MAX) {
                // hello-vmrun's vmcb12 with ASID 0: "ASID = 0" fails (APM 15.5.1).
                let check = e.detail.as_ref().and_then(|d| d.failed_check()).unwrap_or_else(|| panic!("{model}: {e:?}"));
                assert_eq!((check.name, check.apm_section), ("asid_zero", "15.5.1"), "{model}");
                let c = r.change_of(Hpa(0x200000)).unwrap_or_else(|| panic!("{model}: vmcb12 written"));
                assert_eq!(field_bytes(&c.after, "exit_code"), u64::MAX, "{model}");
                assert_eq!(field_bytes(&c.before, "exit_code"), 0, "{model}");
                break;
            }
        }
        assert_eq!(s.vmcbs()[0], (VmcbRole::Vmcb12, Hpa(0x200000)), "{model}: a failed VMRUN names its VMCB too");
    }
}

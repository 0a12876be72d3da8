//! Native tests of the world-switch tracker (they run in `cargo test --workspace`).
use super::*;
use nestscope_core::hv::L0Config;
use nestscope_core::scenario::catalog;
use nestscope_core::svm::vmcb::fields::field;

fn program(name: &str) -> Vec<u8> {
    let sc = catalog::get(name).expect("in the catalog").expect("parses");
    nestscope_core::asm::assemble(&sc.source).expect("assembles").bytes
}

fn sim(code: &[u8], model: &str) -> Sim {
    Sim::new(code, 64, model, &L0Config::default()).expect("loads")
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
    for model in nestscope_core::sim::MODELS {
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
    assert!(vmcbs(&s, None).is_empty(), "no VMCB before the first VMRUN");
    assert_eq!(t.run(&mut s, 1_000_000, true), Ok(SliceEnd::Switched));
    let r = t.last().expect("a record");
    assert_eq!((r.first_event, r.events), (0, 1));
    assert_eq!(s.machine().events[0].kind, EventKind::Vmrun);
    assert!(r.pages.is_empty(), "a successful VMRUN does not write the VMCB");
    assert_eq!(vmcbs(&s, t.vmcb12), vec![(VmcbRole::Vmcb12, 0x200000)]);
    assert_eq!(t.run(&mut s, 1_000_000, true), Ok(SliceEnd::Switched));
    let r = t.last().expect("a record");
    assert_eq!(s.machine().events[r.first_event].exit_code, 0x81);
    let c = r.change_of(0x200000).expect("the #VMEXIT wrote the VMCB");
    assert_eq!(field_bytes(&c.before, "exit_code"), 0);
    assert_eq!(field_bytes(&c.after, "exit_code"), 0x81);
    assert_ne!(field_bytes(&c.before, "rip"), field_bytes(&c.after, "rip"), "the guest RIP is saved");
    assert_eq!(vmcbs(&s, t.vmcb12), vec![(VmcbRole::Vmcb12, 0x200000)], "still known after the exit");
}

#[test]
fn kvm_vmrun_is_tracked_through_l0_and_vmcb02_is_written() {
    let mut s = sim(&program("hello-vmrun"), "kvm-merged");
    let mut t = Tracker::new(&s);
    let Sim::Kvm(k) = &s else { panic!("a kvm model") };
    let (v01, v02) = (k.layout.vmcb01, k.layout.vmcb02);
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
    assert_eq!(t.vmcb12, Some(0x200000));
    let roles: Vec<VmcbRole> = vmcbs(&s, t.vmcb12).into_iter().map(|v| v.0).collect();
    assert_eq!(roles, vec![VmcbRole::Vmcb12, VmcbRole::Vmcb01, VmcbRole::Vmcb02]);
}

/// hello-vmrun with ASID 0, which fails the consistency checks.
fn bad_asid() -> Vec<u8> {
    let sc = catalog::get("hello-vmrun").expect("in the catalog").expect("parses");
    let src = sc.source.replace("mov dword [VMCB + 0x058], 1", "mov dword [VMCB + 0x058], 0");
    assert_ne!(src, sc.source);
    nestscope_core::asm::assemble(&src).expect("assembles").bytes
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
                assert!(e.detail_text().is_some_and(|d| d.contains("APM")), "{model}: {e:?}");
                let c = r.change_of(0x200000).unwrap_or_else(|| panic!("{model}: vmcb12 written"));
                assert_eq!(field_bytes(&c.after, "exit_code"), u64::MAX, "{model}");
                assert_eq!(field_bytes(&c.before, "exit_code"), 0, "{model}");
                break;
            }
        }
        assert_eq!(vmcbs(&s, t.vmcb12)[0], (VmcbRole::Vmcb12, 0x200000), "{model}");
    }
}

#[test]
fn vmrun_detail_names_the_vmcb() {
    assert_eq!(parse_vmcb_detail("VMCB 0x200000"), Some(0x200000));
    assert_eq!(parse_vmcb_detail("VMCB 0x3000, emulated by L0 (kvm-rfc)"), Some(0x3000));
    assert_eq!(parse_vmcb_detail("emulated by L0 (kvm-rfc)"), None);
}

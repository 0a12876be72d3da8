//! Catalog tests: every file is listed and parses, every expectation holds for every model this
//! build runs, and catalog sources assemble like NASM where a NASM binary is committed.
use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn every_catalog_expectation_holds() {
    let all = catalog::load().expect("catalog parses");
    assert!(!all.is_empty());
    let mut failures = Vec::new();
    for s in &all {
        assert!(!s.title.is_empty() && !s.description.trim().is_empty(), "{}: title and description", s.name);
        for c in run::check(s) {
            if !c.passed() {
                failures.push(format!("{} [{}]: {:?} {:?}", c.scenario, c.model, c.report.as_ref().err(), c.mismatches));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_file_in_the_catalog_directory_is_listed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/scenario/catalog");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| n.trim_end_matches(".toml").to_string())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = catalog::FILES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn hello_scenario_assembles_to_the_committed_nasm_binary() {
    let s = catalog::get("hello").unwrap().unwrap();
    assert_eq!(run::assemble(&s.source).unwrap(), HELLO.binary);
}

#[test]
fn a_failing_expectation_is_reported_field_by_field() {
    let mut s = catalog::get("hello").unwrap().unwrap();
    let e = s.expect.get_mut(&crate::Model::DEFAULT).unwrap();
    e.console = Some("no".into());
    e.code = Some(3);
    e.regs.insert("rcx".into(), "0x1".into());
    let c = &run::check(&s)[0];
    assert!(!c.passed());
    assert_eq!(c.mismatches.len(), 3, "{:?}", c.mismatches);
    assert!(c.mismatches.iter().any(|m| m.starts_with("console: expected \"no\"")));
}

#[test]
fn malformed_scenarios_are_named_errors() {
    let e = format::parse("bad", "title = 1").unwrap_err();
    assert_eq!(e.file, "bad.toml");
    let e = format::parse("x", "title='t'\ndescription='d'\nmodels=['bare']\nsource=''\n[expect.kvm-legacy]\nexit='halt'\n")
        .unwrap_err();
    assert!(e.message.contains("not in `models`"), "{}", e.message);
    let s = format::parse("y", "title='t'\ndescription='d'\nmodels=['bare']\nsource=\"bits 64\\nfoo eax\"\n[expect.bare]\nexit='halt'\n").unwrap();
    let c = &run::check(&s)[0];
    assert!(c.report.as_ref().unwrap_err().0.contains("line 2"), "{:?}", c.report);
}

#[test]
fn kvm_merged_matches_bare_on_every_catalog_program_that_runs_under_both() {
    // Issue 5: the merged design handles what the catalog exercises exactly as the APM's `bare`
    // reading does, instruction by instruction (lockstep comparison, compare.rs).
    let l0 = crate::hv::L0Config::default();
    for s in catalog::load().unwrap() {
        if !(s.models.iter().any(|m| m.name() == "bare") && s.models.iter().any(|m| m.name() == "kvm-merged")) {
            continue;
        }
        let p = run::assemble(&s.source).unwrap();
        let c = crate::compare::compare(&p, ["bare".parse().unwrap(), "kvm-merged".parse().unwrap()], s.machine.mem_mib, s.machine.max_steps, &l0).unwrap();
        assert!(c.agree, "{}: {:?}", s.name, c.divergence);
    }
}

#[test]
fn each_seed_problem_has_a_guide_that_lands_on_its_divergence() {
    // The expected values are the programs' own constants: H = L1's PAT 0x0007040600070404,
    // G = vmcb12 G_PAT 0x0606060606060606, G' = what L2 writes 0x0606060606060604, the invalid
    // G_PAT 0x0808080808080808 (APM 15.25.4: EXITCODE -1), and RDMSR's EAX = the low half. The
    // write-back of problem 3 happens at the #VMEXIT of L2's VMMCALL: an L2 instruction.
    let expected: [(&str, &str, &str, &str); 5] = [
        ("problem1-gpat-check", "L1", "0xffffffffffffffff", ""),
        ("problem2-l2-pat-msr", "L2", "0x6060606", "0x70404"),
        ("problem3-writeback", "L2", "0x606060606060604", "0x606060606060606"),
        ("problem4-checkpoint-cross-design", "L2", "0x6060604", "0x70404"),
        ("problem4-checkpoint", "L2", "0x6060604", "0x70404"),
    ];
    for (name, level, a, b) in expected {
        let s = catalog::get(name).unwrap().unwrap();
        let g = s.guide.as_ref().unwrap_or_else(|| panic!("{name} has a guide"));
        assert!(["Registers", "VMCB", "PAT layers"].contains(&g.panel.as_str()), "{name}: {}", g.panel);
        assert!(g.explain.matches(". ").count() + 1 >= 2, "{name}: two sentences");
        let p = run::assemble(&s.source).unwrap();
        let mut l = guide::lockstep(&s, g, &p).unwrap();
        let mut slices = 0;
        while !l.advance(37).unwrap() {
            slices += 1;
        }
        assert!(slices > 0, "{name}: sliced");
        let c = l.result();
        let d = c.divergence.as_ref().unwrap_or_else(|| panic!("{name}: the pair diverges"));
        assert_eq!(d.level, level, "{name}: {d:?}");
        let (va, vb) = guide::pointed_values(g, d).unwrap_or_else(|| panic!("{name}: {} among {:?}", g.look_for, d.differences));
        assert_eq!(va, a, "{name}");
        if !b.is_empty() {
            assert_eq!(vb, b, "{name}");
        }
        if name.starts_with("problem4") {
            assert_eq!(c.migrations.len(), 1, "{name}: the save/restore happened");
            assert_eq!(c.migrations[0].migration.lost, vec!["L2's gPAT".to_string()]);
            assert!(d.step > 20_000);
        }
    }
}

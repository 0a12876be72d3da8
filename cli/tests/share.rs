//! `nestscope share` and `nestscope exec --link`: a link re-runs to exactly what `exec
//! --max-steps` reports for the same program, model and step; bad links are refused (status 2).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use std::process::Command;

fn nestscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nestscope")).args(args).output().expect("run nestscope");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn link(args: &[&str]) -> String {
    let (code, out, err) = nestscope(&[&["share"], args].concat());
    assert_eq!(code, 0, "stderr: {err}");
    let l = out.trim().to_string();
    assert!(l.starts_with("http://127.0.0.1:8080/#ns1."), "{l}");
    l
}

#[test]
fn a_link_reruns_to_the_same_report_as_exec_at_that_step() {
    let bin = format!("{}/../core/src/scenario/programs/hello.bin", env!("CARGO_MANIFEST_DIR"));
    let spin = format!("{}/tests/data/spin.asm", env!("CARGO_MANIFEST_DIR"));
    for (prog, model, step) in [(&bin, "bare", "3"), (&bin, "kvm-merged", "1000"), (&spin, "kvm-merged", "25")] {
        let l = link(&[prog, "--model", model, "--step", step]);
        let (c1, direct, e1) = nestscope(&["exec", prog, "--model", model, "--max-steps", step, "--json"]);
        let (c2, opened, e2) = nestscope(&["exec", "--link", &l, "--json"]);
        assert_eq!((c1, c2), (0, 0), "{e1} {e2}");
        assert_eq!(opened, direct, "{prog} {model} {step}");
    }
}

#[test]
fn a_catalog_scenario_link_is_short_and_opens() {
    let l = link(&["--scenario", "hello-vmrun", "--model", "kvm-merged", "--step", "44", "--view", "vmcb"]);
    assert!(l.len() < 150, "{l}");
    let (code, out, err) = nestscope(&["exec", "--link", &l, "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["steps"], 44);
}

#[test]
fn bad_links_and_combinations_are_refused_with_status_2() {
    let l = link(&["--scenario", "hello", "--step", "5"]);
    let truncated = &l[..l.len() - 3];
    for (args, says) in [
        (vec!["exec", "--link", truncated], "damaged"),
        (vec!["exec", "--link", "http://x/#ns9.AAAA"], "version"),
        (vec!["exec", "--link", "http://x/"], "not a nestscope share link"),
        (vec!["exec", "--link", &l, "--model", "bare"], "cannot be combined"),
        (vec!["share", "--scenario", "nope", "--step", "1"], "no catalog scenario"),
        (vec!["share", "--scenario", "hello"], "--step"),
        (vec!["share", "--scenario", "hello", "--step", "1", "--view", "x\u{1b}"], "unknown view"),
    ] {
        let (code, out, err) = nestscope(&args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains(says) && !err.contains('\u{1b}') && err.lines().count() == 1, "{args:?}: {err}");
    }
}

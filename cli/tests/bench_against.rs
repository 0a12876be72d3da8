//! `scripts/bench-against.sh` on a tiny run with this build's `nestscope`: it checks each run's
//! end and prints one table row per program (and per model for the nested program), with a rate
//! or "-" in each engine's column. No timing is asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use std::process::Command;

fn script(args: &[&str]) -> (i32, String, String) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out =
        Command::new("bash").arg(format!("{root}/scripts/bench-against.sh")).args(args).output().expect("run bash");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// nasm and GNU time are needed; skipped (with a message) without them.
fn tools_present() -> bool {
    let nasm = Command::new("nasm").arg("-v").output().is_ok();
    let time = std::path::Path::new("/usr/bin/time").exists();
    if !(nasm && time) {
        eprintln!("nasm or /usr/bin/time missing: skipping");
    }
    nasm && time
}

/// The cells of the table row whose first cell is `label`.
fn row(out: &str, label: &str) -> Vec<String> {
    let line = out
        .lines()
        .find(|l| l.split('|').nth(1).map(str::trim) == Some(label))
        .unwrap_or_else(|| panic!("no row `{label}` in:\n{out}"));
    line.split('|').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect()
}

#[test]
fn a_tiny_native_run_prints_a_row_per_program_and_model() {
    if !tools_present() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_nestscope");
    let (code, out, err) = script(&[
        "--engines",
        "native",
        "--programs",
        "alu,roundtrip",
        "--runs",
        "1",
        "--scale",
        "0",
        "--no-build",
        "--nestscope",
        bin,
    ]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    for (label, unit) in
        [("alu", "MIPS"), ("roundtrip (bare)", "round trips/s"), ("roundtrip (kvm-merged)", "round trips/s")]
    {
        let cells = row(&out, label);
        assert_eq!(cells.len(), 9, "{label}: {cells:?}");
        assert_eq!(cells[1], unit);
        let native = &cells[2];
        assert!(native == "-" || native.parse::<f64>().is_ok_and(|v| v > 0.0), "{label}: native rate {native}");
        // Engines that were not asked for have no figure, nor ratios against them.
        assert!(cells[3..].iter().all(|c| c == "-"), "{label}: {cells:?}");
    }
}

#[test]
fn bad_arguments_are_refused_with_status_2() {
    let (code, _, err) = script(&["--engines", "native,vmware"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown engine vmware"), "{err}");
    let (code, _, err) = script(&["--frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown argument --frobnicate"), "{err}");
}

#[test]
fn a_run_that_does_not_end_in_debug_exit_0_fails_the_script() {
    if !tools_present() {
        return;
    }
    // A fake engine binary: `exec` prints a halt report, as a wrong program's run would.
    let dir = std::env::temp_dir().join(format!("nestscope-bench-against-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("nestscope");
    std::fs::write(&fake, "#!/bin/sh\necho '{\"exit\":\"halt\",\"code\":null,\"steps\":1,\"console\":\"\"}'\n")
        .unwrap();
    let _ = Command::new("chmod").arg("+x").arg(&fake).status();
    let (code, _, err) = script(&[
        "--engines",
        "native",
        "--programs",
        "alu",
        "--runs",
        "1",
        "--scale",
        "0",
        "--no-build",
        "--nestscope",
        fake.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_ne!(code, 0);
    assert!(err.contains("did not end with debug exit 0"), "{err}");
}

//! CLI contract tests (CONTRACT §3): run the real `nestscope` binary and check JSON, exit status
//! and messages. Programs are committed `nasm -f bin` outputs next to their sources.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use std::process::Command;

fn nestscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nestscope")).args(args).output().expect("run nestscope");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}
fn hello() -> String {
    format!("{}/../core/src/scenario/programs/hello.bin", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn exec_json_of_the_nasm_hello_program() {
    let (code, out, err) = nestscope(&["exec", &hello(), "--json"]);
    assert_eq!(code, 0, "stderr: {err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(j["exit"], "debug-exit");
    assert_eq!(j["code"], 0);
    assert_eq!(j["console"], "ok\n");
    // 8 instructions before the loop (mov dx, 3 x mov al + out, mov ecx), the 3-instruction loop
    // body (sub, cmp, jne) 3 times, then mov al and the OUT that ends the run: 8 + 9 + 2 = 19.
    assert_eq!(j["steps"], 19);
    assert_eq!(j["regs"]["rip"], "0x100020", "RIP is after the OUT that ended the run");
    assert_eq!(j["regs"]["rsp"], "0x80000");
    assert_eq!(j["regs"]["rcx"], "0x0");
    assert_eq!(j["regs"]["rdx"], "0xe9");
    assert!(j["events"].as_array().unwrap().is_empty());
    assert_eq!(j["events_total"], 0);
    for r in ["rax", "rbx", "rsi", "rdi", "rbp", "r8", "r15", "rflags"] {
        assert!(j["regs"][r].as_str().unwrap().starts_with("0x"), "{r}");
    }
}

#[test]
fn budget_ends_a_runaway_program() {
    let (code, out, _) = nestscope(&["exec", &data("spin.bin"), "--max-steps", "1000", "--json"]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["exit"], "budget");
    assert_eq!(j["steps"], 1000);
    assert_eq!(j["code"], serde_json::Value::Null);
    assert_eq!(j["regs"]["rip"], "0x100000");
}

#[test]
fn unsupported_instruction_is_a_named_error_with_status_2() {
    let (code, out, err) = nestscope(&["exec", &data("movaps.bin"), "--json"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unsupported instruction `movaps` at 0x100000"), "{err}");
}

#[test]
fn unreadable_or_empty_files_are_bad_input() {
    let (code, _, err) = nestscope(&["exec", "/nonexistent/x.bin"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("cannot read /nonexistent/x.bin"), "{err}");
    let empty = std::env::temp_dir().join(format!("nestscope-empty-{}.bin", std::process::id()));
    std::fs::write(&empty, b"").unwrap();
    let (code, _, err) = nestscope(&["exec", empty.to_str().unwrap()]);
    std::fs::remove_file(&empty).ok();
    assert_eq!(code, 2);
    assert!(err.contains("empty"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn bad_options_are_bad_input() {
    for args in [
        vec!["exec".to_string(), hello(), "--max-steps".into(), "lots".into()],
        vec!["exec".to_string(), hello(), "--frobnicate".into()],
        vec!["exec".to_string(), hello(), "--mem".into(), "1".into()],
        vec!["nonsense".to_string()],
    ] {
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let (code, _, err) = nestscope(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("nestscope: "), "{err}");
    }
}

#[test]
fn disasm_prints_intel_syntax() {
    let (code, out, _) = nestscope(&["disasm", &hello()]);
    assert_eq!(code, 0);
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("0x00100000") && first.contains("66bae900"), "{first}");
    assert!(first.replace(", ", ",").ends_with("mov dx,0xe9"), "{first}");
    assert!(out.lines().any(|l| l.ends_with("hlt")));
}

#[test]
fn save_at_then_resume_equals_the_uninterrupted_run() {
    let (_, full, _) = nestscope(&["exec", &hello(), "--json"]);
    for at in ["1", "7", "12", "19", "40"] {
        let cp = std::env::temp_dir().join(format!("nestscope-cp-{}-{at}.json", std::process::id()));
        let cps = cp.to_str().unwrap();
        let (code, _, err) = nestscope(&["exec", &hello(), "--save-at", at, "--checkpoint", cps, "--json"]);
        assert_eq!(code, 0, "{err}");
        let (code, resumed, err) = nestscope(&["resume", cps, "--json"]);
        std::fs::remove_file(&cp).ok();
        assert_eq!(code, 0, "{err}");
        assert_eq!(resumed, full, "checkpoint at step {at}");
    }
}

#[test]
fn corrupt_checkpoint_is_bad_input() {
    let f = std::env::temp_dir().join(format!("nestscope-bad-{}.json", std::process::id()));
    std::fs::write(&f, "{\"format\":\"nestscope-checkpoint\",\"version\":1,\"checksum\":\"x\",\"state\":{}}").unwrap();
    let (code, out, err) = nestscope(&["resume", f.to_str().unwrap()]);
    std::fs::remove_file(&f).ok();
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("invalid checkpoint: checksum mismatch"), "{err}");
}

#[test]
fn asm_and_exec_of_assembly_sources() {
    let src = format!("{}/../core/src/scenario/programs/hello.asm", env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("nestscope-asm-{}.bin", std::process::id()));
    let (code, _, err) = nestscope(&["asm", &src, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // NASM produced the committed binary from the same source.
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(hello()).unwrap());
    std::fs::remove_file(&out).ok();
    let (code, json, _) = nestscope(&["exec", &src, "--json"]);
    assert_eq!(code, 0);
    assert!(json.contains("\"console\":\"ok\\n\""), "{json}");
}

#[test]
fn assembler_errors_are_bad_input_with_line_and_column() {
    let f = std::env::temp_dir().join(format!("nestscope-bad-{}.asm", std::process::id()));
    std::fs::write(&f, "bits 64\n  mov rax, [\n").unwrap();
    let (code, out, err) = nestscope(&["exec", f.to_str().unwrap()]);
    let (code2, _, err2) = nestscope(&["asm", f.to_str().unwrap(), "-o", "/dev/null"]);
    std::fs::remove_file(&f).ok();
    assert_eq!((code, code2), (2, 2));
    assert!(out.is_empty());
    for e in [err, err2] {
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains("line 2, column"), "{e}");
    }
}

#[test]
fn scenario_commands() {
    let (code, out, _) = nestscope(&["scenario", "list"]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|l| l.starts_with("hello ")), "{out}");
    let (code, out, _) = nestscope(&["scenario", "test"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.trim_end().ends_with(" 0 failed"), "{out}");
    let (code, out, _) = nestscope(&["scenario", "run", "hello", "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"exit\":\"debug-exit\""));
    let (code, _, err) = nestscope(&["scenario", "run", "no-such-scenario"]);
    assert_eq!(code, 2);
    assert!(err.contains("no scenario `no-such-scenario`"));
}

fn l0_gpat() -> String {
    format!("{}/../core/tests/data/l0/gpat.bin", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn compare_exit_status_and_json() {
    let (code, out, _) = nestscope(&["compare", &l0_gpat(), "--models", "bare,kvm-merged"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = nestscope(&["compare", &l0_gpat(), "--models", "bare,kvm-legacy", "--json"]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["agree"], false);
    assert_eq!(j["divergence"]["level"], "L2");
    assert_eq!(j["divergence"]["instruction"], "rdmsr");
    for bad in [vec!["compare", "x.bin"], vec!["compare", "x.bin", "--models", "bare"], vec!["compare", "/nonexistent.bin", "--models", "bare,kvm-rfc"]] {
        let (code, _, err) = nestscope(&bad);
        assert_eq!(code, 2, "{bad:?}");
        assert_eq!(err.lines().count(), 1);
    }
    let (code, _, err) = nestscope(&["compare", &l0_gpat(), "--models", "bare,kvm-nonsense"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown model `kvm-nonsense`"), "{err}");
}

#[test]
fn compare_says_when_the_step_limit_ended_it() {
    // The review's silent stop: a loop longer than --max-steps must not read as "agree on all".
    let (code, out, err) = nestscope(&["compare", &l0_gpat(), "--models", "bare,kvm-merged", "--max-steps", "50"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("agree on the first 50 instructions") && out.contains("step limit"), "{out}");
    let (_, out, _) = nestscope(&["compare", &l0_gpat(), "--models", "bare,kvm-merged", "--max-steps", "50", "--json"]);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((j["steps"].as_u64(), j["limit_reached"].as_bool()), (Some(50), Some(true)));
}

#[test]
fn compare_with_a_save_restore_of_b_shows_what_it_lost() {
    // gpat.bin: step 300 is in L2's spin (see migrate_at_reports_what_is_lost). Reference §9.4:
    // v1 swap carries L2's PAT in the MSR list; legacy restores it as L1's PAT — L1's PAT lost.
    let (code, out, err) = nestscope(&[
        "compare", &l0_gpat(), "--models", "kvm-swap,kvm-swap", "--migrate-at", "300", "--migrate-to", "kvm-legacy", "--json",
    ]);
    assert_eq!(code, 1, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["migrations"][0]["lost"], serde_json::json!(["L1's PAT"]));
    assert_eq!(j["migrations"][0]["side"], 1);
    assert!(j["divergence"]["step"].as_u64().unwrap() > 300);
    let (code, _, err) = nestscope(&["compare", &l0_gpat(), "--models", "kvm-merged,bare", "--migrate-at", "30"]);
    assert_eq!(code, 2);
    assert!(err.contains("kvm-*"), "{err}");
}

#[test]
fn migrate_at_reports_what_is_lost() {
    // Step 300 is inside L2's spin loop (L2 starts at step 66, see core/tests/l0.rs).
    let run = |from: &str, to: &str, order: &str| {
        let (code, out, err) = nestscope(&[
            "exec", &l0_gpat(), "--model", from, "--migrate-at", "300", "--migrate-to", to, "--restore-order", order, "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(out.trim()).unwrap()
    };
    let j = run("kvm-swap", "kvm-legacy", "msrs-first");
    assert_eq!(j["migration"]["lost"], serde_json::json!(["L1's PAT"]));
    assert_eq!(j["migration"]["at"], 300);
    assert_eq!((j["migration"]["from"].as_str(), j["migration"]["to"].as_str()), (Some("kvm-swap"), Some("kvm-legacy")));
    assert_eq!(j["regs"]["r10"], "0x606060606060604", "L1 now runs on L2's PAT");
    let j = run("kvm-merged", "kvm-merged", "nested-state-first");
    assert_eq!(j["migration"]["lost"], serde_json::json!([]));
    assert_eq!(j["migration"]["order"], "nested-state-first");
    let (code, _, err) = nestscope(&["exec", &l0_gpat(), "--model", "bare", "--migrate-at", "10"]);
    assert_eq!(code, 2);
    assert!(err.contains("kvm-*"), "{err}");
}

#[test]
fn kvm_checkpoint_resumes_to_the_uninterrupted_result() {
    let (_, full, _) = nestscope(&["exec", &l0_gpat(), "--model", "kvm-merged", "--json"]);
    for at in ["40", "66", "300", "480"] {
        let cp = std::env::temp_dir().join(format!("nestscope-kvm-cp-{}-{at}.json", std::process::id()));
        let cps = cp.to_str().unwrap();
        let (code, _, err) = nestscope(&["exec", &l0_gpat(), "--model", "kvm-merged", "--save-at", at, "--checkpoint", cps]);
        assert_eq!(code, 0, "{err}");
        let (code, resumed, err) = nestscope(&["resume", cps, "--json"]);
        std::fs::remove_file(&cp).ok();
        assert_eq!(code, 0, "{err}");
        assert_eq!(resumed, full, "checkpoint at step {at}");
    }
}

#[test]
fn pat_layers_flag_adds_per_access_records() {
    let (code, out, err) = nestscope(&["exec", &l0_gpat(), "--model", "kvm-merged", "--pat-layers", "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let recs = j["pat_layers"].as_array().unwrap();
    assert!(!recs.is_empty());
    let first = &recs[0];
    assert_eq!(first["access"], "fetch");
    assert_eq!((first["l2_gpat"]["type"].as_str(), first["l1_pat"]["type"].as_str()), (Some("WB"), Some("WT")));
    assert_eq!((first["bare_metal"].as_str(), first["model"].as_str()), (Some("WT"), Some("WB")));
    assert_eq!(j["exit"], "debug-exit", "the run itself is unchanged");
    let (code, _, _) = nestscope(&["exec", &l0_gpat(), "--pat-layers", "--save-at", "5", "--checkpoint", "/dev/null"]);
    assert_eq!(code, 2);
}

#[test]
fn bench_reports_each_measurement_and_rejects_unknown_models() {
    let (code, out, err) =
        nestscope(&["bench", "--steps", "100000", "--trips", "300", "--models", "bare,kvm-merged", "--json"]);
    assert_eq!(code, 0, "stderr: {err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    let loops: Vec<&str> = j["mips"].as_array().unwrap().iter().map(|m| m["loop"].as_str().unwrap()).collect();
    assert_eq!(loops, ["alu loop", "mem loop"]);
    let trips = j["round_trips"].as_array().unwrap();
    assert_eq!(trips.iter().map(|t| t["model"].as_str().unwrap()).collect::<Vec<_>>(), ["bare", "kvm-merged"]);
    for t in trips {
        assert_eq!(t["trips"], 300);
        assert!(t["per_second"].as_f64().unwrap() > 0.0);
        // Nothing in the round-trip loop writes a page table: nearly every switch keeps its TLB.
        assert!(t["tlb_reuses"].as_u64().unwrap() >= 590, "{t}");
    }
    let (code, _, err) = nestscope(&["bench", "--models", "bare,kvm-nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown model `kvm-nope`") && err.lines().count() == 1, "{err}");
    let (code, _, err) = nestscope(&["bench", "--trips", "0"]);
    assert_eq!(code, 2, "{err}");
}

/// `explain`: the exit table by code or name (reference §2.1: 0x07C = SVM_EXIT_MSR, intercept bit
/// 124 MSR_PROT; -1 = SVM_EXIT_ERR; 0x400 NPF is no intercept bit).
#[test]
fn explain_exit_codes_and_names() {
    let (st, out, _) = nestscope(&["explain", "0x7c", "-1"]);
    assert_eq!(st, 0);
    assert!(out.starts_with("0x7c VMEXIT_MSR\n  Linux:     SVM_EXIT_MSR\n  intercept: bit 124 (MSR_PROT)\n"), "{out}");
    assert!(out.contains("-1 VMEXIT_INVALID\n  Linux:     SVM_EXIT_ERR\n"), "{out}");
    let (st, out, _) = nestscope(&["explain", "vmexit_npf", "--json"]);
    assert_eq!(st, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v[0]["code"].as_u64(), v[0]["intercept"].is_null()), (Some(0x400), true));
    let (st, out, _) = nestscope(&["explain", "IOIO_PROT"]);
    assert_eq!((st, out.lines().next()), (0, Some("0x7b VMEXIT_IOIO")));
    let (st, _, err) = nestscope(&["explain", "0x4a7"]);
    assert_eq!(st, 2);
    assert!(err.contains("not an SVM exit code"), "{err}");
}

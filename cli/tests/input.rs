//! Bad and hostile input to the CLI: every case is refused with exit status 2 and one line that
//! carries no raw control byte, and nothing already on disk is lost (the red-team reproducers of
//! the robustness review for these paths).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use std::process::Command;

fn nestscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nestscope")).args(args).output().expect("run nestscope");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Runs `script` under sh with `$NS` = the binary.
fn sh(script: &str) -> (i32, String, String) {
    let out = Command::new("sh").arg("-c").arg(script).env("NS", env!("CARGO_BIN_EXE_nestscope")).output().expect("sh");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn hello() -> String {
    format!("{}/../core/src/scenario/programs/hello.bin", env!("CARGO_MANIFEST_DIR"))
}
fn l0_gpat() -> String {
    format!("{}/../core/tests/data/l0/gpat.bin", env!("CARGO_MANIFEST_DIR"))
}
fn tmp(name: &str) -> String {
    std::env::temp_dir().join(format!("nestscope-input-{}-{name}", std::process::id())).to_str().unwrap().to_string()
}

/// Exit 2, one stderr line, no control byte, containing `what`.
fn refused(r: (i32, String, String), what: &str) {
    let (code, out, err) = r;
    assert_eq!(code, 2, "stdout {out}, stderr {err}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(!err.trim_end().chars().any(char::is_control), "{err:?}");
    assert!(err.contains(what), "{err:?} lacks {what:?}");
}

#[test]
fn switches_take_no_value_and_options_come_once() {
    refused(nestscope(&["exec", &hello(), "--json=0"]), "--json is a switch and takes no value");
    refused(nestscope(&["exec", &hello(), "--json=false"]), "takes no value");
    refused(nestscope(&["exec", &hello(), "--model", "bare", "--model", "kvm-merged"]), "--model is given twice");
    refused(nestscope(&["exec", &hello(), "--json", "--json"]), "--json is given twice");
    refused(nestscope(&["asm", "x.asm", "-o", "a", "-o", "b"]), "-o is given twice");
}

#[test]
fn options_that_cannot_combine_are_refused() {
    // L2 (review): --save-at with --migrate-at used to exit 0 and write nothing.
    let cp = tmp("mig.nsc");
    refused(
        nestscope(&["exec", &l0_gpat(), "--model", "kvm-merged", "--migrate-at", "50", "--save-at", "20", "--checkpoint", &cp]),
        "--save-at cannot be combined with --migrate-at",
    );
    assert!(std::fs::metadata(&cp).is_err(), "nothing written");
    // E5: --migrate-to / --restore-order without --migrate-at were ignored, even junk.
    refused(nestscope(&["exec", &hello(), "--restore-order", "junk"]), "--restore-order needs --migrate-at");
    refused(nestscope(&["exec", &hello(), "--migrate-to", "kvm-rfc"]), "--migrate-to needs --migrate-at");
}

#[test]
fn a_model_name_with_a_newline_or_escape_is_not_echoed_raw() {
    refused(nestscope(&["exec", &hello(), "--model", "kvm-merged\nnestscope: everything is fine"]), "unknown model `kvm-merged\\nnestscope");
    refused(nestscope(&["exec", &hello(), "--model", "\x1b[31mred\x1b[0m"]), "unknown model `\\u{1b}[31mred");
    refused(nestscope(&["bench", "--models", "b\x07are"]), "unknown model");
    refused(nestscope(&["exec", &hello(), "--max-steps", "1\n2"]), "is not a number");
}

#[test]
fn an_interrupted_overwrite_keeps_the_previous_checkpoint() {
    // L1 (review): a failed write (here a file-size limit standing in for a full disk) used to
    // truncate the good file first.
    let cp = tmp("keep.nsc");
    let (code, _, err) = nestscope(&["exec", &l0_gpat(), "--model", "kvm-merged", "--save-at", "40", "--checkpoint", &cp]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&cp).unwrap();
    let (code, _, err) = sh(&format!("trap '' XFSZ; ulimit -f 0; exec \"$NS\" exec {} --model kvm-merged --save-at 300 --checkpoint {cp}", l0_gpat()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert_eq!(std::fs::read(&cp).unwrap(), before, "the previous checkpoint is intact");
    let (code, _, err) = nestscope(&["resume", &cp, "--json"]);
    assert_eq!(code, 0, "{err}");
    let dir = std::path::Path::new(&cp).parent().unwrap();
    let leftovers = std::fs::read_dir(dir).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("keep.nsc.")).count();
    assert_eq!(leftovers, 0, "no temporary file is left behind");
    std::fs::remove_file(&cp).ok();
    // A device is written in place, never replaced.
    let (code, _, err) = nestscope(&["exec", &hello(), "--save-at", "5", "--checkpoint", "/dev/null"]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device_like());
}

trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}
impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_char_device()
    }
}

#[test]
fn disasm_of_a_large_file_streams_in_bounded_memory() {
    // M2 (review): 20 MB of zeros grew to 1.35 GB because every instruction was kept; 2 MB then
    // needed about 140 MB. Under a 100 MB address-space limit it must finish.
    let f = tmp("zeros.bin");
    std::fs::write(&f, vec![0u8; 2_000_000]).unwrap();
    let (code, out, err) = sh(&format!("ulimit -v 100000; exec \"$NS\" disasm {f} | tail -n 1"));
    std::fs::remove_file(&f).ok();
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("0x002e847e "), "the last instruction at 0x100000 + 2 000 000 - 2: {out}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn inspect_shows_header_levels_vmcbs_and_memory() {
    let cp = tmp("inspect.nsc");
    // Mid-L2 under kvm-merged: L1 and L2 registers, vmcb01/vmcb02/vmcb12.
    let (code, _, err) = nestscope(&["exec", &l0_gpat(), "--model", "kvm-merged", "--save-at", "66", "--checkpoint", &cp]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = nestscope(&["checkpoint", "inspect", &cp, "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["header"]["format_version"], 2);
    assert_eq!(j["header"]["file_bytes"], std::fs::metadata(&cp).unwrap().len());
    assert_eq!(j["model"], "kvm-merged");
    assert_eq!(j["steps"], 66);
    if j["level"] == "L2" {
        assert!(j["registers"]["L2"]["rip"].is_string());
        let names: Vec<&str> = j["vmcbs"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
        assert!(names.iter().any(|n| n.starts_with("vmcb12")), "{names:?}");
    }
    assert!(j["registers"]["L1"]["rax"].is_string());
    let vmcb01 = &j["vmcbs"][0];
    assert!(vmcb01["fields"].as_array().unwrap().iter().any(|f| f["field"] == "EFER"), "{vmcb01}");
    assert!(j["memory"]["nonzero_pages"].as_u64().unwrap() > 0);
    let (code, text, err) = nestscope(&["checkpoint", "inspect", &cp]);
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("format v2 (written by nestscope "), "{text}");
    assert!(text.contains("vmcb01"), "{text}");
    // Corrupt: exit 2, one line.
    let mut bad = std::fs::read(&cp).unwrap();
    bad[60] ^= 0x40;
    std::fs::write(&cp, &bad).unwrap();
    refused(nestscope(&["checkpoint", "inspect", &cp]), "checksum mismatch");
    refused(nestscope(&["checkpoint", "inspect", &cp, "--json=1"]), "takes no value");
    refused(nestscope(&["checkpoint", "frobnicate"]), "unknown checkpoint command");
    std::fs::remove_file(&cp).ok();
}

#[test]
fn hostile_checkpoints_are_refused_naming_the_field() {
    let data = |n: &str| format!("{}/tests/data/hostile/{n}", env!("CARGO_MANIFEST_DIR"));
    for (file, what) in [
        ("n01_checksum_newline.json", "checksum mismatch (stored `fnv1a64:0\\nsecond line\\nthird`"),
        ("n02_model_newline.json", "model: unknown model `kvm-merged\\nnestscope: everything is fine`"),
        ("n04_model_ansi.json", "model: unknown model `\\u{1b}[31mred\\u{1b}[0m`"),
        ("p04_dupkey.json", "duplicate field `steps`"),
        ("p05_dupkey_env.json", "duplicate field `version`"),
        ("h27_cr0_paging_off_long.json", "cpu.cr0: 0x11"),
    ] {
        refused(nestscope(&["resume", &data(file)]), what);
    }
    // CS.L = 0 under EFER.LMA is compatibility mode (APM vol.2 1.2.2), which the processor models
    // now (cpu/legacy_fetch.rs): a state a CPU can be in, so it loads and runs.
    let (code, _, err) = nestscope(&["resume", &data("h29_cs_attrib_32bit.json")]);
    assert_eq!(code, 0, "{err}");
    let f = tmp("big.json");
    // A file above the size limit is refused before it is read whole.
    std::fs::File::create(&f).unwrap().set_len(300 << 20).unwrap();
    refused(nestscope(&["resume", &f]), "larger than");
    std::fs::remove_file(&f).ok();
}

#[test]
fn console_bytes_that_are_not_utf8_are_kept_exactly_in_json() {
    // L3 (review): bytes >= 0x80 became U+FFFD; `console` stays text (CONTRACT §3) and
    // `console_hex` gives the bytes.
    let f = tmp("c81.asm");
    std::fs::write(&f, "bits 64\nmov dx, 0xe9\nmov al, 0x6f\nout dx, al\nmov al, 0x81\nout dx, al\nmov dx, 0xf4\nmov al, 0\nout dx, al\n").unwrap();
    let (code, out, err) = nestscope(&["exec", &f, "--json"]);
    std::fs::remove_file(&f).ok();
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["console"], "o\u{fffd}");
    assert_eq!(j["console_hex"], "6f81");
    let (_, out, _) = nestscope(&["exec", &hello(), "--json"]);
    assert!(!out.contains("console_hex"), "a UTF-8 console has only `console`");
}

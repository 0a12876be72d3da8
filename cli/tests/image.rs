//! `nestscope exec` and `inspect-image` on multiboot kernels: the real kvm-unit-tests binaries
//! (beside the repository in `../shared/kvm-unit-tests/`, or `NESTSCOPE_KUT_DIR`; without them
//! those tests say so and pass unless `NESTSCOPE_REQUIRE_KUT=1`) and images built here.
//! Segment figures are `readelf -lhW svm.flat`'s: entry 0x4000bc, LOAD 0xb0→0x4000b0 (0xfe30
//! bytes, R E) and 0x10000→0x410000 (filesz 0x1392c, memsz 0xc551d0, RW).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use std::path::PathBuf;
use std::process::Command;

fn nestscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nestscope")).args(args).output().expect("run nestscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn kut(name: &str) -> Option<String> {
    let dir = std::env::var_os("NESTSCOPE_KUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/kvm-unit-tests"));
    let p = dir.join(name);
    if p.is_file() {
        return Some(p.to_string_lossy().into_owned());
    }
    assert!(std::env::var("NESTSCOPE_REQUIRE_KUT").is_err(), "{} missing", p.display());
    eprintln!("skipped: {} missing; set NESTSCOPE_KUT_DIR", p.display());
    None
}

fn hello() -> String {
    format!("{}/../core/src/scenario/programs/hello.bin", env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str, bytes: &[u8]) -> String {
    let p = std::env::temp_dir().join(format!("nestscope-image-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// The tests one boot runs (kvm-unit-tests runs every test named on its command line): VMRUN
/// itself, and the interrupt tests — a self-IPI held by GIF and taken at the INTR intercept
/// (pending_event), the APIC timer with HLT, direct and intercepted (interrupt), NMI (nmi), and a
/// virtual interrupt (virq_inject).
const TESTS: [&str; 5] = ["vmrun", "pending_event", "interrupt", "nmi", "virq_inject"];

/// kvm-unit-tests' own verdicts: each test prints "PASS: NAME" on the UART, and isa-debug-exit
/// gets 0 (what QEMU turns into exit status 1, "pass", in x86/run).
fn passes_all(model: &str) {
    let Some(svm) = kut("svm.flat") else { return };
    let (code, out, err) = nestscope(&["exec", &svm, "--append", &TESTS.join(" "), "--model", model, "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let console = j["console"].as_str().unwrap_or_default();
    for t in TESTS {
        let line = format!("PASS: {t}");
        assert!(console.lines().any(|l| l.trim_end() == line), "{model}: {t}\n{console}");
    }
    assert!(!console.contains("FAIL"), "{model}: {console}");
    assert_eq!((j["exit"].as_str(), j["code"].as_u64()), (Some("debug-exit"), Some(0)), "{model}: {j}");
}

/// svm.flat on the hardware model: the kernel is the L1 hypervisor. About 90 million
/// instructions for the boot and the tests (about 20 s in a debug build).
#[test]
fn exec_boots_svm_flat_and_its_vmrun_and_interrupt_tests_pass() {
    passes_all("bare");
}

/// The same tests with svm.flat as L1 under the L0 model (KVM's nested SVM, merged gPAT design):
/// its VMRUN is emulated by L0 (vmcb12 → vmcb02), and the verdicts are the same.
#[test]
fn exec_runs_svm_flat_as_l1_under_kvm_merged_and_the_same_tests_pass() {
    passes_all("kvm-merged");
}

#[test]
fn a_kernel_in_contract_only_commands_is_a_named_refusal() {
    let Some(svm) = kut("svm.flat") else { return };
    let (code, _, err) = nestscope(&["compare", &svm, "--models", "bare,kvm-merged"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("svm.flat is a multiboot kernel (entry 0x4000bc, 2 segments"), "{err}");
    assert!(err.contains("0x4000b0..0x10651d0"), "{err}");
    assert!(err.contains("run the kernel with `nestscope exec svm.flat"), "{err}");
}

#[test]
fn exec_of_a_kernel_too_big_for_the_ram_names_the_segment() {
    let Some(svm) = kut("svm.flat") else { return };
    let (code, _, err) = nestscope(&["exec", &svm, "--mem", "16"]);
    assert_eq!(code, 2);
    assert!(err.contains("segment 1 (0x410000..0x10651d0) lies outside RAM (0..0x1000000, 16 MiB)"), "{err}");
}

#[test]
fn inspect_image_prints_what_readelf_and_the_multiboot_spec_say() {
    let Some(svm) = kut("svm.flat") else { return };
    let (code, out, err) = nestscope(&["inspect-image", &svm, "--append", "vmrun", "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["format"], "multiboot");
    assert_eq!(j["header"]["offset"], "0xb0");
    assert_eq!(j["segments"][0]["paddr"], "0x4000b0");
    assert_eq!(j["segments"][0]["filesz"], "0xfe30");
    assert_eq!(j["segments"][1]["filesz"], "0x1392c");
    assert_eq!(j["segments"][1]["memsz"], "0xc551d0");
    assert_eq!(j["segments"][1]["flags"], "RW");
    assert_eq!(j["zero"][0]["addr"], "0x42392c");
    assert_eq!(j["entry"]["eip"], "0x4000bc");
    assert_eq!(j["entry"]["eax"], "0x2badb002");
    assert_eq!(j["entry"]["ebx"], j["mbi"]["addr"]);
    assert_eq!(j["mbi"]["cmdline"], "svm.flat vmrun");
    assert_eq!(j["mbi"]["mem_lower"], 640);
    assert_eq!(j["mbi"]["mem_upper"], 63 * 1024);
    let (code, out, _) = nestscope(&["inspect-image", &svm, "--mem", "128"]);
    assert_eq!(code, 0);
    assert!(out.contains("mem_upper 130048 KiB"), "{out}");
    assert!(out.contains("R E"), "{out}");
    assert!(out.contains("eax=0x2badb002"), "{out}");
}

#[test]
fn inspect_image_lists_the_symbols_as_nm_does() {
    let Some(svm) = kut("svm.flat") else { return };
    let (code, out, err) = nestscope(&["inspect-image", &svm, "--symbols"]);
    assert_eq!(code, 0, "{err}");
    // `nm -S svm.flat` prints these two lines the same way.
    assert!(out.contains("  00400731 0000022d t test_run\n"), "{out}");
    assert!(out.contains("  00409614 00000029 T main\n"), "{out}");
    // `nm --defined-only svm.flat | grep -v ' a ' | wc -l` (absolute symbols are equates, not addresses).
    let (code, out, _) = nestscope(&["inspect-image", &svm, "--json"]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["symbols"]["count"], 668);
    assert!(j["symbols"].get("list").is_none(), "the list only with --symbols");
}

#[test]
fn inspect_image_of_a_flat_program_and_append_on_one_is_refused() {
    let (code, out, err) = nestscope(&["inspect-image", &hello()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("flat CONTRACT program, 33 bytes, loaded at 0x100000"), "{out}");
    let (code, _, err) = nestscope(&["exec", &hello(), "--append", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("--append is for multiboot kernels"), "{err}");
    // Without --append the flat program runs as before.
    let (code, out, _) = nestscope(&["exec", &hello(), "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"exit\":\"debug-exit\""), "{out}");
}

#[test]
fn an_elf_that_is_no_multiboot_kernel_is_a_named_error() {
    // An ELF32 i386 executable header (52 bytes) with no program headers and no multiboot magic.
    let mut elf = vec![0u8; 64];
    elf[..7].copy_from_slice(b"\x7fELF\x01\x01\x01");
    elf[16] = 2;
    elf[18] = 3;
    let path = temp("plain.elf", &elf);
    let (code, _, err) = nestscope(&["exec", &path]);
    assert_eq!(code, 2);
    assert!(err.contains("not a multiboot v1 kernel: no header magic 0x1BADB002 in its first 0x40 bytes"), "{err}");
    elf[4] = 2;
    std::fs::write(&path, &elf).unwrap();
    let (code, _, err) = nestscope(&["inspect-image", &path]);
    assert_eq!(code, 2);
    assert!(err.contains("ELF EI_CLASS at file offset 0x4 is 0x2"), "{err}");
    let _ = std::fs::remove_file(&path);
}

/// A kernel run saved mid-way (`exec --save-at N --checkpoint F`) and resumed (`resume F`) gives
/// the uninterrupted run's result: the same console, exit, code and step count (kvm-unit-tests'
/// own verdict "PASS: vmrun" among it), on the hardware model and under the L0 model.
fn kernel_checkpoint_resumes_to_the_uninterrupted_result(model: &str) {
    let Some(svm) = kut("svm.flat") else { return };
    let (code, out, err) = nestscope(&["exec", &svm, "--append", "vmrun", "--model", model, "--json"]);
    assert_eq!(code, 0, "{err}");
    let whole: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(whole["console"].as_str().unwrap().lines().any(|l| l.trim_end() == "PASS: vmrun"), "{whole}");
    let total = whole["steps"].as_u64().unwrap();
    // The boot (page tables, then the tests' setup) and the last steps, inside the test.
    for at in [total / 2, total - 1_000] {
        let file = std::env::temp_dir().join(format!("nestscope-image-{}-{model}-{at}.nsc", std::process::id()));
        let file = file.to_string_lossy().into_owned();
        let at_s = at.to_string();
        let (code, out, err) = nestscope(&["exec", &svm, "--append", "vmrun", "--model", model, "--save-at", &at_s, "--checkpoint", &file, "--json"]);
        assert_eq!(code, 0, "{err}");
        let part: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(part["steps"].as_u64(), Some(at), "{model}: stopped at the save point");
        let (code, out, err) = nestscope(&["resume", &file, "--json"]);
        std::fs::remove_file(&file).ok();
        assert_eq!(code, 0, "{err}");
        let resumed: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        for k in ["console", "exit", "code", "steps"] {
            assert_eq!(resumed[k], whole[k], "{model}, saved at {at}: {k}");
        }
    }
}

#[test]
fn a_kernel_run_saved_and_resumed_on_bare_is_the_uninterrupted_run() {
    kernel_checkpoint_resumes_to_the_uninterrupted_result("bare");
}

#[test]
fn a_kernel_run_saved_and_resumed_under_kvm_merged_is_the_uninterrupted_run() {
    kernel_checkpoint_resumes_to_the_uninterrupted_result("kvm-merged");
}

#!/usr/bin/env bash
# kvm-unit-tests' SVM suites on nestscope, one test per run, the way kvm-unit-tests' x86/run runs
# them on QEMU: `nestscope exec svm.flat --append TEST` (release build), each test's own verdict
# from its serial output and isa-debug-exit code. Writes target/conformance/<model>.tsv and prints
# a Markdown table beside the QEMU TCG baseline (../shared/kvm-unit-tests/qemu-tcg-baseline-svm.tsv).
#
# Usage: scripts/conformance.sh [--model bare] [--tests a,b,c] [--jobs 2] [--timeout 120] [--no-build]
#        NESTSCOPE_KUT_DIR=DIR to take svm.flat / svm_npt.flat from elsewhere.
# Verdicts: PASS (code 0, no FAIL line), FAIL (a FAIL line or code 1), SKIP (only SKIP lines, code 38 =
# QEMU status 77), ERROR (nestscope stopped with an emulator error: the message says what is not
# modelled), BUDGET / TIMEOUT (still running after the step budget / wall-clock limit), SHUTDOWN.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
model=bare; tests=""; jobs=2; timeout_s=120; build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "conformance: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
kut=${NESTSCOPE_KUT_DIR:-../shared/kvm-unit-tests}
for f in svm.flat svm_npt.flat; do
  [ -r "$kut/$f" ] || { echo "conformance: $kut/$f not found (set NESTSCOPE_KUT_DIR)" >&2; exit 2; }
done
[ $build = 1 ] && cargo build -q --release -p nestscope-cli
bin=target/release/nestscope
out=target/conformance; mkdir -p "$out/logs"
# The test lists of svm_tests[] (x86/svm_tests.c) and npt_tests[] (x86/svm_npt.c), in order.
svm_list="null vmrun ioio vmrun_intercept_check rsm sel_cr0_write_intercept sel_cr0_write_intercept_emulate sel_cr0_write_intercept_priority sel_cr0_write_intercept_priority_emulate sel_cr0_write_nointercept sel_cr0_write_nointercept_emulate sel_cr0_lmsw_intercept sel_cr0_lmsw_intercept_emulate cr3_read_intercept cr3_read_nointercept cr3_read_intercept_emulate dr_intercept_check next_rip msr_intercept_check mode_switch asid_zero tsc_adjust latency_run_exit latency_run_exit_clean latency_svm_insn exc_inject pending_event pending_event_cli interrupt nmi nmi_hlt vnmi virq_inject virq_inject_within_shadow reg_corruption svm_init_startup_test svm_init_intercept_test host_rflags vgif svm_pae_test svm_pse_test svm_cr4_osxsave_test svm_guest_state_test svm_vmrun_errata_test svm_vmload_vmsave svm_test_singlestep svm_no_nm_test svm_exception_test svm_lbrv_test0 svm_lbrv_test1 svm_lbrv_test2 svm_lbrv_test3 svm_lbrv_nested_test1 svm_lbrv_nested_test2 svm_lbrv_nested_test3 svm_intr_intercept_mix_if svm_intr_intercept_mix_gif svm_intr_intercept_mix_gif2 svm_intr_intercept_mix_nmi svm_intr_intercept_mix_smi svm_tsc_scale_test pause_filter_test svm_shutdown_intercept_test svm_unsupported_instruction_intercept_test"
npt_list="npt_nx npt_np npt_us npt_gmet_null npt_gmet_nx npt_gmet_us npt_rw npt_rw_pfwalk npt_l1mmio npt_rw_l1mmio svm_npt_rsvd_bits_test"
list=()
for t in $svm_list; do list+=("svm.flat:$t"); done
for t in $npt_list; do list+=("svm_npt.flat:$t"); done
if [ -n "$tests" ]; then
  keep=(); IFS=, read -ra want <<<"$tests"
  for e in "${list[@]}"; do for w in "${want[@]}"; do [ "${e#*:}" = "$w" ] && keep+=("$e"); done; done
  list=("${keep[@]}")
fi
run_one() {
  local flat=${1%%:*} t=${1#*:} log
  log="$out/logs/$model-${flat%.flat}-$t.json"
  local rc=0 cpu=()
  # The CPU kvm-unit-tests' x86/unittests.cfg gives a test where it is not `-cpu max,+svm`.
  case "$t" in
    svm_unsupported_instruction_intercept_test) cpu=(--cpu -rdtscp,-xsave,-invpcid,-skinit) ;;
  esac
  timeout "$timeout_s" "$bin" exec "$kut/$flat" --append "$t" --model "$model" "${cpu[@]}" --json >"$log" 2>"$log.err" || rc=$?
  python3 - "$flat" "$t" "$rc" "$log" >"$log.verdict" <<'PY'
import json, re, sys
flat, t, rc, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
err = open(log + ".err").read().strip().splitlines()
why = ""
if rc == 124:
    v = "TIMEOUT"
elif rc != 0:
    v, why = "ERROR", (err[-1] if err else f"exit status {rc}")
else:
    j = json.load(open(log))
    con = j.get("console", "")
    lines = con.replace("\r", "").splitlines()
    fails = [l for l in lines if l.startswith("FAIL")]
    passes = [l for l in lines if l.startswith("PASS")]
    skips = [l for l in lines if l.startswith("SKIP")]
    # kvm-unit-tests' TEST_EXPECT_EQ counts a passed check without printing a PASS line
    # (lib/util.h): exit 0 with "SUMMARY: N tests" and no failure or skip is a pass too (svm_lbrv_*).
    summary_ok = any(re.fullmatch(r"SUMMARY: [1-9][0-9]* tests", l.strip()) for l in lines)
    if j["exit"] == "budget":
        v, why = "BUDGET", f"{j['steps']} steps"
    elif j["exit"] == "shutdown":
        v, why = "SHUTDOWN", j.get("shutdown_reason", "")
    elif fails or j.get("code") == 1:
        v, why = "FAIL", (fails[0] if fails else "exit code 1")
    elif j["exit"] == "debug-exit" and j.get("code") == 0 and (passes or summary_ok):
        v = "PASS"
    elif skips or j.get("code") == 38:
        v, why = "SKIP", (skips[0] if skips else "")
    else:
        v, why = "OTHER", f"exit {j['exit']} code {j.get('code')}"
    why = (why + f" ({j['steps']} steps)") if v in ("PASS", "FAIL", "SKIP") else why
print(f"{flat}\t{t}\t{v}\t{why}")
PY
}
export -f run_one; export out model kut bin timeout_s
printf '%s\n' "${list[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
# one verdict file per run (parallel runs never share a pipe), gathered in the suite's order
: > "$out/$model.tsv"
for e in "${list[@]}"; do
  f="$out/logs/$model-$(basename "${e%%:*}" .flat)-${e#*:}.json.verdict"
  [ -f "$f" ] && cat "$f" >> "$out/$model.tsv"
done
python3 - "$out/$model.tsv" "$kut/qemu-tcg-baseline-svm.tsv" "$model" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
base = {}
try:
    for l in open(sys.argv[2]):
        f = l.rstrip("\n").split("\t")
        if len(f) >= 2: base[f[0]] = f[1]
except FileNotFoundError:
    pass
print(f"| binary | test | nestscope ({sys.argv[3]}) | QEMU TCG | note |")
print("|---|---|---|---|---|")
for flat, t, v, why in rows:
    q = base.get(t, "—") if flat == "svm.flat" else "—"
    print(f"| {flat} | {t} | {v} | {q} | {why.replace('|', '/')} |")
for flat in ("svm.flat", "svm_npt.flat"):
    c = collections.Counter(v for f, _, v, _ in rows if f == flat)
    print(f"\n{flat}: " + ", ".join(f"{k} {n}" for k, n in sorted(c.items())) + f" (of {sum(c.values())})")
PY

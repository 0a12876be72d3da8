#!/usr/bin/env bash
# Side-by-side speed: the same programs (bench/programs/*.asm, nasm) on nestscope native (the
# release CLI), nestscope in wasm (node), QEMU TCG and Bochs, printed as MIPS (round trips/s for the
# nested program) per engine with the ratios nestscope/Bochs and nestscope/QEMU.
#
# QEMU and Bochs boot a floppy image: bench/loader.asm (a boot sector that enters the program
# contract's 64-bit state) followed by the program. Every engine runs each program twice, a base
# run (BASE iterations) and a big run; the rate is (big - base) extra guest instructions divided by
# the difference of the two runs' median times, so boot and start-up cancel. The time is the
# process's CPU time (user + system, all its threads: what it spent emulating, unaffected by other
# processes competing for the cores); --wall uses wall-clock time instead (for a quiet machine).
#
# Usage: scripts/bench-against.sh [--engines native,wasm,qemu,bochs] [--programs alu,mem,call,string,roundtrip]
#                                 [--runs N (median of N, default 3)] [--scale F (big-run lengths x F)]
#                                 [--wall] [--no-build] [--nestscope BIN (the CLI to run, default the release build)]
# Engines that are not installed are skipped with a note (scripts/setup.sh --bench installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

engines=native,wasm,qemu,bochs
programs=alu,mem,call,string,roundtrip
runs=3
scale=1
build=1
clock=cpu
cli=
while [ $# -gt 0 ]; do
  case "$1" in
    --engines) engines=$2; shift 2 ;;
    --programs) programs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --wall) clock=wall; shift ;;
    --nestscope) cli=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "bench-against: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for e in ${engines//,/ }; do
  case $e in native|wasm|qemu|bochs) ;; *) echo "bench-against: unknown engine $e (engines: native, wasm, qemu, bochs)" >&2; exit 2 ;; esac
done
has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }
command -v nasm >/dev/null || { echo "bench-against: nasm is needed (scripts/setup.sh)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-against: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

# Guest instructions (or round trips) per iteration: each program's "; iteration: N ..." line.
per_iter() { sed -n 's/^; iteration: \([0-9][0-9]*\) .*/\1/p' "bench/programs/$1.asm"; }
# Big-run iterations per engine (about a second or two each on a 2-core VM); base runs are 1000.
declare -A big=(
  [native.loop]=25000000 [wasm.loop]=12000000 [qemu.loop]=400000000 [bochs.loop]=20000000
  [native.roundtrip]=3000000 [wasm.roundtrip]=1500000 [qemu.roundtrip]=100000 [bochs.roundtrip]=200000
)
BASE=1000

notes=()
if has "$engines" qemu && ! command -v qemu-system-x86_64 >/dev/null; then
  notes+=("QEMU: qemu-system-x86_64 not installed, skipped"); engines=${engines//qemu/}
fi
if has "$engines" bochs && ! command -v bochs >/dev/null; then
  notes+=("Bochs: bochs not installed, skipped"); engines=${engines//bochs/}
fi

target=${CARGO_TARGET_DIR:-target}
cli=${cli:-$target/release/nestscope}
wasm_dir=$target/bench-wasm
if [ "$build" = 1 ]; then
  if has "$engines" native && [ "$cli" = "$target/release/nestscope" ]; then cargo build -q -p nestscope-cli --release; fi
  if has "$engines" wasm; then
    cargo build -q -p nestscope-bench-wasm --release --target wasm32-unknown-unknown
    wasm-bindgen --target nodejs --out-dir "$wasm_dir" "$target/wasm32-unknown-unknown/release/nestscope_bench_wasm.wasm"
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nasm -f bin bench/loader.asm -o "$work/loader.bin"
cat > "$work/bochsrc" <<EOF
megs: 64
cpu: model=ryzen, count=1, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
floppya: 1_44=$work/disk.img, status=inserted
boot: floppy
display_library: rfb, options="timeout=0"
clock: sync=none
port_e9_hack: enabled=1
# No sound: Debian's Bochs 2.7 starts its mixer thread otherwise, which aborts ("buffer overflow
# detected" in mixer_thread) on a machine without a sound card.
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
log: /dev/null
panic: action=fatal
error: action=ignore
info: action=ignore
debug: action=ignore
EOF
printf 'c\nquit\n' > "$work/bochs.cmds"

# run ENGINE MODEL PROGRAM.bin: runs it once, prints its time in microseconds (CPU or wall); fails
# unless the run ended the way the program ends on success (console "0", debug exit 0).
run() {
  local engine=$1 model=$2 bin=$3 out=$work/out ok=0 timed
  if [ "$engine" = qemu ] || [ "$engine" = bochs ]; then
    cat "$work/loader.bin" "$bin" > "$work/disk.img"
    truncate -s 1474560 "$work/disk.img"
  fi
  timed=(/usr/bin/time -f '%e %U %S' -o "$work/time")
  case $engine in
    native) "${timed[@]}" "$cli" exec "$bin" --model "$model" --max-steps 100000000000 --json > "$out" 2>&1 || true ;;
    wasm) "${timed[@]}" node bench/run-wasm.js "$wasm_dir" "$bin" "$model" > "$out" 2>&1 || true ;;
    qemu) rm -f "$work/con"; "${timed[@]}" qemu-system-x86_64 -accel tcg -cpu max,+svm -m 64 -display none -nodefaults -no-reboot \
            -device isa-debug-exit,iobase=0xf4,iosize=1 -chardev file,id=con,path="$work/con" \
            -device isa-debugcon,iobase=0xe9,chardev=con -drive if=floppy,format=raw,file="$work/disk.img" \
            -boot a > "$out" 2>&1 && true; echo "status $?" >> "$out" ;;
    bochs) "${timed[@]}" bochs -q -f "$work/bochsrc" -rc "$work/bochs.cmds" > "$out" 2>&1 < /dev/null || true ;;
  esac
  case $engine in
    native|wasm) grep -q '"exit":"debug-exit"' "$out" && grep -q '"code":0' "$out" && grep -q '"console":"0"' "$out" && ok=1 ;;
    qemu) grep -q '^status 1$' "$out" && [ "$(cat "$work/con")" = 0 ] && ok=1 ;;
    bochs) grep -q '^0(0)' "$out" && grep -q '3rd (13) exception' "$out" && ok=1 ;;
  esac
  if [ "$ok" != 1 ]; then
    echo "bench-against: $engine $model $(basename "$bin") did not end with debug exit 0:" >&2
    tail -5 "$out" >&2
    return 1
  fi
  tail -n 1 "$work/time" | awk -v c=$clock '{ printf "%.0f\n", (c == "wall" ? $1 : $2 + $3) * 1e6 }'
}

# median ENGINE MODEL PROGRAM.bin: median wall microseconds of $runs runs.
median() {
  local i ts=()
  local t
  for ((i = 0; i < runs; i++)); do t=$(run "$@") || return 1; ts+=("$t"); done
  printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

# rate ENGINE MODEL PROGRAM: millions of guest instructions (loops) or thousands of round trips
# (roundtrip) per second.
rate() {
  local engine=$1 model=$2 prog=$3 kind=loop n tb tg
  [ "$prog" = roundtrip ] && kind=roundtrip
  n=$(awk -v b="${big[$engine.$kind]}" -v s="$scale" 'BEGIN { n = int(b * s); if (n < 2000) n = 2000; print n }')
  nasm -f bin -DITERS=$BASE "bench/programs/$prog.asm" -o "$work/base.bin"
  nasm -f bin -DITERS="$n" "bench/programs/$prog.asm" -o "$work/big.bin"
  tb=$(median "$engine" "$model" "$work/base.bin") || return 1
  tg=$(median "$engine" "$model" "$work/big.bin") || return 1
  awk -v n="$n" -v b=$BASE -v k="$(per_iter "$prog")" -v tb="$tb" -v tg="$tg" -v unit="$kind" 'BEGIN {
    d = tg - tb; if (d <= 0) { print "-"; exit }
    r = (n - b) * k / d;                      # guest instructions (round trips) per microsecond
    if (unit == "roundtrip") printf "%.0f", r * 1e6; else printf "%.1f", r }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

printf '%s\n' "nestscope vs QEMU TCG and Bochs, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $clock time, median of $runs runs"
for n in "${notes[@]}"; do echo "note: $n"; done
echo
printf '| %-22s | %-15s | %9s | %9s | %9s | %9s | %12s | %12s | %10s |\n' program unit "native" "wasm" "QEMU TCG" "Bochs" "native/Bochs" "native/QEMU" "wasm/Bochs"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------ ----------------- ----------- ----------- ----------- ----------- -------------- -------------- ------------
IFS=, read -ra progs <<< "$programs"
for prog in "${progs[@]}"; do
  [ -f "bench/programs/$prog.asm" ] || { echo "bench-against: no program bench/programs/$prog.asm" >&2; exit 2; }
  q=-; b=-
  if has "$engines" qemu; then q=$(rate qemu - "$prog"); fi
  if has "$engines" bochs; then b=$(rate bochs - "$prog"); fi
  models=bare
  unit="MIPS"
  if [ "$prog" = roundtrip ]; then models="bare kvm-merged"; unit="round trips/s"; fi
  for model in $models; do
    nat=-; w=-
    if has "$engines" native; then nat=$(rate native "$model" "$prog"); fi
    if has "$engines" wasm; then w=$(rate wasm "$model" "$prog"); fi
    label=$prog
    [ "$prog" = roundtrip ] && label="roundtrip ($model)"
    printf '| %-22s | %-15s | %9s | %9s | %9s | %9s | %12s | %12s | %10s |\n' "$label" "$unit" "$nat" "$w" "$q" "$b" \
      "$(ratio "$nat" "$b")" "$(ratio "$nat" "$q")" "$(ratio "$w" "$b")"
  done
done
echo
echo "QEMU and Bochs run the nested program single-level (their CPU runs L1's VMRUN: like nestscope's bare model);"
echo "under kvm-merged nestscope runs it two-level (L0 model + L1 + L2)."

#!/usr/bin/env bash
# Host instructions per guest instruction of nestscope native (the release CLI) on each loop of
# bench/programs/, counted by valgrind's callgrind: the difference between a short and a long run
# of the same loop divided by the extra guest instructions, so start-up and loading cancel.
# A load-independent figure (unlike MIPS), the baseline for interpreter work.
#
# Usage: scripts/host-per-guest.sh [--programs alu,mem,call,string,roundtrip] [--model bare]
#                                  [--iters N (long-run iterations, default 200000)] [--no-build]
# roundtrip is counted per round trip (host instructions per L2 VMMCALL -> L1 -> VMRUN), not per
# guest instruction.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
programs=alu,mem,call,string
model=bare
iters=200000
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --programs) programs=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "host-per-guest: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in nasm valgrind; do
  command -v $tool >/dev/null || { echo "host-per-guest: $tool is needed (scripts/setup.sh --bench)" >&2; exit 2; }
done
target=${CARGO_TARGET_DIR:-target}
cli=$target/release/nestscope
[ "$build" = 1 ] && cargo build -q -p nestscope-cli --release
per_iter() { sed -n 's/^; iteration: \([0-9][0-9]*\) .*/\1/p' "bench/programs/$1.asm"; }
base=$(( iters / 20 ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# count ITERS PROGRAM: host instructions callgrind counts for one run (checked to end in debug exit 0).
count() {
  nasm -f bin -DITERS="$1" "bench/programs/$2.asm" -o "$work/p.bin"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$cli" exec "$work/p.bin" --model "$model" --json \
    > "$work/out" 2> "$work/err" || true
  grep -q '"exit":"debug-exit"' "$work/out" && grep -q '"code":0' "$work/out" || {
    echo "host-per-guest: $2 ($1 iterations) did not end with debug exit 0" >&2; cat "$work/err" >&2; exit 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/err"
}

echo "host instructions per guest instruction, nestscope $(git describe --always --dirty 2>/dev/null || echo '?') native, model $model (callgrind, runs of $base and $iters iterations)"
printf '| %-10s | %16s | %16s | %18s |\n' program "short run" "long run" "per guest instr."
printf '|%s|%s|%s|%s|\n' ------------ ------------------ ------------------ --------------------
IFS=, read -ra progs <<< "$programs"
for p in "${progs[@]}"; do
  [ -f "bench/programs/$p.asm" ] || { echo "host-per-guest: no program bench/programs/$p.asm" >&2; exit 2; }
  short=$(count "$base" "$p")
  long=$(count "$iters" "$p")
  unit=""
  [ "$p" = roundtrip ] && unit=" per trip"
  printf '| %-10s | %16s | %16s | %18s |\n' "$p" "$short" "$long" \
    "$(awk -v a="$short" -v b="$long" -v n=$(( (iters - base) * $(per_iter "$p") )) -v u="$unit" 'BEGIN { printf "%.1f%s", (b - a) / n, u }')"
done

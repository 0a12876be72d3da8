#!/usr/bin/env bash
# nestscope setup: installs only what is missing. Idempotent; safe to run repeatedly.
# --bench also installs the emulators scripts/bench-against.sh compares with (QEMU, Bochs) and
# valgrind (scripts/host-per-guest.sh).
# --fuzz also installs what the long fuzz runs need (fuzz/README.md): a nightly toolchain and
# cargo-fuzz.
set -euo pipefail
bench=0
fuzz=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    --fuzz) fuzz=1 ;;
    *) echo "setup.sh: unknown argument $arg (known: --bench, --fuzz)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v nasm >/dev/null 2>&1 || need_apt+=(nasm)
if [ "$bench" = 1 ]; then
  command -v qemu-system-x86_64 >/dev/null 2>&1 || need_apt+=(qemu-system-x86)
  command -v bochs >/dev/null 2>&1 || need_apt+=(bochs)
  [ -f /usr/share/bochs/BIOS-bochs-latest ] || need_apt+=(bochsbios)
  [ -f /usr/share/vgabios/vgabios.bin ] || need_apt+=(vgabios)
  command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
  [ -x /usr/bin/time ] || need_apt+=(time)
  # Bochs' display library for the benchmark runs (the rfb one comes with bochs itself).
  dpkg -s bochs-term >/dev/null 2>&1 || need_apt+=(bochs-term)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-bindgen >/dev/null 2>&1 || ! wasm-bindgen --version | grep -q '0.2.130'; then
  log "cargo install wasm-bindgen-cli 0.2.130 (a few minutes)"
  cargo install wasm-bindgen-cli@0.2.130
fi

if ! command -v trunk >/dev/null 2>&1 || ! trunk --version | grep -q '0.21.14'; then
  log "cargo install trunk 0.21.14 (about 8 minutes on 2 cores)"
  cargo install --locked trunk@0.21.14
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ]; then
  log "npm ci (binaryen, playwright-core)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
if [ "$fuzz" = 1 ]; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    log "rustup toolchain install nightly (cargo-fuzz needs it)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    log "cargo install cargo-fuzz (a few minutes)"
    cargo install --locked cargo-fuzz
  fi
fi
log "setup complete"

#!/usr/bin/env bash
# nestscope: every test layer. Installs what is missing first (scripts/setup.sh, idempotent).
#   1. native: cargo clippy -D warnings, then cargo test --workspace (core unit + differential
#      tests, CLI contract tests)
#   2. core compiled to wasm32 and run in node (wasm-bindgen-test-runner)
#   3. web component tests in headless Chromium (wasm-bindgen-test + chromedriver)
#   4. end-to-end: trunk build, then playwright-core drives Debian chromium against dist/
# Prints a closing line "nestscope: N passed, M failed" summed over all layers.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 1; }
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-300}
logdir=target/test-logs; mkdir -p "$logdir"
passed=0; failed=0; status=0

# Adds up "test result: ... N passed; M failed" (cargo, wasm-bindgen-test) and node's "# pass/# fail".
count() {
  local log=$1 p f
  p=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
  p=$((p + $(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  f=$((f + $(grep -E '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  passed=$((passed + p)); failed=$((failed + f))
  echo "    -> $p passed, $f failed"
}

layer() {
  local name=$1; shift
  local before=$passed
  local log="$logdir/$name.log"
  echo "==> [$name] $*"
  local t0=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  grep -E '^test result:|^# (pass|fail|tests) ' "$log" | sed 's/^/    /'
  count "$log"
  echo "    (${name}: exit $rc, $((SECONDS - t0)) s, log $log)"
  if [ $rc -eq 0 ] && [ $passed -eq $before ]; then
    echo "    ${name}: ran no test — counted as a failure"; rc=1; failed=$((failed + 1))
  fi
  if [ $rc -ne 0 ]; then
    status=1
    echo "---- last lines of $log ----"; tail -40 "$log"; echo "----"
  fi
}

# Lints first (workspace [lints] + clippy.toml): a warning fails the layer like a failing test.
layer native bash -c 'cargo clippy --workspace --all-targets -- -D warnings && cargo test --workspace'
layer wasm-node cargo test -p nestscope-core --target wasm32-unknown-unknown
# wasm-bindgen-test-runner reads web/webdriver.json (headless, --no-sandbox) from the working directory.
layer web-chromium bash -c 'cd web && cargo test --target wasm32-unknown-unknown --test components --test views --test links --test kernel --test guided'
echo "==> [trunk-build] trunk build"
if ! trunk build >"$logdir/trunk-build.log" 2>&1; then
  status=1; failed=$((failed + 1)); tail -40 "$logdir/trunk-build.log"
fi
if [ -f dist/index.html ]; then
  layer e2e node --test tests/e2e/app.test.mjs tests/e2e/guided.test.mjs
fi

echo "nestscope: $passed passed, $failed failed"
[ $failed -eq 0 ] || status=1
exit $status

#!/usr/bin/env bash
# The web bundle's size: all JS + wasm of the release build, raw and gzip -9 (the issue's metric).
#
# Usage: scripts/bundle-size.sh [--trunk] [--wasm-opt LEVEL] [--out DIR]
#   default  builds the bundle the way Trunk.toml and index.html say trunk does (cargo profile
#            wasm-release, wasm-bindgen --target web, wasm-opt with index.html's level and
#            parameters) into DIR (default target/bundle, with an index.html that loads it, so
#            tests/e2e and bench/web-speed.mjs can serve it) without needing trunk;
#   --trunk  measures dist/ after `trunk build` instead;
#   --wasm-opt LEVEL overrides the wasm-opt level (e.g. 3, 4, s, z) to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
use_trunk=0
level=
out=
while [ $# -gt 0 ]; do
  case "$1" in
    --trunk) use_trunk=1; shift ;;
    --wasm-opt) level=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bundle-size: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
target=${CARGO_TARGET_DIR:-target}
out=${out:-$target/bundle}

if [ "$use_trunk" = 1 ]; then
  trunk build
  dir=dist
else
  profile=$(sed -n 's/^cargo_profile *= *"\(.*\)"/\1/p' Trunk.toml)
  [ -n "$level" ] || level=$(sed -n 's/.*data-wasm-opt="\([^"]*\)".*/\1/p' index.html)
  params=$(tr '\n' ' ' < index.html | sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p')
  wasm_opt=node_modules/.bin/wasm-opt
  [ -x "$wasm_opt" ] || { echo "bundle-size: $wasm_opt missing (scripts/setup.sh runs npm ci)" >&2; exit 2; }
  cargo build -q -p nestscope-web --bin nestscope-web --profile "$profile" --target wasm32-unknown-unknown
  rm -rf "$out"; mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name nestscope-web \
    "$target/wasm32-unknown-unknown/$profile/nestscope-web.wasm"
  # shellcheck disable=SC2086 # the parameters are words
  "$wasm_opt" "-O$level" $params "$out/nestscope-web_bg.wasm" -o "$out/nestscope-web_bg.wasm"
  cp assets/style.css "$out/style.css"
  cat > "$out/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>nestscope — AMD SVM nested virtualization explorer</title>
    <link rel="stylesheet" href="/style.css" />
    <script type="module">import init from '/nestscope-web.js'; init('/nestscope-web_bg.wasm');</script>
  </head>
  <body></body>
</html>
EOF
  dir=$out
  echo "built with cargo profile $profile, wasm-opt -O$level"
fi

raw=0; gz=0
for f in "$dir"/*.js "$dir"/*.wasm; do
  [ -f "$f" ] || continue
  r=$(stat -c %s "$f"); g=$(gzip -9 -c "$f" | wc -c)
  printf '%-40s %10d raw %10d gzip -9\n' "$(basename "$f")" "$r" "$g"
  raw=$((raw + r)); gz=$((gz + g))
done
printf '%-40s %10d raw %10d gzip -9  (%d KB gzip)\n' "all JS + wasm" "$raw" "$gz" $(( (gz + 500) / 1000 ))

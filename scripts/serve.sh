#!/usr/bin/env bash
# Builds the web app (the same release build as `trunk build`) into its own folder and serves it
# statically on http://127.0.0.1:8080 (PORT overrides). dist/ is left as `trunk build` made it:
# no dev live-reload client is written anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true
out=target/serve-dist
trunk build --dist "$out"
port=${PORT:-8080}
echo "nestscope: serving $out on http://127.0.0.1:$port/"
cd "$out"
exec python3 -m http.server "$port" --bind 127.0.0.1

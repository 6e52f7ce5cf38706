#!/usr/bin/env bash
# Run one fuzz target for a while: fuzz/run.sh TARGET [SECONDS]
# TARGET: differential | parse_lower | offheap_escape | roundtrip. Installs cargo-fuzz if missing.
# The corpus grows in fuzz/corpus/TARGET (not committed); crashes land in fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: fuzz/run.sh TARGET [SECONDS]}"
seconds="${2:-3600}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
mkdir -p "corpus/$target"
cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
# No sanitizer: the targets are safe Rust; coverage guidance is what matters, and it
# keeps wasmtime and Cranelift fast enough to fuzz.
exec cargo +nightly fuzz run -s none "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=4096

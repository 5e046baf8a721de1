#!/usr/bin/env bash
# Frame render time and memory of `bananaui tui` for 10,000 and 100,000 rows
# (target: < 16 ms per frame at 10,000 rows). See bench/README.md.
#   bench/tui.sh [ROWS...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --locked -p bananaui --example tui_bench >&2
if [ $# -eq 0 ]; then set -- 10000 100000; fi
target/release/examples/tui_bench "$@"

#!/usr/bin/env bash
# The in-memory index at ten million blobs: resident bytes per blob and
# lookup time, blobs in compression groups (small files) and each alone
# (chunks of large files). Unit level: no repository, no storage. See
# bench/README.md.
#
#   bench/index.sh                # 10,000,000 blobs
#   BLOBS=1000000 bench/index.sh
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BLOBS=${BLOBS:-10000000}
cd "$ROOT"
cargo build --release --locked -p banana-common --example index_memory >&2
for mode in grouped lone; do
    "$ROOT/target/release/examples/index_memory" "$BLOBS" "$mode"
done
echo "target: under 40 bytes per blob resident (issue 29; the grouped row is most blobs)"

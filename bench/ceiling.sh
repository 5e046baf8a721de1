#!/usr/bin/env bash
# How close bananactl's first backup of large files comes to this machine's
# ceiling: each stage of a backup (read, chunk, BLAKE3, compress, age) timed
# alone over the same files (common/examples/ceiling.rs), then bananactl's
# first backup of them, warm, RUNS times. See bench/README.md.
#
#   bench/ceiling.sh                      # bench/work/corpus/large (KEEP=1 CORPUS=large bench/run.sh makes it)
#   RUNS=5 bench/ceiling.sh /some/dir
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
DIR=${1:-$BENCH_DIR/work/corpus/large}
RUNS=${RUNS:-3}
WORK=$BENCH_DIR/work/ceiling
unset BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG
[ -d "$DIR" ] || { echo "no corpus at $DIR: run 'KEEP=1 CORPUS=large bench/run.sh' first, or name a directory" >&2; exit 2; }
cd "$ROOT"
cargo build --release --locked -p bananactl -p banana-common --example ceiling >&2
B=$ROOT/target/release/bananactl
tar -cf - -C "$DIR" . | cat >/dev/null # warm
"$ROOT/target/release/examples/ceiling" "$DIR"
times=()
for i in $(seq "$RUNS"); do
    rm -rf "$WORK" && mkdir -p "$WORK"
    "$B" --repo "$WORK/repo" --key-file "$WORK/key" --state-dir "$WORK/state" -q init >/dev/null
    sync
    t0=$EPOCHREALTIME
    "$B" --repo "$WORK/repo" --key-file "$WORK/key" --state-dir "$WORK/state" -q backup "$DIR"
    t1=$EPOCHREALTIME
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')")
done
rm -rf "$WORK"
echo "bananactl first backup, warm: ${times[*]} s (median $(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') s)"

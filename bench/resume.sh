#!/usr/bin/env bash
# A restore killed with SIGKILL halfway, then run again: the second run
# keeps what the first wrote (--overwrite if-changed, the default) and
# finishes the rest. Prints the full restore's time, how much the killed one
# left, the rerun's time and what it skipped, and checks the result with
# diff -r. See bench/README.md.
#
#   bench/resume.sh                       # bench/work/corpus/many (KEEP=1 CORPUS=many bench/run.sh makes it)
#   bench/resume.sh /some/dir
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
SRC=${1:-$BENCH_DIR/work/corpus/many}
WORK=$BENCH_DIR/work/resume
unset BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG
[ -d "$SRC" ] || { echo "no corpus at $SRC: run 'KEEP=1 CORPUS=many bench/run.sh' first, or name a directory" >&2; exit 2; }
log() { printf '[resume %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cd "$ROOT"
[ -x target/release/bananactl ] || cargo build --release --locked -p bananactl >&2
b=("$ROOT/target/release/bananactl" --repo "$WORK/repo" --key-file "$WORK/key" --state-dir "$WORK/state" -q)
rm -rf "$WORK" && mkdir -p "$WORK"
"${b[@]}" init >/dev/null
"${b[@]}" backup "$SRC"
files=$(find "$SRC" -type f | wc -l)
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }

sync
t0=$EPOCHREALTIME
"${b[@]}" restore latest --target "$WORK/full"
full=$(secs "$t0" "$EPOCHREALTIME")
log "full restore: $full s; removing it"
rm -rf "$WORK/full" && sync

half=$(awk -v f="$full" 'BEGIN{printf "%.2f", f / 2}')
"${b[@]}" restore latest --target "$WORK/t" &
pid=$!
sleep "$half"
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
left=$(find "$WORK/t" -type f | wc -l)
log "killed after $half s: $left of $files files there"
sync
t0=$EPOCHREALTIME
out=$("${b[@]}" --json restore latest --target "$WORK/t" | tail -n 1)
rerun=$(secs "$t0" "$EPOCHREALTIME")
skipped=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["skipped"])')
diff -r "$SRC" "$WORK/t$SRC" >/dev/null && same="identical (diff -r)" || same="DIFFERENT"
echo "restore of $files files: full $full s; killed at $half s with $left files written; rerun $rerun s, $skipped entries kept as they were; result $same"
[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"

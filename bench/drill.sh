#!/usr/bin/env bash
# Drills: how long `bananactl drill --sample 1%` takes, the restore rate it
# measures, and its estimate of a full restore (the RTO estimate) against a
# full restore measured in the same run; restic's nearest equivalent
# (`check --read-data-subset 1%`, and its full restore) beside it. See
# bench/README.md and docs/drills.md.
#
#   bench/drill.sh                  # the 1 GiB corpus and the 200,000-file corpus of bench/run.sh
#   SCALE=0.1 bench/drill.sh        # quick
#   CORPUS=many bench/drill.sh
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work/drill
SCALE=${SCALE:-1.0}
CORPUS=${CORPUS:-large many}
SAMPLE=${SAMPLE:-1%}
export RESTIC_PASSWORD=banana-bench-password
unset BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG RESTIC_REPOSITORY

log() { printf '[drill bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cd "$ROOT"
missing=()
command -v restic >/dev/null 2>&1 || missing+=(restic)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
cargo build --release --locked -p bananactl >&2
B=$ROOT/target/release/bananactl

rm -rf "$WORK" && mkdir -p "$WORK"
# The corpora of bench/run.sh, from its own generator.
sed -n '/^cat >"$WORK\/corpus.py" <<.PY.$/,/^PY$/p' bench/run.sh | sed '1d;$d' >"$WORK/corpus.py"

# measure NAME CMD...: wall seconds and peak RSS (MiB) into $WORK/NAME.{s,rss}.
# Each step starts from cold caches with nothing left to write back (root),
# as a restore onto a fresh machine would.
measure() {
    local name=$1; shift
    sync
    [ "$(id -u)" = 0 ] && echo 3 >/proc/sys/vm/drop_caches
    /usr/bin/time -f '%e %M' -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" \
        || { log "FAILED: $*"; cat "$WORK/$name.err" >&2; exit 1; }
    read -r s kb <"$WORK/$name.time"
    echo "$s" >"$WORK/$name.s"
    awk -v k="$kb" 'BEGIN{printf "%.1f", k / 1024}' >"$WORK/$name.rss"
}

printf '\n%-6s %-28s %10s %10s %14s %14s %10s\n' corpus step wall_s rss_MiB rate_MiB/s rto_estimate_s error
for c in $CORPUS; do
    src=$WORK/$c
    log "generating corpus $c (SCALE=$SCALE)"
    python3 "$WORK/corpus.py" gen "$c" "$src" "$SCALE" >&2
    repo=$WORK/$c-repo; key=$WORK/$c.key; state=$WORK/$c-state
    bb=("$B" --repo "$repo" --key-file "$key" --state-dir "$state")
    "${bb[@]}" -q init >/dev/null 2>&1
    log "bananactl backup"
    "${bb[@]}" -q backup "$src"
    log "bananactl drill --sample $SAMPLE"
    measure "$c-drill" "${bb[@]}" --json drill --sample "$SAMPLE"
    line=$(grep '"message_type":"drill"' "$WORK/$c-drill.out")
    rate=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.1f" % ((d["rate_bytes_per_second"] or 0) / 1048576))' "$line")
    est=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.2f" % d["rto_estimate_seconds"])' "$line")
    files=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["files"], d["bytes"])' "$line")
    log "drill verified (files, bytes): $files"
    log "bananactl restore (full)"
    rm -rf "$WORK/$c-restore"
    measure "$c-restore" "${bb[@]}" -q restore latest --target "$WORK/$c-restore"
    full=$(cat "$WORK/$c-restore.s")
    err=$(awk -v e="$est" -v f="$full" 'BEGIN{printf "%+.0f%%", (e - f) / f * 100}')
    printf '%-6s %-28s %10s %10s %14s %14s %10s\n' "$c" "bananactl drill $SAMPLE" \
        "$(cat "$WORK/$c-drill.s")" "$(cat "$WORK/$c-drill.rss")" "$rate" "$est" "$err"
    printf '%-6s %-28s %10s %10s %14s %14s %10s\n' "$c" "bananactl restore (full)" \
        "$full" "$(cat "$WORK/$c-restore.rss")" - - -
    rm -rf "$WORK/$c-restore"
    rrepo=$WORK/$c-restic
    restic -q init -r "$rrepo" >/dev/null
    log "restic backup"
    restic -q -r "$rrepo" --cache-dir "$WORK/restic-cache" backup "$src" >/dev/null
    measure "$c-rcheck" restic -q -r "$rrepo" --cache-dir "$WORK/restic-cache" check --read-data-subset "$SAMPLE"
    printf '%-6s %-28s %10s %10s %14s %14s %10s\n' "$c" "restic check subset $SAMPLE" \
        "$(cat "$WORK/$c-rcheck.s")" "$(cat "$WORK/$c-rcheck.rss")" - - -
    measure "$c-rrestore" restic -q -r "$rrepo" --cache-dir "$WORK/restic-cache" restore latest --target "$WORK/$c-restore"
    printf '%-6s %-28s %10s %10s %14s %14s %10s\n' "$c" "restic restore (full)" \
        "$(cat "$WORK/$c-rrestore.s")" "$(cat "$WORK/$c-rrestore.rss")" - - -
    rm -rf "$WORK/$c-restore" "$src" "$repo" "$rrepo"
done
[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"

#!/usr/bin/env bash
# A million small files: bananactl's first backup, an unchanged re-backup and
# a restore, each with wall time, CPU time and peak RSS; restic beside it on
# the same tree when RESTIC=1. See bench/README.md.
#
#   bench/million.sh                  # 1,000,000 files of 16-512 bytes (~8 GB of disk with the restore)
#   FILES=200000 RESTIC=1 bench/million.sh
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work/million
FILES=${FILES:-1000000}
export RESTIC_PASSWORD=banana-bench-password
unset BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG RESTIC_REPOSITORY

log() { printf '[million %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cd "$ROOT"
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2; }
cargo build --release --locked -p bananactl >&2
B=$ROOT/target/release/bananactl

rm -rf "$WORK" && mkdir -p "$WORK"
log "generating $FILES files (1,000 per directory, 16-512 bytes)"
python3 - "$WORK/src" "$FILES" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(5)
words = [("w%d" % i).encode() for i in range(500)]
for i in range(n):
    d = os.path.join(root, "%03d" % (i // 1000 // 100), "%03d" % (i // 1000 % 100))
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    size = int(16 * 32 ** rng.random())
    body = b" ".join(rng.choice(words) for _ in range(size // 3 + 1))[:size]
    with open(os.path.join(d, "f%07d" % i), "wb") as f:
        f.write(body)
PY
tar -cf - -C "$WORK/src" . | cat >/dev/null

# step NAME CMD...: one timed run; prints wall s, CPU s, peak RSS MiB.
step() {
    local name=$1 t0 t1
    shift
    sync
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%M %U %S' -o "$WORK/.time" "$@" >"$WORK/$name.log" 2>&1 \
        || { tail -n 20 "$WORK/$name.log" >&2; exit 1; }
    t1=$EPOCHREALTIME
    read -r rss usr sys <"$WORK/.time"
    printf '%-28s %8.1f s wall %8.1f s cpu %8d MiB peak RSS\n' "$name" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" \
        "$(awk -v u="$usr" -v s="$sys" 'BEGIN{print u + s}')" "$((rss / 1024))"
}

ctl=("$B" --repo "$WORK/repo" --key-file "$WORK/key" --state-dir "$WORK/state" -q)
"${ctl[@]}" init >/dev/null
echo "bananactl $("$B" --version | cut -d' ' -f2), $FILES files, $(du -sb "$WORK/src" | cut -f1) bytes (du), $(nproc) CPUs"
step "bananactl first backup" "${ctl[@]}" backup "$WORK/src"
step "bananactl unchanged backup" "${ctl[@]}" backup "$WORK/src"
step "bananactl restore" "${ctl[@]}" restore latest --target "$WORK/restore"
echo "bananactl repository: $(du -sb "$WORK/repo" | cut -f1) bytes"
diff -r "$WORK/src" "$WORK/restore$WORK/src" >/dev/null && echo "bananactl restore identical (diff -r)"
rm -rf "$WORK/restore"

if [ "${RESTIC:-0}" = 1 ]; then
    r=(restic -r "$WORK/restic" --cache-dir "$WORK/restic.cache" -q)
    "${r[@]}" init >/dev/null
    step "restic first backup" "${r[@]}" backup "$WORK/src"
    step "restic unchanged backup" "${r[@]}" backup "$WORK/src"
    step "restic restore" "${r[@]}" restore latest --target "$WORK/restore"
    echo "restic repository: $(du -sb "$WORK/restic" | cut -f1) bytes"
fi
[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"

#!/usr/bin/env bash
# bananactl to S3 (SeaweedFS on loopback) beside the local backend, with restic
# doing the same from the same run. See bench/README.md.
#
#   bench/s3.sh              # 1 GiB: half incompressible, half log text
#   SIZE_MIB=256 bench/s3.sh
#
# Prints, per tool and backend: wall seconds, CPU seconds (user+sys of the
# client only), CPU seconds per GiB, peak RSS, requests (bananactl), and the
# ratio of bananactl's CPU per GiB on S3 to local (target <= 1.2). The S3
# server shares the two cores, so wall time on S3 measures the server too.
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work/s3
SIZE_MIB=${SIZE_MIB:-1024}
VENV=${BANANA_SVC_VENV:-/opt/banana-svc}
export RESTIC_PASSWORD=banana-bench-password
unset BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG RESTIC_REPOSITORY

log() { printf '[s3 bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cd "$ROOT"
missing=()
command -v restic >/dev/null 2>&1 || missing+=(restic)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
./scripts/services.sh install >&2
cargo build --release --locked -p bananactl >&2
BANANACTL=$ROOT/target/release/bananactl
WEED=$VENV/bin/weed

rm -rf "$WORK" && mkdir -p "$WORK/corpus" "$WORK/s3data"
log "corpus: $SIZE_MIB MiB (half random, half log text)"
half=$((SIZE_MIB / 2))
head -c "$((half << 20))" /dev/urandom >"$WORK/corpus/random.bin"
python3 - "$WORK/corpus/app.log" "$((half << 20))" <<'PY'
import random, sys
path, size = sys.argv[1], int(sys.argv[2])
r = random.Random(7)
words = ["GET", "POST", "/api/v1/items", "/login", "200", "404", "500", "user", "cache", "miss",
         "hit", "db", "query", "took", "ms", "worker", "retry", "timeout", "ok", "session"]
with open(path, "w") as f:
    n = 0
    while n < size:
        line = "2026-12-02T%02d:%02d:%02d.%03dZ %s\n" % (r.randrange(24), r.randrange(60), r.randrange(60),
                r.randrange(1000), " ".join(r.choice(words) for _ in range(r.randrange(6, 16))))
        f.write(line)
        n += len(line)
PY

# SeaweedFS on loopback (free ports chosen by the kernel for S3 only; the
# others are fixed high ports unlikely to clash on a bench machine).
AK=benchaccess SK=benchsecret$RANDOM$RANDOM
cat >"$WORK/ids.json" <<JSON
{"identities":[{"name":"bench","credentials":[{"accessKey":"$AK","secretKey":"$SK"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WEED" mini -dir="$WORK/s3data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$PORT" \
    -s3.config="$WORK/ids.json" -master.port=19733 -volume.port=19740 -filer.port=19788 \
    -admin.port=19746 -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
    -master.telemetry=false -filer.localSocket="$WORK/filer.sock" -s3.localSocket="$WORK/s3.sock" \
    -bucket=bench >"$WORK/weed.log" 2>&1 &
WEED_PID=$!
trap 'kill $WEED_PID 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    curl -sf -o /dev/null -I --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "http://127.0.0.1:$PORT/bench" && break
    sleep 0.1
done
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
log "SeaweedFS on 127.0.0.1:$PORT (pid $WEED_PID)"

RESULTS=$WORK/results.tsv
: >"$RESULTS"
# run TOOL BACKEND -- command...: records wall, cpu, rss (client only)
run() {
    local tool=$1 backend=$2; shift 3
    sync
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" "$@" >"$WORK/$tool-$backend.out" 2>"$WORK/$tool-$backend.err" \
        || { cat "$WORK/$tool-$backend.err" >&2; exit 1; }
    read -r wall user sys rss <"$WORK/time.txt"
    local req=""
    [ "$tool" = bananactl ] && req=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d=json.loads(l)
    if d.get("message_type")=="summary": print(d.get("storage_requests",0))' "$WORK/$tool-$backend.out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$backend" "$wall" "$(echo "$user + $sys" | bc)" "$rss" "$req" >>"$RESULTS"
    log "$tool $backend: ${wall}s wall"
}

S3LOC="s3://127.0.0.1:$PORT/bench/banana?path_style=true&tls=false"
for backend in local s3; do
    d=$WORK/bananactl-$backend
    mkdir -p "$d"
    repo=$d/repo
    [ "$backend" = s3 ] && repo=$S3LOC
    "$BANANACTL" --repo "$repo" --key-file "$d/key.json" --state-dir "$d/state" init >/dev/null 2>&1
    run bananactl "$backend" -- "$BANANACTL" --repo "$repo" --key-file "$d/key.json" \
        --state-dir "$d/state" --json backup "$WORK/corpus"
done
for backend in local s3; do
    d=$WORK/restic-$backend
    mkdir -p "$d"
    repo=$d/repo
    [ "$backend" = s3 ] && repo="s3:http://127.0.0.1:$PORT/bench/restic"
    restic -r "$repo" --cache-dir "$d/cache" init >/dev/null 2>&1
    run restic "$backend" -- restic -r "$repo" --cache-dir "$d/cache" backup -q "$WORK/corpus"
done

python3 - "$RESULTS" "$SIZE_MIB" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
gib = int(sys.argv[2]) / 1024
print(f"{'tool':<10} {'backend':<7} {'wall s':>8} {'CPU s':>8} {'CPU s/GiB':>10} {'RSS MiB':>8} {'requests':>9}")
cpu = {}
for tool, backend, wall, c, rss, req in rows:
    cpu[(tool, backend)] = float(c) / gib
    print(f"{tool:<10} {backend:<7} {float(wall):>8.1f} {float(c):>8.1f} {float(c)/gib:>10.1f} {int(rss)/1024:>8.0f} {req:>9}")
for tool in ("bananactl", "restic"):
    r = cpu[(tool, "s3")] / cpu[(tool, "local")]
    extra = "  (target <= 1.2: " + ("met" if r <= 1.2 else "NOT MET") + ")" if tool == "bananactl" else ""
    print(f"{tool}: CPU per GiB on S3 / local = {r:.2f}{extra}")
PY

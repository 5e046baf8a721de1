#!/usr/bin/env bash
# Retention: bananactl forget --prune beside restic forget --prune, from the
# same run, on a directory and on S3 (SeaweedFS on loopback). See bench/README.md.
#
#   bench/prune.sh                          # 100 snapshots of a 1 GiB tree, 1 % changed each
#   SIZE_MIB=64 SNAPSHOTS=30 bench/prune.sh # quick
#   BACKENDS=dir bench/prune.sh
#
# Per tool and backend: wall seconds and peak RSS of the prune, bytes freed,
# storage requests (bananactl's own count; restic gives none), repository size
# before and after. restic runs twice, each time from its own repository and
# the same backups: its default (repacks packs more than 5 % unused) and
# --max-unused unlimited (deletes wholly unused packs only, as bananactl's
# reaper does: it cannot repack, it never decrypts).
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work/prune
SIZE_MIB=${SIZE_MIB:-1024}
SNAPSHOTS=${SNAPSHOTS:-100}
KEEP_LAST=${KEEP_LAST:-10}
BACKENDS=${BACKENDS:-dir s3}
VENV=${BANANA_SVC_VENV:-/opt/banana-svc}
export RESTIC_PASSWORD=banana-bench-password
unset BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG RESTIC_REPOSITORY

log() { printf '[prune bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

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

rm -rf "$WORK" && mkdir -p "$WORK/pristine" "$WORK/s3data"
FILES=$(( SIZE_MIB > 64 ? SIZE_MIB : 64 ))
log "corpus: $SIZE_MIB MiB in $FILES files (half random, half log text)"
python3 - "$WORK/pristine" "$SIZE_MIB" "$FILES" <<'PY'
import os, random, sys
root, mib, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(1)
size = (mib << 20) // files
words = b"GET POST /api/v1/items /login 200 404 500 user cache miss hit db query took ms".split()
for i in range(files):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        if i % 2:
            f.write(r.randbytes(size))
        else:
            out, n = [], 0
            while n < size:
                line = b" ".join(r.choice(words) for _ in range(r.randrange(6, 16))) + b"\n"
                out.append(line); n += len(line)
            f.write(b"".join(out)[:size])
PY
# change SNAPSHOT: overwrite 1 % of the files (at least one) with new bytes, the
# same files and bytes for every tool.
cat >"$WORK/change.py" <<'PY'
import os, random, sys
root, i = sys.argv[1], int(sys.argv[2])
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
r = random.Random(1000 + i)
for p in r.sample(paths, max(1, len(paths) // 100)):
    n = os.path.getsize(p)
    with open(p, "wb") as f:
        f.write(r.randbytes(n))
PY

S3_PORT= AK= SK=
if [[ " $BACKENDS " == *" s3 "* ]]; then
    AK=benchaccess SK=benchsecret$RANDOM$RANDOM
    cat >"$WORK/ids.json" <<JSON
{"identities":[{"name":"bench","credentials":[{"accessKey":"$AK","secretKey":"$SK"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
    # Five free ports, each with its gRPC twin (+10000) free too.
    read -r S3_PORT MASTER_PORT VOLUME_PORT FILER_PORT ADMIN_PORT < <(python3 - <<'PY'
import socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
ports = []
for p in range(20000, 40000, 7):
    if free(p) and free(p + 10000):
        ports.append(p)
    if len(ports) == 5:
        break
print(*ports)
PY
)
    "$WEED" mini -dir="$WORK/s3data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3_PORT" \
        -s3.config="$WORK/ids.json" -master.port="$MASTER_PORT" -volume.port="$VOLUME_PORT" -filer.port="$FILER_PORT" \
        -admin.port="$ADMIN_PORT" -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
        -master.telemetry=false -filer.localSocket="$WORK/filer.sock" -s3.localSocket="$WORK/s3.sock" \
        -bucket=bench >"$WORK/weed.log" 2>&1 &
    WEED_PID=$!
    trap 'kill $WEED_PID 2>/dev/null || true' EXIT
    for _ in $(seq 600); do
        curl -sf -o /dev/null -I --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "http://127.0.0.1:$S3_PORT/bench" && break
        sleep 0.1
    done
    export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
    log "SeaweedFS on 127.0.0.1:$S3_PORT"
fi

# size BACKEND WHERE: bytes of the objects stored there.
size() {
    case $1 in
        dir) du -sb "$2" | cut -f1 ;;
        s3) python3 - "$S3_PORT" "$2" "$AK" "$SK" <<'PY'
import re, subprocess, sys, urllib.parse
port, prefix, ak, sk = sys.argv[1:5]
total, token = 0, None
while True:
    q = {"list-type": "2", "prefix": prefix + "/"}
    if token:
        q["continuation-token"] = token
    url = "http://127.0.0.1:%s/bench?%s" % (port, urllib.parse.urlencode(q))
    xml = subprocess.run(["curl", "-sf", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", ak + ":" + sk, url],
                         check=True, capture_output=True, text=True).stdout
    total += sum(int(s) for s in re.findall(r"<Size>(\d+)</Size>", xml))
    m = re.search(r"<NextContinuationToken>([^<]+)</NextContinuationToken>", xml)
    if "<IsTruncated>true</IsTruncated>" not in xml or not m:
        break
    token = m.group(1)
print(total)
PY
        ;;
    esac
}

RESULTS=$WORK/results.tsv
printf 'backend\ttool\tprune_s\tpeak_rss_kib\tbefore_bytes\tafter_bytes\tfreed_bytes\trequests\n' >"$RESULTS"
timed() { /usr/bin/time -f '%e %M' -o "$WORK/time.out" "$@"; }

for backend in $BACKENDS; do
    for tool in bananactl restic-unlimited restic-default; do
        log "$backend $tool: $SNAPSHOTS backups"
        rm -rf "$WORK/corpus" && cp -a "$WORK/pristine" "$WORK/corpus"
        case $backend in
            dir) repo=$WORK/repo-$tool; where=$repo ;;
            s3) where=$tool
                if [ $tool = bananactl ]; then repo="s3://127.0.0.1:$S3_PORT/bench/$tool?tls=false&path_style=true"
                else repo="s3:http://127.0.0.1:$S3_PORT/bench/$tool"; fi ;;
        esac
        b=( "$BANANACTL" --repo "$repo" --key-file "$WORK/key.json" --state-dir "$WORK/state" )
        rm -rf "$WORK/key.json" "$WORK/state" "$WORK/restic-cache"
        [ $backend = dir ] && rm -rf "$repo"
        if [ $tool = bananactl ]; then "${b[@]}" -q init >/dev/null; else restic -q -r "$repo" init >/dev/null; fi
        for i in $(seq "$SNAPSHOTS"); do
            [ "$i" -gt 1 ] && python3 "$WORK/change.py" "$WORK/corpus" "$i"
            if [ $tool = bananactl ]; then "${b[@]}" -q backup "$WORK/corpus"
            else restic -q -r "$repo" --cache-dir "$WORK/restic-cache" backup "$WORK/corpus" >/dev/null; fi
        done
        before=$(size "$backend" "$where")
        requests=-
        case $tool in
            bananactl)
                timed "${b[@]}" --json forget --keep-last "$KEEP_LAST" --prune --force >"$WORK/prune.json"
                requests=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][-1].get("requests","-"))' "$WORK/prune.json") ;;
            restic-unlimited)
                timed restic -q -r "$repo" --cache-dir "$WORK/restic-cache" forget --keep-last "$KEEP_LAST" --prune --max-unused unlimited >/dev/null ;;
            restic-default)
                timed restic -q -r "$repo" --cache-dir "$WORK/restic-cache" forget --keep-last "$KEEP_LAST" --prune >/dev/null ;;
        esac
        read -r secs rss <"$WORK/time.out"
        after=$(size "$backend" "$where")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$tool" "$secs" "$rss" "$before" "$after" \
            "$((before - after))" "$requests" >>"$RESULTS"
        if [ $tool = bananactl ]; then "${b[@]}" -q check --read-data >/dev/null; fi
    done
done
echo
column -t -s $'\t' "$RESULTS"

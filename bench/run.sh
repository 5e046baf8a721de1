#!/usr/bin/env bash
# Benchmark bananactl (zstd, its default, and xz) against restic and borg on
# generated corpora, in one run. See bench/README.md.
#
#   bench/run.sh                         # three corpora, full size (~1.4 GB, 220k files)
#   SCALE=0.05 CORPUS=source bench/run.sh
#   BANANACTL=/path/to/bananactl KEEP=1 bench/run.sh
#
# Env: SCALE (float, default 1.0), CORPUS=source|large|many|all, KEEP=1 (keep
# repos, restores and corpora), BANANACTL (binary; if set but not executable,
# bananactl is skipped), TOOLS_ONLY (e.g. "bananactl restic": a subset),
# COLD=1 (drop the page cache before each timed step; root), AGED=1 (right
# before each restore, make and delete a tree of as many files as the corpus
# on the restore's filesystem, then sync: a used filesystem), ROTATE=N (start
# the tools' order at the N-th), RUNS=N (N runs in one go, each with the
# order rotated once more; the table shows medians and min-max),
# FRESH=1 (root: each restore into a new ext4 without a journal, as the
# root filesystem here, made on a loop device right before it: a restore on
# a fresh filesystem, whatever earlier runs deleted), BACKEND=local|s3|swift
# (the repositories on a local directory, default, or on the tests'
# SeaweedFS or Swift on loopback, started by
# `testkit/examples/serve.rs`; restic uses its own s3 or swift backend, borg
# is left out; each step's requests are what the server counted).
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work
SCALE=${SCALE:-1.0}
CORPUS=${CORPUS:-all}
KEEP=${KEEP:-0}
export COLD=${COLD:-0}
export AGED=${AGED:-0}
export FRESH=${FRESH:-0}
export ROTATE=${ROTATE:-0}
[[ $ROTATE =~ ^[0-9]+$ ]] || { echo "ROTATE must be a number" >&2; exit 1; }
export RUNS=${RUNS:-1}
export BACKEND=${BACKEND:-local}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a number from 1" >&2; exit 1; }
RUN=0
if [[ $COLD == 1 && $(id -u) -ne 0 ]]; then
    echo "COLD=1 drops the page cache: run as root" >&2
    exit 1
fi
if [[ $FRESH == 1 && ( $(id -u) -ne 0 || $AGED == 1 ) ]]; then
    echo "FRESH=1 mounts a new filesystem for each restore: run as root, without AGED=1" >&2
    exit 1
fi
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-banana-bench-password}
unset RESTIC_REPOSITORY RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND \
      BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG \
      AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
      ST_AUTH ST_USER ST_KEY OS_AUTH_URL OS_USERNAME OS_PASSWORD

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- options
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] && awk -v s="$SCALE" 'BEGIN{exit !(s > 0)}' \
    || die "SCALE must be a positive number, got '$SCALE'"
case $CORPUS in
    all) CORPORA=(source large many) ;;
    source | large | many) CORPORA=("$CORPUS") ;;
    *) die "CORPUS must be source, large, many or all, got '$CORPUS'" ;;
esac
case $BACKEND in
    local | s3 | swift) ;;
    *) die "BACKEND must be local, s3 or swift, got '$BACKEND'" ;;
esac
export BORG_PASSPHRASE=$RESTIC_PASSWORD BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes \
       BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# ---------------------------------------------------------------- dependencies
missing=()
command -v restic >/dev/null 2>&1 || missing+=(restic)
command -v borg >/dev/null 2>&1 || missing+=(borgbackup)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "need root or sudo to install: ${missing[*]}"
        SUDO=(sudo)
    fi
    log "installing ${missing[*]} from Debian"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v python3 >/dev/null 2>&1 || die "python3 is required to generate the corpora"
RESTIC=$(command -v restic)
BORG=$(command -v borg)

# ---------------------------------------------------------------- bananactl
TOOLS=()
if [[ -n ${BANANACTL:-} ]]; then
    if BANANA_BIN=$(command -v -- "$BANANACTL" 2>/dev/null) && [[ -x $BANANA_BIN ]]; then
        BANANA_BIN=$(realpath -- "$BANANA_BIN")
        TOOLS+=(bananactl bananactl-xz)
    else
        log "WARNING: BANANACTL='$BANANACTL' is not an executable; SKIPPING bananactl"
    fi
else
    BANANA_BIN=$ROOT/target/release/bananactl
    if [[ ! -x $BANANA_BIN ]]; then
        log "$BANANA_BIN missing; building it"
        command -v cargo >/dev/null 2>&1 || die "cargo not found; build bananactl or set BANANACTL"
        (cd "$ROOT" && cargo build --release -p bananactl)
        [[ -x $BANANA_BIN ]] || die "cargo build finished but $BANANA_BIN does not exist"
    fi
    TOOLS+=(bananactl bananactl-xz)
fi
TOOLS+=(restic borg)
if [[ -n ${TOOLS_ONLY:-} ]]; then
    read -r -a TOOLS <<<"$TOOLS_ONLY"
fi
if [[ $BACKEND != local && " ${TOOLS[*]} " == *" borg "* ]]; then
    log "borg has no $BACKEND backend: leaving it out"
    read -r -a TOOLS <<<"$(printf '%s\n' "${TOOLS[@]}" | grep -vx borg | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- storage server
# BACKEND=s3|swift: the tests' server (testkit/examples/serve.rs), kept while
# this script runs (it exits when its input, our coprocess pipe, closes).
start_server() {
    local line=
    [[ $BACKEND == local ]] && return
    (cd "$ROOT" && ./scripts/services.sh install >&2 && cargo build -q -p banana-testkit --example serve) \
        || die "cannot build the $BACKEND server (testkit/examples/serve.rs)"
    coproc SERVE { exec "$ROOT/target/debug/examples/serve" "$BACKEND"; }
    while read -r -u "${SERVE[0]}" line; do
        case $line in
            READY) break ;;
            S3_ADDR=* | S3_BUCKET=* | S3_METRICS=* | AWS_ACCESS_KEY_ID=* | AWS_SECRET_ACCESS_KEY=*) export "${line?}" ;;
            SWIFT_ADDR=* | ST_USER=* | ST_KEY=* | SWIFT_LOG=*) export "${line?}" ;;
        esac
    done
    [[ $line == READY ]] || die "the $BACKEND server did not start"
    export AWS_DEFAULT_REGION=us-east-1
    [[ $BACKEND == swift ]] && export ST_AUTH=http://$SWIFT_ADDR/auth/v1.0
    log "$BACKEND server on ${S3_ADDR:-${SWIFT_ADDR:-}}"
}

# server_cpu_now: CPU seconds (user+sys) the server's processes have used so
# far (SeaweedFS; Swift's four servers and memcached): it shares the cores.
server_cpu_now() {
    local p ticks=0 t
    if [[ $BACKEND != local ]]; then
        for p in $(pgrep -P "$SERVE_PID"); do
            t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=0
            ticks=$((ticks + ${t:-0}))
        done
    fi
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f\n", t / hz }'
}

# requests_now: the requests the server has answered so far (SeaweedFS's
# SeaweedFS_s3_request_total over every bucket and type; Swift's proxy
# access-log lines, authentication included); 0 on a local directory.
requests_now() {
    case $BACKEND in
        s3) curl -sf "http://$S3_METRICS/metrics" \
            | awk '/^SeaweedFS_s3_request_total\{/ { n += $NF } END { printf "%d\n", n }' ;;
        swift) awk '/ HTTP\/1\.[01] [0-9][0-9][0-9] / { n++ } END { printf "%d\n", n }' "$SWIFT_LOG" ;;
        *) echo 0 ;;
    esac
}

# ---------------------------------------------------------------- work dir
rm -rf "$WORK/logs"
mkdir -p "$WORK/logs" "$WORK/corpus"
RAW=$WORK/raw.tsv          # run, corpus, tool, metric, value
: >"$RAW"
RUN_ID=$(date -u +%Y-%m-%dT%H:%M:%SZ)

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$RUN" "$1" "$2" "$3" "$4" >>"$RAW"; }

# run_step CORPUS TOOL STEP CMD...: run CMD once, record wall seconds and peak RSS (KB).
run_step() {
    local corpus=$1 tool=$2 step=$3
    shift 3
    local logf=$WORK/logs/$corpus-$tool-$step.log tf=$WORK/logs/.time t0 t1 secs rss usr sys r0 c0
    sync # don't charge earlier writes (generation, mutation, previous step) to this step
    if [[ $COLD == 1 ]]; then
        echo 3 >/proc/sys/vm/drop_caches
    fi
    r0=$(requests_now) c0=$(server_cpu_now)
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f '%M %U %S' -o "$tf" "$@" >"$logf" 2>&1; then
        log "FAILED: $tool $step on $corpus: $*"
        tail -n 40 "$logf" >&2
        die "$tool $step failed (full log: $logf)"
    fi
    t1=$EPOCHREALTIME
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
    read -r rss usr sys <"$tf"
    record "$corpus" "$tool" "${step}_s" "$secs"
    record "$corpus" "$tool" "${step}_rss_kb" "$rss"
    record "$corpus" "$tool" "${step}_cpu_s" "$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')"
    if [[ $BACKEND != local ]]; then
        record "$corpus" "$tool" "${step}_requests" "$(($(requests_now) - r0))"
        record "$corpus" "$tool" "${step}_server_cpu_s" "$(awk -v a="$c0" -v b="$(server_cpu_now)" 'BEGIN { printf "%.2f", b - a }')"
    fi
    log "  $tool $step: ${secs}s wall, $(awk -v u="$usr" -v s="$sys" 'BEGIN{print u + s}')s cpu, peak RSS $((rss / 1024)) MiB"
}

# ---------------------------------------------------------------- corpus generator
write_generator() {
cat >"$WORK/corpus.py" <<'PY'
"""Deterministic corpus generator/mutator for bench/run.sh (written out by run.sh)."""
import itertools, os, random, shutil, sys, time

MIB = 1 << 20
EXTS = [".rs"] * 6 + [".py"] * 3 + [".c", ".h", ".js", ".go", ".toml", ".md", ".txt"]


def code_vocab(rng):
    kw = ("fn let mut if else for while return match struct impl pub use mod const static self Self "
          "true false None Some Ok Err def class import from int char void unsigned break continue "
          "where type enum trait async await loop in as ref move unsafe extern crate super").split()
    punct = ["(", ")", "{", "}", ";", ",", ".", "=", "==", "->", "=>", "::", "&", "*", "+", "-",
             "<", ">", "[", "]", ":", "0", "1", "2", "42", "\"", "'", "?", "!", "&&", "||", "+=", "..", "#"]
    syl = ("ab ac ad al an ar as at be ca co de di el en er ex fi ge in is it le li lo ma me mo na ne no "
           "on or pa pe po pr ra re ro se si st ta te ti to tr un ur va ve wr ch sh th qu bl gr pl").split()
    idents = set()
    while len(idents) < 6000:
        parts = ["".join(rng.choice(syl) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 4))]
        s = rng.random()
        if s < 0.55:
            w = "_".join(parts)
        elif s < 0.8:
            w = parts[0] + "".join(p.capitalize() for p in parts[1:])
        elif s < 0.95:
            w = "".join(p.capitalize() for p in parts)
        else:
            w = "_".join(parts).upper()
        idents.add(w)
    idents = sorted(idents)
    rng.shuffle(idents)
    # Interleave so keywords/punctuation are frequent; Zipf-like weights over the whole list.
    toks = []
    a, b = punct + kw, idents
    for i in range(max(len(a), len(b))):
        if i < len(a):
            toks.append(a[i])
        if i < len(b):
            toks.append(b[i])
    cum = list(itertools.accumulate(1.0 / (i + 1) ** 1.1 for i in range(len(toks))))
    return toks, cum


INDENT = ["    " * d for d in range(12)]
LINE_TOKS = list(range(0, 15))
LINE_W = [6, 2, 5, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 2, 1]
DEPTH_STEP = [-1, -1, 0, 0, 0, 0, 0, 1, 1]


def code_text(rng, vocab, size):
    """Exactly `size` bytes of code-looking text (indented lines of Zipf-distributed tokens)."""
    toks, cum = vocab
    out, n, depth = [], 0, 0
    while n < size:
        nline = (size - n) // 30 + 16
        lens = rng.choices(LINE_TOKS, weights=LINE_W, k=nline)
        steps = rng.choices(DEPTH_STEP, k=nline)
        words = rng.choices(toks, cum_weights=cum, k=sum(lens))
        i = 0
        for k, st in zip(lens, steps):
            depth = min(11, max(0, depth + st))
            if k == 0:
                line = "\n"
            elif k == 1:
                line = INDENT[depth] + "// " + " ".join(words[i:i + 6]) + "\n"
            else:
                line = INDENT[depth] + " ".join(words[i:i + k]) + "\n"
            i += k
            out.append(line)
            n += len(line)
            if n >= size:
                break
    data = "".join(out).encode()[:size]
    return data[:-1] + b"\n" if data else data


LEVELS = ["INFO"] * 10 + ["DEBUG"] * 6 + ["WARN"] * 2 + ["ERROR"]
COMPONENTS = ["api", "db", "cache", "auth", "worker", "scheduler", "http", "grpc", "storage", "gc"]
METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
PATHS = ["/api/v1/users", "/api/v1/orders", "/api/v1/items", "/healthz", "/metrics", "/api/v2/search",
         "/api/v1/sessions", "/static/app.js", "/api/v1/reports/export", "/login"]
MSGS = ["connection established", "cache miss for key", "retrying operation", "flushed batch",
        "slow query detected", "token refreshed", "job completed", "compaction started",
        "checkpoint written", "lease renewed", "request timed out", "rebalancing partitions"]
STATUS = [200] * 20 + [201, 204, 301, 304, 400, 401, 403, 404, 404, 500, 502, 503]


class LogGen:
    """Service-log lines with increasing timestamps, produced in blocks."""

    def __init__(self, rng):
        self.rng, self.t_ms, self.sec, self.prefix = rng, 1_700_000_000_000, None, ""

    def block(self, size):
        rng, out, n = self.rng, [], 0
        while n < size:
            k = 2000
            dts = rng.choices((0, 1, 2, 3, 5, 8, 13, 40, 250), k=k)
            lv = rng.choices(LEVELS, k=k)
            comp = rng.choices(COMPONENTS, k=k)
            kinds = rng.choices((0, 0, 0, 1, 2), k=k)
            for j in range(k):
                self.t_ms += dts[j]
                s, ms = divmod(self.t_ms, 1000)
                if s != self.sec:
                    self.sec = s
                    self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
                if kinds[j] == 0:
                    body = "%s %s status=%d bytes=%d latency_ms=%d req=%08x" % (
                        rng.choice(METHODS), rng.choice(PATHS), rng.choice(STATUS),
                        rng.randrange(100000), rng.randrange(2000), rng.getrandbits(32))
                elif kinds[j] == 1:
                    body = "%s id=%d shard=%d" % (rng.choice(MSGS), rng.randrange(10 ** 6), rng.randrange(64))
                else:
                    body = "user=%d session=%016x ip=10.%d.%d.%d" % (
                        rng.randrange(50000), rng.getrandbits(64), rng.randrange(256), rng.randrange(256),
                        rng.randrange(256))
                line = "%s.%03dZ %-5s [%s-%d] %s\n" % (self.prefix, ms, lv[j], comp[j], j % 16, body)
                out.append(line)
                n += len(line)
                if n >= size:
                    break
        return "".join(out).encode()[:size]


def write_file(path, size, block_fn, block=16 * MIB):
    with open(path, "wb") as f:
        left = size
        while left > 0:
            b = block_fn(min(block, left))
            f.write(b)
            left -= len(b)


def gen_source(root, scale, seed=1):
    """~20k files (x scale), ~200 MiB (x scale), log-normal sizes, nested directories."""
    rng = random.Random(seed)
    vocab = code_vocab(rng)
    nfiles = max(10, round(20000 * scale))
    target = 200 * MIB * scale
    sizes = [min(4 * MIB, rng.lognormvariate(8.3, 1.25)) for _ in range(nfiles)]  # median ~4 KiB
    f = target / sum(sizes)
    sizes = [max(0, int(s * f)) for s in sizes]
    for i in rng.sample(range(nfiles), max(1, nfiles // 200)):
        sizes[i] = 0  # a few empty files, as in real trees
    idents = [t for t in vocab[0] if t[0].isalpha() and t.lower() == t][:2000]
    dirs = [""]
    for i in range(max(1, nfiles // 18)):
        parent = rng.choice(dirs[: 1 + len(dirs) // 2]) if rng.random() < 0.6 else rng.choice(dirs)
        if parent.count("/") >= 7:
            parent = ""
        dirs.append(os.path.join(parent, "%s_%d" % (rng.choice(idents), i)))
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for i, size in enumerate(sizes):
        name = "%s_%d%s" % (rng.choice(idents), i, rng.choice(EXTS))
        with open(os.path.join(root, rng.choice(dirs), name), "wb") as fh:
            fh.write(code_text(rng, vocab, size))
    return nfiles, sum(sizes)


RAND_MIB = [160, 128, 96, 64, 32, 16, 16]  # 512 MiB incompressible (x scale)
LOG_MIB = [192, 128, 96, 64, 32]  # 512 MiB compressible log text (x scale)


def gen_large(root, scale, seed=2):
    os.makedirs(os.path.join(root, "blobs"), exist_ok=True)
    os.makedirs(os.path.join(root, "logs"), exist_ok=True)
    total = 0
    for i, m in enumerate(RAND_MIB):
        rng = random.Random(seed * 1000 + i)
        size = max(4096, int(m * MIB * scale))
        write_file(os.path.join(root, "blobs", "blob-%02d.bin" % i), size, rng.randbytes)
        total += size
    for i, m in enumerate(LOG_MIB):
        g = LogGen(random.Random(seed * 1000 + 100 + i))
        size = max(4096, int(m * MIB * scale))
        write_file(os.path.join(root, "logs", "service-%02d.log" % i), size, g.block, 4 * MIB)
        total += size
    return len(RAND_MIB) + len(LOG_MIB), total


def gen_many(root, scale, seed=3):
    """~200k files (x scale) of 16 B to 4 KiB (log-uniform): configs, code and
    log snippets, in directories of ~500 files."""
    rng = random.Random(seed)
    vocab = code_vocab(rng)
    g = LogGen(random.Random(seed + 1))
    nfiles = max(10, round(200000 * scale))
    total = 0
    for i in range(nfiles):
        d = os.path.join(root, "d%03d" % (i // 500 // 40), "s%03d" % (i // 500))
        if i % 500 == 0:
            os.makedirs(d, exist_ok=True)
        size = int(16 * 256 ** rng.random())
        kind = rng.randrange(3)
        data = code_text(rng, vocab, size) if kind == 0 else (
            g.block(size) if kind == 1 else rng.randbytes(size // 8) + code_text(rng, vocab, size - size // 8))
        with open(os.path.join(d, "f%06d.%s" % (i, ("conf", "log", "dat")[kind])), "wb") as fh:
            fh.write(data)
        total += size
    return nfiles, total


def list_files(root):
    out = []
    for dp, dn, fn in os.walk(root):
        for f in fn:
            out.append(os.path.relpath(os.path.join(dp, f), root))
    return sorted(out)


def mutate(root, saved, seed, frac=0.01):
    """Change `frac` of the files (at least one) by appending, overwriting in place or inserting
    in the middle. Originals are copied to `saved` first so that `revert` can undo it."""
    rng = random.Random(seed)
    vocab = code_vocab(random.Random(seed + 1))
    files = list_files(root)
    chosen = sorted(rng.sample(files, max(1, round(len(files) * frac))))
    nbytes = 0
    for rel in chosen:
        p, s = os.path.join(root, rel), os.path.join(saved, rel)
        os.makedirs(os.path.dirname(s), exist_ok=True)
        shutil.copy2(p, s)
        size = os.path.getsize(p)
        patch_len = max(64, min(64 * 1024, size // 20))
        patch = rng.randbytes(patch_len) if rel.endswith(".bin") else code_text(rng, vocab, patch_len)
        mode = rng.randrange(3) if size > 0 else 0
        if mode == 0:  # append
            with open(p, "ab") as f:
                f.write(patch)
        elif mode == 1:  # overwrite in place, same size
            off = rng.randrange(size)
            with open(p, "r+b") as f:
                f.seek(off)
                f.write(patch[: size - off])
        else:  # insert in the middle (shifts the rest of the file)
            off = rng.randrange(size)
            with open(p, "rb") as f:
                data = f.read()
            with open(p, "wb") as f:
                f.write(data[:off] + patch + data[off:])
        nbytes += len(patch)
    return len(chosen), nbytes


def revert(root, saved):
    n = 0
    for rel in list_files(saved):
        shutil.copy2(os.path.join(saved, rel), os.path.join(root, rel))
        n += 1
    shutil.rmtree(saved)
    return n


def main():
    cmd, t = sys.argv[1], time.time()
    if cmd == "gen":
        kind, root, scale = sys.argv[2], sys.argv[3], float(sys.argv[4])
        os.makedirs(root, exist_ok=True)
        n, b = {"source": gen_source, "large": gen_large, "many": gen_many}[kind](root, scale)
        print("generated %s: %d files, %.1f MiB in %.1fs" % (kind, n, b / MIB, time.time() - t))
    elif cmd == "mutate":
        n, b = mutate(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        print("changed %d files (%d bytes written)" % (n, b))
    elif cmd == "revert":
        print("reverted %d files" % revert(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
PY
}

# ensure_corpus NAME: (re)generate $WORK/corpus/NAME unless a pristine copy for this
# generator and SCALE exists (only possible after a KEEP=1 run).
ensure_corpus() {
    local name=$1 dir=$WORK/corpus/$1 stamp=$WORK/corpus/$1.stamp want
    want="$(sha256sum "$WORK/corpus.py" | cut -c1-16) scale=$SCALE"
    if [[ -d $dir && -f $stamp && $(<"$stamp") == "$want" ]]; then
        log "reusing corpus $name ($dir)"
        return
    fi
    rm -rf "$dir" "$stamp" "$WORK/corpus/$name.saved"
    log "generating corpus $name (SCALE=$SCALE)"
    python3 "$WORK/corpus.py" gen "$name" "$dir" "$SCALE" | while read -r l; do log "  $l"; done
    echo "$want" >"$stamp"
}

# age SRC RESTORE: a used filesystem under RESTORE, as after a large delete:
# copy SRC beside RESTORE (as many files, on the same filesystem), delete
# the copy, sync. On ext4 without a journal the inode allocator then skips
# the inodes freed in the last minute (360 s while their inode table block
# is dirty), scanning for them at every allocation: see bench/README.md.
age() {
    local aged
    aged=$(dirname "$2")/aged-$(basename "$2")
    rm -rf "$aged"
    cp -r "$1" "$aged"
    sync
    rm -rf "$aged"
    sync
}

# fresh_fs TARGET SRC: a new ext4 (no journal, as / here) on a loop device at
# TARGET, room and inodes for SRC twice; unfresh_fs TARGET: away again.
FRESH_IMG=$WORK/fresh.img
fresh_fs() {
    local bytes files
    bytes=$(($(du -sk "$2" | cut -f1) * 1024))
    files=$(find "$2" | wc -l)
    rm -f "$FRESH_IMG"
    truncate -s $((bytes * 2 + (512 << 20))) "$FRESH_IMG"
    mkfs.ext4 -q -F -O ^has_journal -N $((files * 2 + 10000)) "$FRESH_IMG"
    mount -o loop "$FRESH_IMG" "$1"
    # shellcheck disable=SC2064 # this target, now
    trap "umount '$1' 2>/dev/null || true; rm -f '$FRESH_IMG'" EXIT
}
unfresh_fs() {
    if mountpoint -q "$1"; then
        umount "$1"
    fi
    rm -f "$FRESH_IMG"
}

# ---------------------------------------------------------------- one tool, one corpus
bench_tool() {
    local tool=$1 corpus=$2 src=$WORK/corpus/$2
    local repo=$WORK/repo-$corpus-$tool restore=$WORK/restore-$corpus-$tool
    local saved=$WORK/corpus/$corpus.saved stamp=$WORK/corpus/$corpus.stamp stampval
    local -a base cmd
    rm -rf "$repo" "$repo".key "$repo".state "$repo".cache "$restore"
    mkdir -p "$restore"
    local -a init=(init) b1=(backup "$src") b2=(backup "$src") b3=(backup "$src") rs=(restore latest --target "$restore")
    # Where the repository lives: bananactl's location, restic's.
    local name=run$RUN-$corpus-$tool loc=$repo rloc=$repo
    case $BACKEND in
        s3) loc="s3://$S3_ADDR/$S3_BUCKET/$name?path_style=true&tls=false" rloc="s3:http://$S3_ADDR/$S3_BUCKET/$name" ;;
        swift) loc="swift://$SWIFT_ADDR/bench-$name/repo?auth=v1&tls=false" rloc="swift:bench-$name:/repo" ;;
    esac
    case $tool in
        bananactl | bananactl-xz)
            base=("$BANANA_BIN" --repo "$loc" --key-file "$repo.key" --state-dir "$repo.state")
            [[ $tool == bananactl-xz ]] && init=(init --compression xz:0) ;;
        restic) base=("$RESTIC" -r "$rloc" --cache-dir "$repo.cache") ;;
        borg)
            export BORG_BASE_DIR=$repo.cache
            base=("$BORG")
            init=(init --encryption=repokey-blake2 "$repo")
            b1=(create "$repo::b1" "$src") b2=(create "$repo::b2" "$src") b3=(create "$repo::b3" "$src")
            # borg extracts into the working directory, without the leading '/'.
            rs=(extract "$repo::b3") ;;
    esac
    cmd=("${base[@]}")
    [[ $tool == borg ]] || cmd+=(-q)
    log "== $tool on $corpus"

    "${cmd[@]}" "${init[@]}" >"$WORK/logs/$corpus-$tool-init.log" 2>&1 \
        || { cat "$WORK/logs/$corpus-$tool-init.log" >&2; die "$tool init failed"; }
    # Warm the page cache so both tools read the corpus from memory (unless
    # COLD=1 drops it before each step). (Not `tar -cf /dev/null`: GNU tar
    # skips reading file data when the archive is /dev/null.)
    [[ $COLD == 1 ]] || tar -cf - -C "$src" . | cat >/dev/null

    run_step "$corpus" "$tool" backup1 "${cmd[@]}" "${b1[@]}"
    run_step "$corpus" "$tool" backup2 "${cmd[@]}" "${b2[@]}"
    stampval=$(<"$stamp")
    rm -f "$stamp" # corpus is dirty until reverted
    python3 "$WORK/corpus.py" mutate "$src" "$saved" 101 | while read -r l; do log "  $l"; done
    run_step "$corpus" "$tool" backup3 "${cmd[@]}" "${b3[@]}"
    [[ $BACKEND == local ]] && record "$corpus" "$tool" repo_bytes "$(du -sb "$repo" | cut -f1)"
    [[ $AGED == 1 ]] && age "$src" "$restore"
    [[ $FRESH == 1 ]] && fresh_fs "$restore" "$src"
    if [[ $tool == borg ]]; then
        run_step "$corpus" "$tool" restore env -C "$restore" "${cmd[@]}" "${rs[@]}"
    else
        run_step "$corpus" "$tool" restore "${cmd[@]}" "${rs[@]}"
    fi

    # Every tool restores absolute paths under the target.
    if [[ ! -d $restore$src ]]; then
        find "$restore" -maxdepth 5 -type d | head -n 20 >&2
        die "$tool restore: $restore$src does not exist (see the listing above)"
    fi
    if ! diff -r --no-dereference "$src" "$restore$src" >"$WORK/logs/$corpus-$tool-diff.log" 2>&1; then
        head -n 20 "$WORK/logs/$corpus-$tool-diff.log" >&2
        die "$tool restore of $corpus DOES NOT MATCH the source (full diff: $WORK/logs/$corpus-$tool-diff.log)"
    fi
    log "  restore verified: identical to the corpus (diff -r)"

    python3 "$WORK/corpus.py" revert "$src" "$saved" | while read -r l; do log "  $l"; done
    echo "$stampval" >"$stamp"
    [[ $FRESH == 1 ]] && unfresh_fs "$restore"
    if [[ $KEEP != 1 ]]; then
        rm -rf "$repo" "$repo".key "$repo".state "$repo".cache "$restore"
    fi
}

# ---------------------------------------------------------------- report
report() {
    local banana_version restic_version borg_version
    banana_version=$([[ " ${TOOLS[*]} " == *" bananactl "* ]] && "$BANANA_BIN" --version 2>/dev/null | head -n1 || echo "skipped")
    restic_version=$("$RESTIC" version | head -n1)
    borg_version=$("$BORG" --version | head -n1)
    python3 - "$RAW" "$WORK/results.jsonl" "$RUN_ID" "$SCALE" "$banana_version" "$restic_version" "$borg_version" <<'PY'
import collections, json, sys

raw, out, run_id, scale, bver, rver, gver = sys.argv[1:8]
import os, statistics
cold, aged = os.environ.get("COLD", "0") == "1", os.environ.get("AGED", "0") == "1"
fresh = os.environ.get("FRESH", "0") == "1"
backend = os.environ.get("BACKEND", "local")
remote = backend != "local"
runs = collections.defaultdict(lambda: collections.defaultdict(dict))  # (corpus, tool) -> run -> metric -> value
corpora = []
for line in open(raw):
    run, corpus, tool, metric, value = line.rstrip("\n").split("\t")
    runs[(corpus, tool)][run][metric] = float(value)
    if corpus not in corpora:
        corpora.append(corpus)

MIB = 1 << 20
def t(source, large, many):
    return {"source": source, "large": large, "many": many}
# The targets of issue 29 (bananactl / restic, medians): the first backup's
# with a cold page cache (COLD=1), the restore's on a used filesystem (AGED=1).
FIRST = t(0.7, 0.7, 0.7) if cold else t(0.5, 0.5, 0.5)
RESTORE = t(0.7, 0.7, 0.7) if aged else t(0.5, 0.5, 0.5)
# On S3 and Swift the issue sets the first backup's and the restore's only.
def local(targets):
    return {} if remote else targets
# label, key, unit, function of one run's metrics, target max ratio per corpus
ROWS = [
    ("first backup", "first_backup_s", "s", lambda m: m["backup1_s"], FIRST),
    ("unchanged backup", "unchanged_backup_s", "s", lambda m: m["backup2_s"], local(t(0.15, 0.15, 0.25))),
    ("1%-changed backup", "changed_backup_s", "s", lambda m: m["backup3_s"], local(t(0.15, 0.15, 0.25))),
    ("restore", "restore_s", "s", lambda m: m["restore_s"], RESTORE),
    ("repo size", "repo_size_mib", "MiB", lambda m: m["repo_bytes"] / MIB, t(0.5, 1.0, 0.7)),
    ("peak RSS", "peak_rss_mib", "MiB",
     lambda m: max(m[k] for k in ("backup1_rss_kb", "backup2_rss_kb", "backup3_rss_kb", "restore_rss_kb")) / 1024,
     local(t(0.5, 1.0, 0.5))),
]
if remote:  # the repository's size is the same as on a directory
    ROWS = [r for r in ROWS if r[1] != "repo_size_mib"]
    for step, label in (("backup1", "first backup"), ("backup2", "unchanged"), ("backup3", "1%-changed"),
                        ("restore", "restore")):
        ROWS.append(("requests, " + label, step + "_requests", "n", lambda m, k=step: m[k + "_requests"], {}))
    for step, label in (("backup1", "first backup"), ("restore", "restore")):
        ROWS.append(("server CPU, " + label, step + "_server_cpu_s", "s",
                     lambda m, k=step: m[k + "_server_cpu_s"], {}))
        ROWS.append(("client CPU, " + label, step + "_cpu_s", "s", lambda m, k=step: m[k + "_cpu_s"], {}))
TOOLS = ["bananactl", "bananactl-xz", "restic", "borg"]

def fmt(v):
    return "-" if v is None else ("%d" % v if v == int(v) else "%.2f" % v if v < 100 else "%.0f" % v)

def span(vs):
    return "-" if not vs else ("%s" % fmt(vs[0]) if len(vs) == 1 else "%s-%s" % (fmt(min(vs)), fmt(max(vs))))

with open(out, "w") as fh:
    fh.write(json.dumps({"type": "meta", "run": run_id, "scale": float(scale), "bananactl_version": bver,
                         "restic_version": rver, "borg_version": gver, "cold": cold, "aged": aged, "fresh": fresh,
                         "backend": backend,
                         "runs": int(os.environ.get("RUNS", "1"))}) + "\n")
    for corpus in corpora:
        per = {tool: list(runs[(corpus, tool)].values()) for tool in TOOLS}
        print("\n%s corpus (BACKEND=%s, SCALE=%s, COLD=%s, AGED=%s, FRESH=%s, RUNS=%s; medians, min-max)" % (
            corpus, backend, scale, int(cold), int(aged), int(fresh), os.environ.get("RUNS", "1")))
        hdr = "%-24s %10s %10s %10s %10s %8s %7s %8s  %-15s %s" % (
            "", "bananactl", "banana-xz", "restic", "borg", "b/restic", "target", "status",
            "bananactl min-max", "restic min-max")
        print(hdr)
        print("-" * len(hdr))
        for label, key, unit, f, targets in ROWS:
            vals = {tool: [f(m) for m in per[tool]] for tool in TOOLS}
            med = {tool: (statistics.median(vals[tool]) if vals[tool] else None) for tool in TOOLS}
            rv = med["restic"]
            ratio = med["bananactl"] / rv if med["bananactl"] is not None and rv else None
            xratio = med["bananactl-xz"] / rv if med["bananactl-xz"] is not None and rv else None
            target = targets.get(corpus)
            met = None if target is None or ratio is None else ratio <= target
            status = "-" if target is None else ("skipped" if ratio is None else ("met" if met else "NOT MET"))
            print("%-24s %10s %10s %10s %10s %8s %7s %8s  %-17s %s" % (
                "%s (%s)" % (label, unit), fmt(med["bananactl"]), fmt(med["bananactl-xz"]), fmt(rv),
                fmt(med["borg"]), "-" if ratio is None else "%.2fx" % ratio,
                "-" if target is None else "<=%.2gx" % target, status,
                span(vals["bananactl"]), span(vals["restic"])))
            fh.write(json.dumps({"type": "row", "run": run_id, "scale": float(scale), "corpus": corpus,
                                 "backend": backend,
                                 "metric": key, "unit": unit, **{tool: med[tool] for tool in TOOLS},
                                 "values": vals, "ratio": ratio, "xz_ratio": xratio,
                                 "target_max_ratio": target, "met": met}) + "\n")
        for tool in TOOLS:
            if per[tool]:
                cpu = lambda k: statistics.median(m[k + "_cpu_s"] for m in per[tool])
                print("  %-12s cpu s (user+sys, medians): backup1 %s, backup2 %s, backup3 %s, restore %s" % (
                    tool, *(fmt(cpu(k)) for k in ("backup1", "backup2", "backup3", "restore"))))
print("\nresults: %s (raw measurements: %s)" % (out, raw))
PY
}

# ---------------------------------------------------------------- main
write_generator
log "tools: ${TOOLS[*]} | corpora: ${CORPORA[*]} | SCALE=$SCALE | $(nproc) CPUs"
[[ " ${TOOLS[*]} " == *" bananactl "* ]] && log "bananactl: $BANANA_BIN ($("$BANANA_BIN" --version 2>/dev/null | head -n1))"
log "restic: $RESTIC ($("$RESTIC" version | head -n1)); borg: $BORG ($("$BORG" --version | head -n1))"
journal=$(awk -v d="$(df --output=source "$WORK" | tail -n1)" '$1 == d { print $4 }' /proc/mounts)
[[ -d /proc/fs/jbd2 ]] && ls /proc/fs/jbd2 | grep "^$(basename "$(df --output=source "$WORK" | tail -n1)")-" >/dev/null \
    && journal="journal; $journal" || journal="NO journal; $journal"
start_server
log "BACKEND=$BACKEND COLD=$COLD AGED=$AGED FRESH=$FRESH RUNS=$RUNS | $WORK on $(df --output=fstype "$WORK" | tail -n1) ($journal)"
n=${#TOOLS[@]}
for ((RUN = 0; RUN < RUNS; RUN++)); do
    # Each run puts another tool first (ROTATE=N starts at the N-th).
    ORDER=()
    for ((i = 0; i < n; i++)); do ORDER+=("${TOOLS[(i + ROTATE + RUN) % n]}"); done
    log "run $((RUN + 1)) of $RUNS, order: ${ORDER[*]}"
    for corpus in "${CORPORA[@]}"; do
        ensure_corpus "$corpus"
        for tool in "${ORDER[@]}"; do
            bench_tool "$tool" "$corpus"
        done
    done
done
if [[ $KEEP != 1 ]]; then
    for corpus in "${CORPORA[@]}"; do
        rm -rf "${WORK:?}/corpus/$corpus" "$WORK/corpus/$corpus.stamp"
    done
fi
report

#!/usr/bin/env bash
# Deduplication of database dumps: bananactl's mysql and postgres jobs against
# restic backing up the same dumps from stdin, in one run. See bench/README.md.
#
#   bench/databases.sh                   # ~200 MB per database
#   SIZE_MB=20 BANANACTL=target/debug/bananactl bench/databases.sh
#
# Env: SIZE_MB (default 200), BANANACTL (binary; default target/release/bananactl,
# built if missing), KEEP=1 (keep bench/work/db and the repositories).
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work
DB_DIR=$WORK/db                 # the private servers
D=$WORK/databases               # repositories, config, credentials, logs
SIZE_MB=${SIZE_MB:-200}
KEEP=${KEEP:-0}
TARGET=0.10
export RESTIC_PASSWORD=banana-bench-password
unset RESTIC_REPOSITORY RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND \
      BANANA_REPO BANANA_KEY_FILE BANANA_STATE_DIR BANANA_CONFIG PGPASSWORD

log() { printf '[db-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "SIZE_MB must be a positive integer, got '$SIZE_MB'"
ROWS=$((SIZE_MB * 1000000 / 200))                 # ~200 bytes of dump per row
LO=$((ROWS / 2 + 1)) HI=$((ROWS / 2 + (ROWS / 100 > 0 ? ROWS / 100 : 1)))  # 1 %, contiguous

# ---------------------------------------------------------------- tools
for p in mariadbd mariadb-install-db mariadb mariadb-dump; do
    command -v "$p" >/dev/null 2>&1 || die "$p not found (scripts/services.sh install)"
done
PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)
[[ -n $PG_BIN && -x $PG_BIN/postgres ]] || die "PostgreSQL not found in /usr/lib/postgresql (scripts/services.sh install)"
export PATH=$PG_BIN:$PATH       # the same pg_dump for bananactl and restic
if ! command -v restic >/dev/null 2>&1; then
    SUDO=()
    [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
    log "installing restic from Debian"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq restic >/dev/null
fi
if [[ -n ${BANANACTL:-} ]]; then
    if ! BIN=$(command -v -- "$BANANACTL" 2>/dev/null) || [[ ! -x $BIN ]]; then
        die "BANANACTL='$BANANACTL' is not an executable"
    fi
    BIN=$(realpath -- "$BIN")
else
    BIN=$ROOT/target/release/bananactl
    if [[ ! -x $BIN ]]; then
        log "$BIN missing; building it"
        (cd "$ROOT" && cargo build --release -p bananactl)
    fi
fi
IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------- servers
MDB_PID='' PG_PID=''
stop_pid() { # PID SIGNAL: signal it, wait up to 60 s, then SIGKILL
    local pid=$1 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$2" "$pid" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$MDB_PID" TERM
    stop_pid "$PG_PID" INT      # PostgreSQL's fast shutdown
    [[ $KEEP == 1 ]] || rm -rf "$DB_DIR" "$D/banana-repo" "$D/banana-state" "$D/restic-repo" "$D/restic-cache" "$D/check.pgdump"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # a port nothing listens on, on 127.0.0.1
    local p
    for p in $(shuf -i 20000-60000 -n 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    die "no free port found"
}
wait_for() { # WHAT CMD...: until CMD succeeds, at most 60 s
    local what=$1 i
    shift
    for ((i = 0; i < 600; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "$what did not start in 60 s (logs in $DB_DIR)"
}

rm -rf "$DB_DIR" "$D"
mkdir -p "$DB_DIR/pg" "$D/logs"
chmod 755 "$WORK" "$DB_DIR"   # PostgreSQL's user must reach its directory

MDB_SOCK=$DB_DIR/mariadb/mysql.sock
MDB_PORT=$(free_port)
RUNAS=()
((IS_ROOT)) && RUNAS=(--user=root)
log "starting MariaDB on 127.0.0.1:$MDB_PORT"
mariadb-install-db --no-defaults --datadir="$DB_DIR/mariadb" "${RUNAS[@]}" \
    --auth-root-authentication-method=normal --skip-test-db >"$DB_DIR/mariadb-install.log" 2>&1 \
    || { tail -n 20 "$DB_DIR/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
mariadbd --no-defaults --datadir="$DB_DIR/mariadb" --socket="$MDB_SOCK" --port="$MDB_PORT" \
    --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$DB_DIR/mariadb/mariadbd.pid" \
    --innodb-buffer-pool-size=256M --innodb-log-file-size=256M "${RUNAS[@]}" \
    >"$DB_DIR/mariadb.log" 2>&1 &
MDB_PID=$!
msql() { mariadb --no-defaults --socket="$MDB_SOCK" -uroot -N -B -e "$1"; }
wait_for MariaDB msql 'SELECT 1'

PG_PORT=$(free_port)
PG_PASSWORD=banana-bench-pg
AS_PG=()
((IS_ROOT)) && AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --pdeathsig KILL --)
log "starting PostgreSQL ($PG_BIN) on 127.0.0.1:$PG_PORT"
printf '%s' "$PG_PASSWORD" >"$DB_DIR/pg/pwfile"
((IS_ROOT)) && chown -R postgres:postgres "$DB_DIR/pg"
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$DB_DIR/pg/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --pwfile="$DB_DIR/pg/pwfile" \
    >"$DB_DIR/pg-initdb.log" 2>&1 || { tail -n 20 "$DB_DIR/pg-initdb.log" >&2; die "initdb failed"; }
"${AS_PG[@]}" "$PG_BIN/postgres" -D "$DB_DIR/pg/data" -p "$PG_PORT" -k "$DB_DIR/pg" \
    -c listen_addresses=127.0.0.1 -c fsync=off -c max_wal_size=1GB >"$DB_DIR/pg.log" 2>&1 &
PG_PID=$!
umask 077                                           # credentials and key files
printf '127.0.0.1:%s:*:postgres:%s\n' "$PG_PORT" "$PG_PASSWORD" >"$D/pgpass"
export PGPASSFILE=$D/pgpass                         # the script's own psql / pg_dump
printf '%s\n' "$PG_PASSWORD" >"$D/pg.pass"          # the job's password_file
psql_() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
wait_for PostgreSQL psql_ -d postgres -c 'SELECT 1'

# ---------------------------------------------------------------- data
# Deterministic rows of 192 hex characters (two SHA-256, an MD5 twice), the
# same values in both servers; the change rewrites ids LO..HI with longer
# values (a length change is what moves mariadb-dump's extended-insert
# boundaries; the plugin dumps one INSERT per row for that reason).
log "loading $ROWS rows into each server (~$SIZE_MB MB of dump)"
t0=$EPOCHREALTIME
msql "CREATE DATABASE bench; USE bench;
      CREATE TABLE t (id INT PRIMARY KEY, payload VARCHAR(255) NOT NULL) ENGINE=InnoDB;
      INSERT INTO t SELECT seq, CONCAT(SHA2(CONCAT('r', seq), 256), MD5(seq), MD5(seq),
          SHA2(CONCAT('s', seq), 256)) FROM seq_1_to_$ROWS;
      CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'banana-bench-my';
      GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, PROCESS ON *.* TO 'bench'@'127.0.0.1';"
printf '[client]\nuser = bench\npassword = banana-bench-my\nhost = 127.0.0.1\nport = %s\n' "$MDB_PORT" >"$D/mysql.cnf"
psql_ -d postgres -c 'CREATE DATABASE bench'
psql_ -d bench -c "CREATE TABLE t (id INT PRIMARY KEY, payload TEXT NOT NULL);
    INSERT INTO t SELECT i, encode(sha256(convert_to('r' || i, 'UTF8')), 'hex') || md5(i::text)
        || md5(i::text) || encode(sha256(convert_to('s' || i, 'UTF8')), 'hex')
    FROM generate_series(1, $ROWS) i;
    ANALYZE t;"
log "  loaded in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}') s"
change() {
    case $1 in
        mariadb) msql "UPDATE bench.t SET payload = CONCAT(SHA2(CONCAT('u', id), 256), MD5(CONCAT('u', id)),
                  MD5(CONCAT('u', id)), SHA2(CONCAT('v', id), 256), '-changed') WHERE id BETWEEN $LO AND $HI" ;;
        postgres) psql_ -d bench -c "UPDATE t SET payload = encode(sha256(convert_to('u' || id, 'UTF8')), 'hex')
                  || md5('u' || id) || md5('u' || id) || encode(sha256(convert_to('v' || id, 'UTF8')), 'hex')
                  || '-changed' WHERE id BETWEEN $LO AND $HI" ;;
    esac
}

# ---------------------------------------------------------------- the two tools
CONF=$D/bananactl.toml
cat >"$CONF" <<EOF
repo = "$D/banana-repo"
key_file = "$D/banana.key"
state_dir = "$D/banana-state"

[[job]]
name = "mysql"
plugin = "mysql"
defaults_file = "$D/mysql.cnf"
databases = ["bench"]

[[job]]
name = "postgres"
plugin = "postgres"
host = "127.0.0.1"
port = $PG_PORT
user = "postgres"
password_file = "$D/pg.pass"
databases = ["bench"]
globals = false
EOF
banana() { "$BIN" --config "$CONF" "$@"; }
banana init >"$D/logs/banana-init.log" 2>&1 || { cat "$D/logs/banana-init.log" >&2; die "bananactl init failed"; }
RESTIC=(restic -r "$D/restic-repo" --cache-dir "$D/restic-cache")
"${RESTIC[@]}" init >"$D/logs/restic-init.log" 2>&1 || { cat "$D/logs/restic-init.log" >&2; die "restic init failed"; }

# The dumps as the plugins take them (common/src/ops/backup/{mysql,postgres}.rs).
dump_mariadb() {
    mariadb-dump --defaults-extra-file="$D/mysql.cnf" --single-transaction --routines --events --triggers \
        --hex-blob --skip-dump-date --skip-extended-insert --no-autocommit --default-character-set=utf8mb4 bench
}
dump_postgres() { pg_dump --format=custom -Z0 -h 127.0.0.1 -p "$PG_PORT" -U postgres -w bench; }
restic_backup() { # DB: the same dump from stdin, as the plugin names its stream
    local name=bench.sql
    [[ $1 == postgres ]] && name=bench.pgdump
    "dump_$1" | "${RESTIC[@]}" --json backup --stdin --stdin-filename "$name"
}
banana_backup() { banana --json backup --job "$([[ $1 == mariadb ]] && echo mysql || echo postgres)"; }

declare -A R   # "db tool key" -> value
json_field() { grep '"message_type":"summary"' "$1" | tail -n1 | grep -o "\"$2\":[0-9]*" | cut -d: -f2 || true; }
# backup DB TOOL N: timed backup #N; repository growth (du -sb) and the tool's own summary.
backup() {
    local db=$1 tool=$2 n=$3 repo logf before t0
    repo=$D/$tool-repo logf=$D/logs/$db-$tool-$n.log
    before=$(du -sb "$repo" | cut -f1)
    sync
    t0=$EPOCHREALTIME
    "${tool}_backup" "$db" >"$logf" 2>&1 || { tail -n 30 "$logf" >&2; die "$tool backup #$n of $db failed (log: $logf)"; }
    R[$db $tool time$n]=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}')
    R[$db $tool stored$n]=$(($(du -sb "$repo" | cut -f1) - before))
    if [[ $tool == banana ]]; then
        R[$db $tool dump$n]=$(json_field "$logf" total_bytes)
        R[$db $tool reported$n]=$(json_field "$logf" bytes_stored)
    else
        R[$db $tool dump$n]=$(json_field "$logf" total_bytes_processed)
        R[$db $tool reported$n]=$(json_field "$logf" data_added)
    fi
    log "  $tool #$n: ${R[$db $tool time$n]} s, dump ${R[$db $tool dump$n]} B, repository +${R[$db $tool stored$n]} B"
}

verify() { # DB: the stored dump is the dump (SQL byte for byte; the archive's contents)
    local db=$1 a b
    if [[ $db == mariadb ]]; then
        a=$(banana dump latest --job mysql /bench.sql | sha256sum) || die "bananactl dump of $db failed"
        b=$(dump_mariadb | sha256sum)
    else
        banana dump latest --job postgres /bench.pgdump >"$D/check.pgdump" || die "bananactl dump of $db failed"
        pg_restore -l "$D/check.pgdump" | grep 'TABLE DATA public t ' >/dev/null || die "pg_restore -l: no table data in the stored archive"
        # Without the random \restrict key pg_restore prints since 15.14.
        a=$(pg_restore -f - "$D/check.pgdump" | grep -v '^\\\(un\)\{0,1\}restrict ' | sha256sum)
        b=$(dump_postgres | pg_restore -f - | grep -v '^\\\(un\)\{0,1\}restrict ' | sha256sum)
        rm -f "$D/check.pgdump"
    fi
    [[ $a == "$b" ]] || die "$db: bananactl's stored dump differs from a fresh dump"
    log "  verified: bananactl dump latest = a fresh dump ($db)"
}

for db in mariadb postgres; do
    log "== $db"
    backup "$db" banana 1
    backup "$db" restic 1
    change "$db"
    log "  changed ids $LO..$HI ($((HI - LO + 1)) of $ROWS rows)"
    backup "$db" banana 2
    backup "$db" restic 2
    verify "$db"
done

# ---------------------------------------------------------------- restore cost
# What one INSERT per row (the plugin's choice, for deduplication) costs a
# restore: bananactl restore --to-server of the stored dump into a new
# database, against loading an extended-insert dump of the same table with
# the client alone (dumped to a file first, so only the load is timed).
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}'; }
printf '[client]\nuser = root\nsocket = %s\n' "$MDB_SOCK" >"$D/admin.cnf"
chmod 600 "$D/admin.cnf"
log "== restore cost (mariadb)"
t0=$EPOCHREALTIME
banana restore latest --job mysql --to-server --database bench_restored --defaults-file "$D/admin.cnf" \
    >"$D/logs/restore-mysql.log" 2>&1 || { tail -n 20 "$D/logs/restore-mysql.log" >&2; die "bananactl restore --to-server failed"; }
RESTORE_ROWS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}')
[[ $(msql "SELECT COUNT(*) FROM bench_restored.t") == "$ROWS" ]] || die "restored table has the wrong row count"
mariadb-dump --defaults-extra-file="$D/mysql.cnf" --single-transaction --skip-dump-date bench >"$D/extended.sql"
msql "CREATE DATABASE bench_ext"
t0=$EPOCHREALTIME
mariadb --no-defaults --socket="$MDB_SOCK" -uroot bench_ext <"$D/extended.sql"
RESTORE_EXT=$(secs "$t0")
rm -f "$D/extended.sql"
log "  bananactl restore --to-server (one INSERT per row): $RESTORE_ROWS s; client load of an extended-insert dump: $RESTORE_EXT s"

# ---------------------------------------------------------------- report
RUN_ID=$(date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION=$("$BIN" --version 2>/dev/null | head -n1)
RVERSION=$(restic version | head -n1)
OUT=$WORK/databases.jsonl
printf '{"type":"meta","run":"%s","size_mb":%s,"rows":%s,"changed_ids":[%s,%s],"bananactl_version":"%s","restic_version":"%s"}\n' \
    "$RUN_ID" "$SIZE_MB" "$ROWS" "$LO" "$HI" "$VERSION" "$RVERSION" >"$OUT"
mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b / 1e6}'; }
printf '\n%s rows per database, ids %s..%s changed (SIZE_MB=%s; %s, %s)\n' "$ROWS" "$LO" "$HI" "$SIZE_MB" "$VERSION" "$RVERSION"
hdr=$(printf '%-9s %-10s %9s %10s %10s %7s %7s %7s %7s  %s' database tool 'dump MB' 'stored#1' 'stored#2' ratio 'time#1' 'time#2' target status)
printf '%s\n%s\n' "$hdr" "${hdr//?/-}"
for db in mariadb postgres; do
    for tool in banana restic; do
        s1=${R[$db $tool stored1]} s2=${R[$db $tool stored2]}
        ratio=$(awk -v a="$s2" -v b="$s1" 'BEGIN{printf "%.4f", (b > 0 ? a / b : 0)}')
        met=null status=-
        if [[ $tool == banana ]]; then
            met=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN{print (r < t) ? "true" : "false"}')
            [[ $met == true ]] && status=met || status='NOT MET'
        fi
        printf '%-9s %-10s %9s %10s %10s %6.1f%% %7s %7s %7s  %s\n' "$db" "${tool/banana/bananactl}" \
            "$(mb "${R[$db $tool dump1]}")" "$(mb "$s1")" "$(mb "$s2")" "$(awk -v r="$ratio" 'BEGIN{print r * 100}')" \
            "${R[$db $tool time1]}" "${R[$db $tool time2]}" \
            "$([[ $tool == banana ]] && echo '< 10%' || echo -)" "$status"
        printf '{"type":"row","run":"%s","database":"%s","tool":"%s","dump_bytes":%s,"stored1_bytes":%s,"stored2_bytes":%s,"ratio":%s,"reported1_bytes":%s,"reported2_bytes":%s,"time1_s":%s,"time2_s":%s,"target_max_ratio":%s,"met":%s}\n' \
            "$RUN_ID" "$db" "${tool/banana/bananactl}" "${R[$db $tool dump1]}" "$s1" "$s2" "$ratio" \
            "${R[$db $tool reported1]:-null}" "${R[$db $tool reported2]:-null}" \
            "${R[$db $tool time1]}" "${R[$db $tool time2]}" "$TARGET" "$met" >>"$OUT"
    done
done
printf '{"type":"restore","run":"%s","database":"mariadb","rows":%s,"bananactl_to_server_s":%s,"client_extended_insert_s":%s}\n' \
    "$RUN_ID" "$ROWS" "$RESTORE_ROWS" "$RESTORE_EXT" >>"$OUT"
printf '\nmariadb restore of %s rows: bananactl --to-server (one INSERT per row) %s s; client load of an extended-insert dump %s s\n' \
    "$ROWS" "$RESTORE_ROWS" "$RESTORE_EXT"
printf '\nstored = repository growth (du -sb); time = wall seconds of dump + backup. results: %s\n' "$OUT"

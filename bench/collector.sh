#!/usr/bin/env bash
# Benchmark the watch tower's ingest: N simulated nodes push signed statuses
# over loopback to a real `bananaui serve` (release build, fresh data dir).
# Prints the sustained acknowledged (durable) rate and the latency at a fixed
# offered load. See bench/README.md.
#
#   bench/collector.sh                       # 10,000 nodes, 10 s per phase, 500/s offered
#   NODES=1000 DURATION=5 RATE=500 CONCURRENCY=64 bench/collector.sh
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
WORK=$BENCH_DIR/work/tower
NODES=${NODES:-10000}
DURATION=${DURATION:-10}
RATE=${RATE:-500}
CONCURRENCY=${CONCURRENCY:-64}

cd "$ROOT"
cargo build --release --locked -p bananaui --bin bananaui --example loadgen >&2
rm -rf "$WORK" && mkdir -p "$WORK"
cat >"$WORK/bananaui.toml" <<TOML
[alerts]
interval = "5s"
TOML
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
target/release/bananaui serve --listen 127.0.0.1:0 --data "$WORK/data" \
    --config "$WORK/bananaui.toml" 2>"$WORK/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
ADDR=
for _ in $(seq 100); do
    ADDR=$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$WORK/serve.log" | head -1)
    [[ -n $ADDR ]] && break
    sleep 0.1
done
[[ -n $ADDR ]] || { cat "$WORK/serve.log" >&2; echo "bananaui serve did not start" >&2; exit 1; }
echo "collector at $ADDR (pid $PID); $NODES nodes, $DURATION s per phase, $(nproc) cores"
target/release/examples/loadgen --url "http://$ADDR" --data "$WORK/data" --nodes "$NODES" \
    --duration "$DURATION" --concurrency "$CONCURRENCY" --rate "$RATE"
echo "collector peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status), threads: $(awk '/Threads/ {print $2}' /proc/$PID/status)"
echo "store on disk: $(du -sh "$WORK/data/db" | cut -f1)"

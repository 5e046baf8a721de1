#!/usr/bin/env bash
# The Debian packages end to end (docs/install.md, docs/upgrade.md): build
# two revisions with 'cargo xtask deb', lintian, piuparts (install and purge
# in a clean chroot), then on this machine with dpkg: install N, use the installed programs (backup and restore, the tower
# under runuser, man pages, completions), systemd-analyze verify the
# installed units, upgrade to N+1 (conffiles, data, the agent's state and the
# tower's database kept), remove, purge (no file the packages made is left,
# and never a backup or a key).
#
# Root on Debian; scripts/test.sh runs it after the cargo tests. It installs
# the packages on this machine and purges them before it exits.
# NO_BUILD=1 reuses the binaries in target/dist.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

fail() { echo "test-packages: FAIL: $*" >&2; exit 1; }
step() { echo "== packages: $*"; }

if [ "$(id -u)" != 0 ] || ! command -v dpkg-deb >/dev/null || ! command -v lintian >/dev/null; then
  [ "${CI:-}" = true ] && fail "needs root, dpkg-deb and lintian (scripts/test.sh installs lintian)"
  echo "test-packages: skipped (needs root, dpkg-deb and lintian)"
  exit 0
fi
for p in bananactl bananaui bananadm; do
  if [ "$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ]; then
    fail "$p is already installed here; this test installs and purges it: 'dpkg -P $p' first"
  fi
done
# root's embedded default is /var/lib/banana (scripts/demo.sh may have
# written a backup there): the test never writes into it, and checks that
# no package step deletes what is in it.
HAD_DATA=0
[ -e /var/lib/banana ] && HAD_DATA=1
data_listing() { if [ -e /var/lib/banana ]; then find /var/lib/banana -printf '%p %s %m\n' | sort; fi; }
data_before=$(data_listing)

T=$(mktemp -d /tmp/banana-packages.XXXXXX)
chmod 0755 "$T"
TOWER_PID=
cleanup() {
  [ -n "$TOWER_PID" ] && kill "$TOWER_PID" 2>/dev/null || true
  dpkg -P bananactl bananaui bananadm >/dev/null 2>&1 || true
  [ "$HAD_DATA" = 0 ] && rm -rf /var/lib/banana
  rm -rf "$T"
}
trap cleanup EXIT

# Files and directories named after Banana, outside the source tree: what a
# purge must leave as it found it.
banana_files() {
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
      -o -path "$ROOT" -o -path "${CARGO_HOME:-$HOME/.cargo}" -o -path /work \) -prune \
      -o -name '*banana*' -print 2>/dev/null | sort
}

step "build revisions 1 and 2"
# NO_BUILD=1: package the binaries already in target/dist (a second run).
if [ "${NO_BUILD:-}" = 1 ]; then cargo xtask deb --no-build --revision 1; else cargo xtask deb --revision 1; fi
cargo xtask deb --no-build --revision 2
V=$(cargo metadata --no-deps --format-version 1 --locked \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="bananactl"))')
ARCH=$(dpkg --print-architecture)
deb() { echo "$ROOT/target/debian/${1}_${V}-${2}_${ARCH}.deb"; }

step "lintian (errors and warnings fail; overrides are justified in docs/install.md)"
lintian --fail-on error,warning --display-level '>=warning' --tag-display-limit 0 \
  "$(deb bananactl 2)" "$(deb bananaui 2)" "$(deb bananadm 2)"

step "piuparts: install and purge together in a clean Debian chroot (debootstrap from the machine's mirror)"
command -v piuparts >/dev/null || fail "piuparts is missing (scripts/test.sh installs it)"
MIRROR=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
DIST=$(. /etc/os-release && echo "$VERSION_CODENAME")
timeout 600 piuparts -d "$DIST" -m "$MIRROR" --no-eatmydata \
  "$(deb bananactl 2)" "$(deb bananaui 2)" "$(deb bananadm 2)" >"$T/piuparts.log" 2>&1 \
  || { tail -40 "$T/piuparts.log"; fail "piuparts (log above)"; }
grep -q 'PASS: All tests' "$T/piuparts.log" || { tail -20 "$T/piuparts.log"; fail "piuparts did not pass"; }

before=$(banana_files)
step "install revision 1: the 'sh package' block of docs/install.md, as written"
mkdir "$T/rev1"
for p in bananactl bananaui bananadm; do ln -s "$(deb "$p" 1)" "$T/rev1/"; done
# A guide's one 'sh package' block, run as written in a directory holding
# one revision's packages.
run_package_block() {
  python3 - "$ROOT/docs/$1" >"$T/block.sh" <<'PY'
import re, sys
blocks = re.findall(r"^```sh package\n(.*?)^```", open(sys.argv[1]).read(), re.M | re.S)
assert len(blocks) == 1, f"{sys.argv[1]} has {len(blocks)} 'sh package' blocks, not 1"
print(blocks[0])
PY
  grep -q 'apt install' "$T/block.sh" || fail "the package block of $1 installs nothing"
  (cd "$2" && DEBIAN_FRONTEND=noninteractive bash -euo pipefail "$T/block.sh")
}
run_package_block install.md "$T/rev1"
for p in bananactl bananaui bananadm; do
  [ "$(dpkg-query -W -f '${Version}' "$p")" = "$V-1" ] || fail "$p is not installed at revision 1"
done
for f in /usr/bin/bananactl /usr/bin/bananaui /usr/bin/bananadm \
    /etc/banana/bananactl.toml /etc/banana/bananaui.toml \
    /lib/systemd/system/banana-agent.timer /lib/systemd/system/banana-tower.service \
    /lib/systemd/system/banana-reaper.timer /usr/share/man/man7/banana.7.gz \
    /usr/share/doc/bananactl/install.md /usr/share/bash-completion/completions/bananactl \
    /usr/share/zsh/vendor-completions/_bananaui /usr/share/fish/vendor_completions.d/bananadm.fish; do
  [ -e "$f" ] || fail "$f is not installed"
done
if [ "$HAD_DATA" = 0 ]; then
  [ "$(stat -c %a /var/lib/banana)" = 700 ] || fail "/var/lib/banana is not 0700"
  # Stands for a backup and a key file the agent writes there.
  echo canary >/var/lib/banana/key.json
fi
data_before=$(data_listing)
[ "$(stat -c %U:%a /var/lib/banana-tower)" = banana-tower:700 ] || fail "/var/lib/banana-tower is not banana-tower's, 0700"
[ -d /usr/lib/banana/plugins ] || fail "/usr/lib/banana/plugins is missing"
for u in banana-agent.timer banana-tower.service banana-reaper.timer; do
  [ -e "/etc/systemd/system/timers.target.wants/$u" ] || [ -e "/etc/systemd/system/multi-user.target.wants/$u" ] \
    && fail "$u was enabled by the package; only the admin enables units"
done

step "the installed units verify"
systemd-analyze verify /lib/systemd/system/banana-*.service /lib/systemd/system/banana-*.timer

step "man pages and completions"
command -v man >/dev/null || fail "man is missing (scripts/test.sh installs man-db)"
page=$(MANWIDTH=100 man bananactl-backup 2>/dev/null)
for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
  grep -q "^$s" <<<"$page" || fail "man bananactl-backup has no $s section"
done
man -w banana.7 >/dev/null || fail "banana(7) is not found by man"
# What TAB does in an interactive bash with bash-completion: load the
# completion for the command (complete -p shows it), then call it on
# "bananactl rest<TAB>": the installed bananactl answers.
out=$(HOME=$T bash -ic 'source /usr/share/bash-completion/bash_completion; _completion_loader bananactl
  complete -p bananactl || exit 1
  COMP_WORDS=(bananactl rest); COMP_CWORD=1; COMP_TYPE=9
  _clap_complete_bananactl bananactl rest bananactl; printf "reply %s\n" "${COMPREPLY[@]}"' 2>/dev/null) \
  || fail "bash finds no completion for bananactl"
grep -q '^complete .* bananactl$' <<<"$out" || fail "complete -p bananactl printed: $out"
grep -qx 'reply restore' <<<"$out" || fail "bananactl rest<TAB> did not offer restore: $out"

step "the embedded default: backup and restore with the installed bananactl"
# README's first command, with the installed program, as a user (nobody)
# whose embedded default is under XDG_DATA_HOME.
as_user() { runuser -u nobody -- env -i PATH=/usr/bin:/bin XDG_DATA_HOME="$T/user/data" XDG_CONFIG_HOME="$T/user/config" "$@"; }
mkdir -p "$T/src/sub" "$T/user"
head -c 300000 /dev/urandom >"$T/src/random.bin"
printf 'hello from the package test\n' >"$T/src/sub/hello.txt"
chown -R nobody "$T/src" "$T/user"
as_user bananactl --version
as_user bananactl backup "$T/src"
as_user bananactl restore latest --target "$T/user/restored"
diff -r "$T/src" "$T/user/restored$T/src" || fail "the restore differs from the source"
[ -f "$T/user/data/banana/key.json" ] || fail "the embedded default made no key file"

# The collector as its unit runs it, without systemd: the banana-tower user,
# the shipped config, the default data directory.
start_tower() {
  rm -f /var/lib/banana-tower/admin.sock
  runuser -u banana-tower -- bananaui serve --config /etc/banana/bananaui.toml >"$T/serve.log" 2>&1 &
  TOWER_PID=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null http://127.0.0.1:7460/metrics 2>/dev/null && return 0
    kill -0 "$TOWER_PID" 2>/dev/null || { cat "$T/serve.log"; fail "bananaui serve exited"; }
    sleep 0.1
  done
  cat "$T/serve.log"; fail "the tower did not answer within 30 s"
}
stop_tower() { kill "$TOWER_PID"; wait "$TOWER_PID" 2>/dev/null || true; TOWER_PID=; }

step "bananaui serve under runuser (no systemd), as the banana-tower user"
start_tower
runuser -u banana-tower -- bananaui node add pkg-node --url http://127.0.0.1:7460 >"$T/enrol.txt" 2>"$T/enrol.err"
grep -q 'bananactl enroll' "$T/enrol.err" || { cat "$T/enrol.err"; fail "node add printed no enrol command"; }
code=$(awk '$1 == "pkg-node" { print $2 }' "$T/enrol.txt")
# The node of revision 1 enrols and reports a backup. A budget no loaded
# machine misses: the report must arrive, not wait in the spool.
mkdir -p "$T/user/config/banana"
echo 'status_budget = "10m"' >"$T/user/config/banana/bananactl.toml"
chown -R nobody "$T/user"
as_user bananactl enroll --node pkg-node --collector http://127.0.0.1:7460 --collector-code "$code"
as_user bananactl backup "$T/src" --job pkg --every 1d
# The chain position (seq) of job pkg's last snapshot as the tower has it.
seq_at_tower() { curl -fsS http://127.0.0.1:7460/api/v1/nodes/pkg-node | python3 -c 'import json,sys
n = json.load(sys.stdin)["node"]
print(next((j["seq"] for j in n["jobs"] if j["job"] == "pkg" and j["seq"] is not None), "none"))'; }
seq1=$(seq_at_tower)
[ "$seq1" != none ] || fail "the tower has no snapshot of job pkg: $(curl -sS http://127.0.0.1:7460/api/v1/nodes/pkg-node)"
# Whole, then searched: grep -q would close the pipe early (curl: 23).
metrics=$(curl -fsS http://127.0.0.1:7460/metrics)
grep -q '^banana_' <<<"$metrics" || fail "the tower serves no metrics"
stop_tower

step "upgrade to revision 2: conffiles, data, state and the tower's database kept"
echo '# changed by the admin' >>/etc/banana/bananactl.toml
echo '# changed by the admin' >>/etc/banana/bananaui.toml
snapshots_before=$(as_user bananactl snapshots --json | wc -l)
# docs/upgrade.md's block, as written.
mkdir "$T/rev2"
for p in bananactl bananaui bananadm; do ln -s "$(deb "$p" 2)" "$T/rev2/"; done
run_package_block upgrade.md "$T/rev2"
for p in bananactl bananaui bananadm; do
  [ "$(dpkg-query -W -f '${Version}' "$p")" = "$V-2" ] || fail "$p is not at revision 2"
done
grep -q 'changed by the admin' /etc/banana/bananactl.toml || fail "the upgrade lost the admin's bananactl.toml"
grep -q 'changed by the admin' /etc/banana/bananaui.toml || fail "the upgrade lost the admin's bananaui.toml"
[ "$(as_user bananactl snapshots --json | wc -l)" = "$snapshots_before" ] || fail "the upgrade changed the snapshots"
[ "$(data_listing)" = "$data_before" ] || fail "the upgrade changed /var/lib/banana"
start_tower
[ "$(seq_at_tower)" = "$seq1" ] || fail "the upgrade lost the tower's database (node pkg-node, job pkg)"
# The agent of revision 2 extends the repository revision 1 wrote and
# reports to the tower of revision 2.
printf 'after the upgrade\n' >"$T/src/sub/new.txt"
as_user bananactl backup "$T/src" --job pkg --every 1d
as_user bananactl check --read-data
[ "$(as_user bananactl snapshots --json | wc -l)" -gt "$snapshots_before" ] || fail "no new snapshot after the upgrade"
[ "$(seq_at_tower)" -gt "$seq1" ] || fail "the tower did not record the upgraded agent's snapshot"
stop_tower

step "remove: programs gone, config and data kept"
dpkg -r bananactl bananaui bananadm
[ -e /usr/bin/bananactl ] && fail "/usr/bin/bananactl is still there after remove"
[ -f /etc/banana/bananactl.toml ] || fail "remove deleted the conffile"
[ -d /var/lib/banana-tower ] || fail "remove deleted the tower's data"
[ "$(data_listing)" = "$data_before" ] || fail "remove changed /var/lib/banana"

step "purge: nothing the packages made is left; backups and keys are"
dpkg -P bananactl bananaui bananadm
[ -e /etc/banana/bananactl.toml ] && fail "purge left /etc/banana/bananactl.toml"
[ -e /var/lib/banana-tower ] && fail "purge left /var/lib/banana-tower"
[ "$(data_listing)" = "$data_before" ] || fail "purge changed /var/lib/banana: it holds backups and keys"
if [ "$HAD_DATA" = 0 ]; then
  rm -rf /var/lib/banana
  # Empty, as a node that never backed up leaves it: purge removes it.
  dpkg -i "$(deb bananactl 2)" >/dev/null
  dpkg -P bananactl >/dev/null
  [ -e /var/lib/banana ] && fail "purge left an empty /var/lib/banana"
fi
after=$(banana_files)
if [ "$before" != "$after" ]; then
  diff <(echo "$before") <(echo "$after") || true
  fail "purge left files behind (above)"
fi
step "ok"

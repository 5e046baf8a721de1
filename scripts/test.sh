#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# Needs: the Rust toolchain with rustfmt and clippy, dpkg (Debian), python3 (OpenBao and
# SeaweedFS come from PyPI), apt (Swift, memcached, Samba, smbnetfs; chromium,
# nginx, openssl, tmux for the watch tower's tests), /dev/fuse (the Samba
# share is mounted through FUSE); runs
# as root in CI (some tests mount tmpfs or drop to 'nobody'; without root, or
# without OpenBao, they skip, except under CI=true where they fail).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
# Tools the tests call; present on Debian, installed if a minimal image lacks them.
missing=()
need setpriv || missing+=(util-linux)
need mount || missing+=(mount)
# The watch tower's tests: its page in a real browser, the documented nginx TLS
# front (with openssl for a test CA), the TUI driven through tmux.
need chromium || missing+=(chromium)
[ -x /usr/sbin/nginx ] || need nginx || missing+=(nginx-light)
need openssl || missing+=(openssl)
need tmux || missing+=(tmux)
# POSIX ACL tests (bananactl acl.rs).
need setfacl && need getfacl || missing+=(acl)
# The man pages' lint (xtask: mandoc -T lint).
need mandoc || missing+=(mandoc)
# The guides' test (bananadm guides.rs) and the packages' (test-packages.sh):
# jq and curl in the guides, lintian, man, bash's completion loader.
need jq || missing+=(jq)
need curl || missing+=(curl)
need lintian || missing+=(lintian)
need piuparts || missing+=(piuparts)
need man || missing+=(man-db)
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
need dpkg-shlibdeps || missing+=(dpkg-dev)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

echo "== services (OpenBao, SeaweedFS, Swift, Keystone, Samba, smbnetfs, MariaDB, PostgreSQL, etcd)"
./scripts/services.sh install

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== common builds without its network clients"
cargo build -p banana-common --no-default-features --locked
if cargo tree -p banana-common --no-default-features -e normal --locked --prefix none \
    | grep -E '^(reqwest|tokio|vaultrs|rust-s3) '; then
  echo "common without default features must not pull an HTTP client or runtime" >&2
  exit 1
fi
echo "== man pages and completions up to date"
cargo xtask check-gen
echo "== cargo test"
# The output is kept; when a test fails, what each failing test printed (its
# panic message) is repeated at the end, where a CI summary shows it.
mkdir -p target
if ! cargo test --workspace --locked --no-fail-fast 2>&1 | tee target/cargo-test.log; then
  echo "== what the failing tests printed (all of it in target/cargo-test.log)"
  awk '/^failures:$/ {f = 1} f {print} /^test result:/ {f = 0}' target/cargo-test.log | tail -n 400
  exit 101
fi
echo "== Debian packages (cargo xtask deb; lintian; install, upgrade, remove, purge)"
./scripts/test-packages.sh

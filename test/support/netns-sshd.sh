#!/usr/bin/env bash
# Test hosts for Brickyard's ssh tests: each host is a network namespace on the private bridge bybr0
# (10.214.0.0/24, host side 10.214.0.1, nothing else on it) plus its own mount, UTS and PID namespaces,
# running its own sshd (and, when asked, glusterd), with a private /run, a private writable /etc
# (overlay), a private /var/lib/heketi and optional loop-device disks. With disks, the host also gets a
# private /dev (a tmpfs holding the usual character devices and only its own loop devices, plus an
# empty /dev/mapper), so LVM on a host sees only that host's disks. Killing a host's PID 1 ends every
# process of the host.
#
#   netns-sshd.sh up STATE COUNT [--glusterd] [--disks N]   STATE: an empty directory made by the caller
#   netns-sshd.sh down STATE                                 removes everything `up` made, STATE included
#   netns-sshd.sh restart-sshd STATE I                       restart host I's sshd (re-reads its host key)
#   netns-sshd.sh drop-connections STATE I                   kill host I's per-connection sshd processes
#   netns-sshd.sh enter STATE I CMD...                       run CMD as root inside host I
#
# Users on every host: root, and byuser (uid 4242) who may `sudo` without a password. Both accept the
# key STATE/client_key; STATE/other_key is accepted by nobody. Host I's ed25519 host key is
# STATE/hostI/ssh_host_ed25519_key. `up` prints and writes STATE/hosts: "I IP NAMESPACE DISK...".
#
# Each run claims a slot (an atomic mkdir under /run/brickyard-netns) that fixes its addresses, so runs
# in parallel never share one; slots whose owner process ($NETNS_OWNER_PID, else the caller) is gone
# are torn down by the next `up`.
# Needs (Debian): iproute2, util-linux, openssh-server, openssh-client, sudo, procps; glusterfs-server
# for --glusterd; xfsprogs for tests that format the disks.
set -euo pipefail

BRIDGE=bybr0
NET=10.214.0
SLOTS=/run/brickyard-netns
LOCK=/run/brickyard-netns.lock
MAX_SLOTS=59
HOSTS_PER_SLOT=4
SELF=$(readlink -f "$0")

log() { printf '[netns-sshd] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

host_ip() { echo "$NET.$((10 + $1 * HOSTS_PER_SLOT + $2 - 1))"; }   # slot index -> address
init_pid() { local upid; upid=$(cat "$1/unshare.pid" 2>/dev/null) || return 1; pgrep -P "$upid" | head -1; }

bridge_up() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || { ip link add "$BRIDGE" type bridge; ip addr add "$NET.1/24" dev "$BRIDGE"; }
  ip link set "$BRIDGE" up
}

bridge_down_if_unused() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || return 0
  if ! ls -A "$SLOTS" 2>/dev/null | grep -q . && ! ip -o link show master "$BRIDGE" | grep -q .; then
    ip link del "$BRIDGE"
  fi
}

cmd_down() {
  local state=$1 d slot ipid
  [ -f "$state/.brickyard-netns" ] || die "$state is not a netns-sshd state directory"
  set +e
  # all hosts at once: when a host's PID 1 exits, the kernel kills everything else in its PID namespace
  for d in "$state"/host*/; do
    ipid=$(init_pid "$d")
    [ -n "$ipid" ] && kill -TERM "$ipid" 2>/dev/null
  done
  for d in "$state"/host*/; do
    [ -d "$d" ] || continue
    if [ -f "$d/unshare.pid" ]; then
      for _ in $(seq 100); do kill -0 "$(cat "$d/unshare.pid")" 2>/dev/null || break; sleep 0.05; done
      kill -KILL "$(cat "$d/unshare.pid")" 2>/dev/null
    fi
    [ -f "$d/netns" ] && ip netns del "$(cat "$d/netns")" 2>/dev/null
    [ -f "$d/veth" ] && ip link del "$(cat "$d/veth")" 2>/dev/null
    for img in "$d"/disk*.img; do
      [ -f "$img" ] || continue
      for l in $(losetup -j "$img" -O NAME -n 2>/dev/null); do
        for _ in $(seq 20); do losetup -d "$l" 2>/dev/null && break; sleep 0.2; done
      done
    done
  done
  slot=$(cat "$state/slot" 2>/dev/null)
  [ -n "$slot" ] && rm -rf "${SLOTS:?}/$slot"
  ( flock 9; bridge_down_if_unused ) 9>"$LOCK"
  rm -rf "$state"
  set -e
}

reclaim_stale_slots() {
  local s owner state
  for s in "$SLOTS"/*/; do
    [ -d "$s" ] || continue
    owner=$(cat "$s/owner" 2>/dev/null || echo 0)
    state=$(cat "$s/state" 2>/dev/null || true)
    if ! kill -0 "$owner" 2>/dev/null; then
      log "reclaiming stale slot $(basename "$s") (owner $owner gone)"
      if [ -n "$state" ] && [ -f "$state/.brickyard-netns" ]; then cmd_down "$state" || true; fi
      rm -rf "$s"
    fi
  done
}

claim_slot() {
  local state=$1 owner=$2 slot
  mkdir -p "$SLOTS"
  for slot in $(seq 0 "$MAX_SLOTS"); do
    if mkdir "$SLOTS/$slot" 2>/dev/null; then
      echo "$owner" > "$SLOTS/$slot/owner"; echo "$state" > "$SLOTS/$slot/state"
      echo "$slot"; return 0
    fi
  done
  return 1
}

write_sshd_config() { # state i ip
  local d=$1/host$2
  cat > "$d/sshd_config" <<EOF
ListenAddress $3
Port 22
HostKey $d/ssh_host_ed25519_key
AuthorizedKeysFile $1/authorized_keys/%u
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PidFile /run/sshd.pid
MaxSessions 32
MaxStartups 64
LogLevel ERROR
EOF
}

cmd_up() {
  local state=$1 count=$2; shift 2
  local glusterd=0 disks=0
  while [ $# -gt 0 ]; do
    case $1 in
      --glusterd) glusterd=1 ;;
      --disks) disks=$2; shift ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  (( count >= 1 && count <= HOSTS_PER_SLOT )) || die "COUNT must be 1..$HOSTS_PER_SLOT"
  [ -d "$state" ] && [ -z "$(ls -A "$state")" ] || die "STATE must be an empty directory"
  local owner=${NETNS_OWNER_PID:-$PPID} slot run i ip ns veth d
  touch "$state/.brickyard-netns"
  chmod 755 "$state"   # sshd reads authorized_keys as the logging-in user
  ( flock 9; reclaim_stale_slots; bridge_up ) 9>"$LOCK"
  slot=$(claim_slot "$state" "$owner") || die "no free slot under $SLOTS"
  echo "$slot" > "$state/slot"
  run=$(basename "$state" | tr -cd 'A-Za-z0-9' | tail -c 8)

  ssh-keygen -q -t ed25519 -N '' -C brickyard-test-client -f "$state/client_key"
  ssh-keygen -q -t ed25519 -N '' -C brickyard-test-other -f "$state/other_key"
  mkdir -m 755 "$state/authorized_keys"
  install -m 644 "$state/client_key.pub" "$state/authorized_keys/root"
  install -m 644 "$state/client_key.pub" "$state/authorized_keys/byuser"
  [ -d /var/lib/heketi ] || mkdir -p /var/lib/heketi   # mount point for each host's private copy

  : > "$state/hosts"
  for i in $(seq 1 "$count"); do
    d=$state/host$i ip=$(host_ip "$slot" "$i") ns=by-$run-$i veth=by${slot}h$i
    mkdir -p "$d/etc-upper" "$d/etc-work" "$d/root/var/lib/heketi"
    echo "$ns" > "$d/netns"; echo "$veth" > "$d/veth"; echo "$ip" > "$d/ip"
    ssh-keygen -q -t ed25519 -N '' -C "byhost$i" -f "$d/ssh_host_ed25519_key"
    write_sshd_config "$state" "$i" "$ip"
    if [ "$glusterd" = 1 ]; then
      mkdir -p "$d/root/var/lib" "$d/root/var/log/glusterfs"
      cp -a /var/lib/glusterd "$d/root/var/lib/glusterd"
      rm -f "$d/root/var/lib/glusterd/glusterd.info"
    fi
    local loops=()
    for k in $(seq 1 "$disks"); do
      truncate -s 640M "$d/disk$k.img"
      loops+=("$(losetup -f --show "$d/disk$k.img")")
    done
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    NODE_GLUSTERD=$glusterd NODE_COUNT=$count NODE_SLOT=$slot NODE_DISKS="${loops[*]}" \
      ip netns exec "$ns" unshare --mount --uts --pid --fork --mount-proc --propagation private --kill-child \
      "$SELF" node-init "$state" "$i" > "$d/init.log" 2>&1 &
    echo $! > "$d/unshare.pid"
    echo "$i $ip $ns ${loops[*]}" >> "$state/hosts"
  done
  for i in $(seq 1 "$count"); do
    d=$state/host$i ip=$(cat "$d/ip")
    local t=$SECONDS
    until [ -f "$d/ready" ] && timeout 1 bash -c "exec 3<>/dev/tcp/$ip/22" 2>/dev/null; do
      (( SECONDS - t > 30 )) && die "host$i ($ip) sshd not answering; see $d/init.log"
      sleep 0.1
    done
    if [ "$glusterd" = 1 ]; then
      t=$SECONDS
      until cmd_enter "$state" "$i" gluster --mode=script --timeout=5 pool list >/dev/null 2>&1; do
        (( SECONDS - t > 30 )) && die "host$i glusterd not answering; see $d/init.log"
        sleep 0.2
      done
    fi
  done
  cat "$state/hosts"
}

# PID 1 of host I: private /run, /etc, state directories; sshd (+ glusterd); then wait to be killed.
cmd_node_init() {
  local state=$1 i=$2 d=$1/host$2 p j
  hostname "byhost$i"
  mount -t tmpfs -o mode=755 brickyard-run /run
  mkdir -p /run/sshd /run/gluster /run/lock /run/lvm
  if [ -n "$NODE_DISKS" ]; then
    mkdir /run/host-dev
    mount --bind /dev /run/host-dev
    mount -t tmpfs -o mode=755,nosuid brickyard-dev /dev
    for p in null zero full random urandom tty loop-control fuse $NODE_DISKS; do cp -a "/run/host-dev/${p#/dev/}" /dev/; done
    mkdir -p /dev/mapper /dev/pts /dev/shm
    ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
    umount /run/host-dev; rmdir /run/host-dev
  fi
  mount --bind "$d/root/var/lib/heketi" /var/lib/heketi
  if [ "$NODE_GLUSTERD" = 1 ]; then
    for p in /var/lib/glusterd /var/log/glusterfs; do mount --bind "$d/root$p" "$p"; done
  fi
  mount -t overlay brickyard-etc -o "lowerdir=/etc,upperdir=$d/etc-upper,workdir=$d/etc-work" /etc
  echo "byhost$i" > /etc/hostname
  { echo "127.0.0.1 localhost"; for j in $(seq 1 "$NODE_COUNT"); do echo "$(host_ip "$NODE_SLOT" "$j") byhost$j"; done; } > /etc/hosts
  # root's home on a host is its own empty directory, as on a fresh storage node (not this machine's ~/.bashrc)
  mkdir -p "$d/root-home"
  sed -i -e "s|^root:\([^:]*\):0:0:\([^:]*\):[^:]*:|root:\1:0:0:\2:$d/root-home:|" /etc/passwd
  echo 'byuser:x:4242:4242:brickyard test user:/tmp:/bin/bash' >> /etc/passwd
  echo 'byuser:*:19000:0:99999:7:::' >> /etc/shadow
  echo 'byuser:x:4242:' >> /etc/group
  echo 'byuser ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/brickyard-byuser
  chmod 440 /etc/sudoers.d/brickyard-byuser
  /usr/sbin/sshd -f "$d/sshd_config"
  if [ "$NODE_GLUSTERD" = 1 ]; then
    glusterd -p /run/glusterd.pid --log-file=/var/log/glusterfs/glusterd.log
  fi
  echo ready > "$d/ready"
  trap 'exit 0' TERM INT
  while :; do sleep 3600 & wait $! || true; done
}

cmd_enter() {
  local state=$1 i=$2; shift 2
  local ipid; ipid=$(init_pid "$state/host$i") || die "host$i is not running"
  [ -n "$ipid" ] || die "host$i is not running"
  nsenter --target "$ipid" --mount --uts --ipc --net --pid -- "$@"
}

cmd_restart_sshd() {
  local state=$1 i=$2
  cmd_enter "$state" "$i" /bin/bash -c "kill \$(cat /run/sshd.pid); for _ in \$(seq 50); do [ -e /run/sshd.pid ] || break; sleep 0.05; done; /usr/sbin/sshd -f $state/host$i/sshd_config"
  local ip; ip=$(cat "$state/host$i/ip"); local t=$SECONDS
  until timeout 1 bash -c "exec 3<>/dev/tcp/$ip/22" 2>/dev/null; do (( SECONDS - t > 10 )) && die "sshd on host$i did not come back"; sleep 0.05; done
}

cmd_drop_connections() {
  # the per-connection processes are "sshd: USER [priv]" and "sshd: USER@notty"; the listener stays
  cmd_enter "$1" "$2" pkill -KILL -f '^sshd: [a-z_][a-z0-9_-]*( \[priv\]|@notty)' || true
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  node-init) shift; cmd_node_init "$@" ;;
  enter) shift; cmd_enter "$@" ;;
  restart-sshd) shift; cmd_restart_sshd "$@" ;;
  drop-connections) shift; cmd_drop_connections "$@" ;;
  *) die "usage: $0 up|down|restart-sshd|drop-connections|enter STATE ..." ;;
esac

# shellcheck shell=bash
# The ns tier (sourced by up.sh / down.sh): $LAB_NODES nodes made of namespaces on the host (network, mount,
# UTS, PID), each running its own sshd and glusterd with private /run, /etc (overlay), /var/lib/glusterd,
# /var/log/glusterfs and /var/lib/heketi. Disks are loop devices on sparse files. No LVM thin here: the host
# kernel has no device-mapper, so lvcreate fails (pvcreate/vgcreate work, and LVM is not even isolated between
# nodes, which share one kernel and /dev). Good for ssh, XFS, mount, fstab and the gluster lifecycle.
# Per node i, in $LAB_RUN/ns/node$i: unshare.pid, disk.img (-> /dev/loopN), spare.img, init.log.
# Env: NS_DISK_SIZE (4G), NS_SPARE_SIZE (1G).

: "${NS_DISK_SIZE:=4G}" "${NS_SPARE_SIZE:=1G}"
NS_PRIVATE_DIRS="${NS_PRIVATE_DIRS:-/var/lib/glusterd /var/log/glusterfs /var/lib/heketi}"
export NS_PRIVATE_DIRS

ns_name() { echo "$LAB_IFPREFIX-ns$1"; }
ns_dir() { echo "$LAB_RUN/ns/node$1"; }

tier_healthy() {
  [ -f "$LAB_RUN/nodes" ] && [ "$(cat "$LAB_RUN/tier" 2>/dev/null)" = ns ] || return 1
  local i
  for i in $(seq 1 "$LAB_NODES"); do
    pid_alive "$(cat "$(ns_dir "$i")/unshare.pid" 2>/dev/null)" || return 1
    lab_ssh "$(node_ip ns "$i")" true 2>/dev/null || return 1
  done
}

tier_up() {
  local t0=$EPOCHREALTIME i D ns ip disk spare lines="" p
  ensure_key
  command -v glusterd >/dev/null || die "glusterd missing: apt-get install glusterfs-server"
  mkdir -p "$LAB_RUN/ns"
  chmod 700 "$LAB_RUN"
  [ -f "$LAB_RUN/ns/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$LAB_RUN/ns/ssh_host_ed25519_key"
  install -m 600 "$LAB_KEY.pub" "$LAB_RUN/ns/authorized_keys"
  cat > "$LAB_RUN/ns/sshd_config" <<EOF
Port 22
HostKey $LAB_RUN/ns/ssh_host_ed25519_key
AuthorizedKeysFile $LAB_RUN/ns/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PidFile /run/sshd.pid
EOF
  # Mount points for the private directories; the ones created here are removed again by down.sh.
  for p in $NS_PRIVATE_DIRS; do
    [ -e "$p" ] || { mkdir -p "$p" && echo "$p" >> "$LAB_RUN/ns/created-dirs"; }
  done
  bridge_up
  for i in $(seq 1 "$LAB_NODES"); do
    ns=$(ns_name "$i") ip=$(node_ip ns "$i") D=$(ns_dir "$i")
    rm -rf "$D"
    mkdir -p "$D/root/var/lib"
    # a fresh glusterd working directory (hooks and groups from the package, no identity)
    cp -a /var/lib/glusterd "$D/root/var/lib/glusterd"
    rm -f "$D/root/var/lib/glusterd/glusterd.info"
    truncate -s "$NS_DISK_SIZE" "$D/disk.img"
    truncate -s "$NS_SPARE_SIZE" "$D/spare.img"
    disk=$(losetup -f --show "$D/disk.img")
    spare=$(losetup -f --show "$D/spare.img")
    ip netns add "$ns"
    ip link add "${ns}h" type veth peer name eth0 netns "$ns"
    ip link set "${ns}h" master "$LAB_BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip netns exec "$ns" unshare --mount --uts --pid --fork --mount-proc --propagation private --kill-child \
      "$LAB_DIR/ns-node-init.sh" "$i" "$D" > "$D/init.log" 2>&1 &
    echo $! > "$D/unshare.pid"
    lines+="node$i $ip $disk $spare"$'\n'
  done
  for i in $(seq 1 "$LAB_NODES"); do
    ip=$(node_ip ns "$i")
    wait_ssh "$ip" 60 || die "node$i ($ip): no sshd; see $(ns_dir "$i")/init.log"
    wait_glusterd "$ip" 60 || die "node$i ($ip): glusterd not answering; see $(ns_dir "$i")/init.log"
  done
  printf '%s' "$lines" | write_nodes_file ns
  log "ns lab up in $(since "$t0") s"
}

tier_down() {
  local D i upid ipid l ns
  unmount_client_mounts
  for D in "$LAB_RUN"/ns/node*/; do
    [ -d "$D" ] || continue
    i=$(basename "$D") && i=${i#node}
    if [ -f "$D/unshare.pid" ]; then
      upid=$(cat "$D/unshare.pid")
      # The node's PID 1 is unshare's child; when it exits the kernel kills every process of the node's
      # PID namespace (sshd, glusterd, bricks), and the node's mounts go with its mount namespace.
      ipid=$(ps -o pid= --ppid "$upid" 2>/dev/null | tr -d ' ' | head -1)
      [ -n "$ipid" ] && kill -TERM "$ipid" 2>/dev/null
      for _ in $(seq 50); do pid_alive "$upid" || break; sleep 0.1; done
      pid_alive "$upid" && kill -KILL "$upid" 2>/dev/null
    fi
    for l in $(losetup -n -O NAME -j "$D/disk.img" 2>/dev/null) $(losetup -n -O NAME -j "$D/spare.img" 2>/dev/null); do
      for _ in $(seq 20); do losetup -d "$l" 2>/dev/null && break; sleep 0.2; done
    done
  done
  for ns in $(ip netns list 2>/dev/null | awk -v pre="$LAB_IFPREFIX-ns" 'index($1, pre) == 1 { print $1 }'); do
    ip netns del "$ns" 2>/dev/null || true
  done
  for l in $(ip -o link show | awk -F': ' -v pre="$LAB_IFPREFIX-ns" 'index($2, pre) == 1 { sub(/@.*/, "", $2); print $2 }'); do
    ip link del "$l" 2>/dev/null || true
  done
  if [ -f "$LAB_RUN/ns/created-dirs" ]; then
    while read -r p; do rmdir "$p" 2>/dev/null || true; done < "$LAB_RUN/ns/created-dirs"
  fi
  rm -rf "$LAB_RUN/ns"
}

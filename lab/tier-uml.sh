# shellcheck shell=bash
# The uml tier (sourced by up.sh / down.sh): $LAB_NODES user-mode-linux kernels (Debian's `user-mode-linux`,
# Linux 6.1 as ordinary host processes, no KVM needed) booting the image of build-image.sh with systemd, sshd,
# glusterd and real LVM thin pools. Per node i, in $LAB_RUN/uml/node$i:
#   root.cow    copy-on-write layer over $LAB_ANCHOR/base.img (the base is never written)
#   data.img    sparse raw disk, /dev/ubdb in the node ($UML_DISK_SIZE): the disk the tests give to Brickyard
#   spare.img   sparse raw disk, /dev/ubdc in the node ($UML_SPARE_SIZE): for device-add tests
#   uml.pid     the kernel's host process, leader of its own process group (setsid)
# and a tap ${LAB_IFPREFIX}-uml$i on the bridge. Env: UML_MEM (MiB, 1024), UML_DISK_SIZE (10G),
# UML_SPARE_SIZE (2G), UML_SSH_TIMEOUT (300 s).

: "${UML_MEM:=1024}" "${UML_DISK_SIZE:=10G}" "${UML_SPARE_SIZE:=2G}" "${UML_SSH_TIMEOUT:=300}"

uml_dir() { echo "$LAB_RUN/uml/node$1"; }
uml_tap() { echo "$LAB_IFPREFIX-uml$1"; }

tier_healthy() {
  [ -f "$LAB_RUN/nodes" ] && [ "$(cat "$LAB_RUN/tier" 2>/dev/null)" = uml ] || return 1
  local i
  for i in $(seq 1 "$LAB_NODES"); do
    pid_alive "$(cat "$(uml_dir "$i")/uml.pid" 2>/dev/null)" || return 1
    lab_ssh "$(node_ip uml "$i")" true 2>/dev/null || return 1
  done
}

# Boots node $1 on the disks in its directory (a new root.cow on the first boot, the node's own afterwards).
uml_boot() {
  local i=$1 D tap ip
  D=$(uml_dir "$i") tap=$(uml_tap "$i") ip=$(node_ip uml "$i")
  ip link show "$tap" >/dev/null 2>&1 || ip tuntap add dev "$tap" mode tap
  ip link set "$tap" master "$LAB_BRIDGE" up
  # Guest RAM is an unlinked file in TMPDIR: keep it in memory. gro=1: without it host->guest TCP stalls
  # on large writes (the tap has TSO/GSO on); see /work/shared/storage-lab/README.md.
  TMPDIR=/dev/shm PATH="$LAB_RUN/uml/bin:$PATH" setsid linux.uml mem="${UML_MEM}M" \
    "ubd0=$D/root.cow,$LAB_ANCHOR/base.img" "ubd1=$D/data.img" "ubd2=$D/spare.img" root=/dev/ubda rw \
    "vec0:transport=tap,ifname=$tap,mac=52:54:00:b7:01:$(printf %02x "$i"),gro=1" \
    con0=null,fd:1 con=null quiet \
    "lab.ip=$ip/24" "lab.hostname=node$i" "lab.net=$LAB_NET" "lab.nodes=$LAB_NODES" "lab.first=$UML_FIRST" \
    < /dev/null >> "$D/console.log" 2>&1 &
  echo $! > "$D/uml.pid"
}

# Stops node $1 as a power button would: a clean poweroff, and the power cut (SIGKILL to the kernel's process
# group) when it has not halted within $2 seconds (0: the power is cut straight away). Prints "halted" or "cut".
uml_stop() {
  local i=$1 limit=${2:-120} pid start=$SECONDS
  pid=$(cat "$(uml_dir "$i")/uml.pid" 2>/dev/null) || return 0
  pid_alive "$pid" || { echo halted; return 0; }
  if ((limit > 0)); then
    timeout 10 ssh "${SSH_OPTS[@]}" "root@$(node_ip uml "$i")" 'systemctl poweroff' >/dev/null 2>&1 || true
  fi
  while pid_alive "$pid" && ((SECONDS - start < limit)); do sleep 0.5; done
  if pid_alive "$pid"; then
    kill -KILL -- "-$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    echo cut
  else
    # the kernel's helper processes (same group) exit just after it
    for _ in $(seq 25); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    echo halted
  fi
}

tier_up() {
  command -v linux.uml >/dev/null || die "linux.uml missing: apt-get install user-mode-linux (then lab/build-image.sh)"
  [ -f "$LAB_ANCHOR/base.img" ] || die "$LAB_ANCHOR/base.img missing: run lab/build-image.sh"
  [ -f "$LAB_KEY" ] || die "$LAB_KEY missing: the image trusts a key that is gone; run lab/build-image.sh --force"
  mkdir -p "$LAB_RUN/uml/bin"
  chmod 700 "$LAB_RUN"
  # A UML kernel reboots by exec'ing itself (argv[0], looked up in PATH) with every fd still open: the tap
  # stays attached to the old fd ("uml_tap: failed to select tap interface", no network after a reboot) and
  # the old guest RAM file stays allocated. This wrapper comes first in PATH and closes them before the exec.
  cat > "$LAB_RUN/uml/bin/linux.uml" <<WRAPPER
#!/bin/bash
for fd in \$(ls /proc/\$\$/fd); do [ "\$fd" -gt 2 ] && eval "exec \$fd>&-" 2>/dev/null; done
exec -a linux.uml $(command -v linux.uml) "\$@"
WRAPPER
  chmod 755 "$LAB_RUN/uml/bin/linux.uml"
  bridge_up
  local t0=$EPOCHREALTIME i D ip lines=""
  for i in $(seq 1 "$LAB_NODES"); do
    D=$(uml_dir "$i") ip=$(node_ip uml "$i")
    rm -rf "$D"
    mkdir -p "$D"
    truncate -s "$UML_DISK_SIZE" "$D/data.img"
    truncate -s "$UML_SPARE_SIZE" "$D/spare.img"
    uml_boot "$i"
    lines+="node$i $ip /dev/ubdb /dev/ubdc"$'\n'
  done
  log "started $LAB_NODES UML nodes (mem=${UML_MEM}M); waiting for ssh and glusterd"
  for i in $(seq 1 "$LAB_NODES"); do
    ip=$(node_ip uml "$i")
    wait_ssh "$ip" "$UML_SSH_TIMEOUT" || die "node$i ($ip) not reachable over ssh; see $(uml_dir "$i")/console.log"
    log "node$i ssh at $(since "$t0") s"
  done
  for i in $(seq 1 "$LAB_NODES"); do
    wait_glusterd "$(node_ip uml "$i")" 120 || die "glusterd on node$i not answering"
  done
  printf '%s' "$lines" | write_nodes_file uml
  log "uml lab up in $(since "$t0") s"
}

tier_down() {
  local D i p tap
  unmount_client_mounts
  for D in "$LAB_RUN"/uml/node*/; do
    [ -f "$D/uml.pid" ] || continue
    i=$(basename "$D") && i=${i#node}
    # A clean poweroff takes ~3 s; the disks are thrown away anyway, so do not wait for it long.
    uml_stop "$i" "$([ "${UML_FAST:-0}" = 1 ] && echo 0 || echo 10)" >/dev/null &
  done
  wait || true
  # Nodes of a run whose pid files were lost: their command lines name files under $LAB_RUN/uml/.
  for p in $(pids_of_lab_program linux.uml "$LAB_RUN/uml/"); do
    kill -KILL "$p" 2>/dev/null || true
  done
  for tap in $(ip -o link show | awk -F': ' -v pre="$LAB_IFPREFIX-uml" 'index($2, pre) == 1 { sub(/@.*/, "", $2); print $2 }'); do
    ip link del "$tap" 2>/dev/null || true
  done
  rm -rf "$LAB_RUN/uml"
}

#!/usr/bin/env bash
# Returns the running lab's nodes to blank storage nodes without rebooting them: client mounts under $LAB_RUN
# unmounted, every gluster volume stopped and deleted, peers detached, brick mounts and their fstab lines
# removed, every volume group on the lab disks removed, the disks wiped, /var/lib/heketi/mounts emptied.
# For use after an interrupted test run. Touches only the nodes listed in $LAB_RUN/nodes.
source "$(dirname "$0")/lib.sh"
need_root
[ -s "$LAB_RUN/nodes" ] || die "no $LAB_RUN/nodes: the lab is not up"
unmount_client_mounts
mapfile -t NODES < <(grep -v '^#' "$LAB_RUN/nodes")
read -r _ first_ip _ <<< "${NODES[0]}"

# Volumes and peers first, from one node (the pool is shared).
lab_ssh "$first_ip" 'bash -s' <<'EOF'
for v in $(gluster --mode=script volume list 2>/dev/null | grep -v '^No volumes'); do
  gluster --mode=script volume stop "$v" force >/dev/null 2>&1
  gluster --mode=script volume delete "$v" >/dev/null 2>&1 && echo "deleted volume $v"
done
for p in $(gluster --mode=script pool list 2>/dev/null | awk 'NR > 1 && $2 != "localhost" { print $2 }'); do
  gluster --mode=script peer detach "$p" force >/dev/null 2>&1 && echo "detached $p"
done
EOF

for line in "${NODES[@]}"; do
  read -r name ip disks <<< "$line"
  # shellcheck disable=SC2087  # $disks expands here, on purpose
  lab_ssh "$ip" "DISKS='$disks' bash -s" <<'EOF' 2>&1 | sed "s/^/[$name] /" &
export LVM_SUPPRESS_FD_WARNINGS=1
# a node that was detached from another one's pool still lists peers of its own
for p in $(gluster --mode=script pool list 2>/dev/null | awk 'NR > 1 && $2 != "localhost" { print $2 }'); do
  gluster --mode=script peer detach "$p" force >/dev/null 2>&1
done
for m in $(awk '$2 ~ "^/var/lib/heketi/mounts/" { print $2 }' /proc/mounts); do umount -l "$m"; done
sed -i '\|[[:space:]]/var/lib/heketi/mounts/|d' /etc/fstab
for vg in $(vgs --noheadings -o vg_name 2>/dev/null); do vgremove -qq -f "$vg" && echo "removed vg $vg"; done
for d in $DISKS; do
  pvremove -qq -ff -y "$d" >/dev/null 2>&1
  wipefs -q -a "$d"
done
rm -rf /var/lib/heketi/mounts/*
EOF
done
wait
log "lab nodes reset"

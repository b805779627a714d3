#!/usr/bin/env bash
# PID 1 of one ns-tier node, started by tier-ns.sh inside the node's network namespace under
#   unshare --mount --uts --pid --fork --mount-proc --propagation private --kill-child
# Gives the node private state, starts its sshd and glusterd, then waits until it is killed (which kills the
# whole node). Usage: ns-node-init.sh I NODE_DIR
set -euo pipefail
i=$1 D=$2
source "$(dirname "$0")/lib.sh"

hostname "node$i"
# /run: sshd pid, /run/glusterd.socket (which the gluster CLI uses), brick sockets, lvm locks
mount -t tmpfs -o mode=755 lab-run /run
mkdir -p /run/sshd /run/gluster /run/lock /run/lvm
# root's own home: the host's dotfiles (a shell rc that runs a version manager, say) are not a storage node's,
# and bash started by sshd reads ~/.bashrc for every command
mount -t tmpfs -o mode=700 lab-root /root
for p in $NS_PRIVATE_DIRS; do
  mkdir -p "$p" "$D/root$p"
  mount --bind "$D/root$p" "$p"
done
# /etc as an overlay rather than single-file bind mounts: `sed -i /etc/fstab` renames over the file,
# which fails (EBUSY) on a bind-mounted file.
mkdir -p "$D/etc-upper" "$D/etc-work"
mount -t overlay lab-etc -o "lowerdir=/etc,upperdir=$D/etc-upper,workdir=$D/etc-work" /etc
echo "node$i" > /etc/hostname
{
  echo "127.0.0.1 localhost"
  for j in $(seq 1 "$LAB_NODES"); do echo "$(node_ip ns "$j") node$j"; done
} > /etc/hosts
: > /etc/fstab

/usr/sbin/sshd -f "$LAB_RUN/ns/sshd_config"
glusterd -p /run/glusterd.pid --log-file=/var/log/glusterfs/glusterd.log
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $! || true; done

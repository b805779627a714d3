#!/usr/bin/env bash
# Builds the storage nodes' root filesystem image once: $LAB_ANCHOR/base.img (sparse ext4, Debian bookworm
# with systemd, sshd, lvm2 + thin-provisioning-tools, xfsprogs, glusterfs-server) and the lab ssh key
# $LAB_KEY (root's only authorized key in the image). The uml tier boots it read-only under per-node
# copy-on-write files. Takes ~2 min (debootstrap from the host's Debian mirror); a no-op when the image exists.
#   lab/build-image.sh [--force]
# Needs: debootstrap, e2fsprogs (mkfs.ext4 -d), and user-mode-linux installed FIRST: its kernel modules
# (/usr/lib/uml/modules: dm-thin-pool, fuse, loop ...) are copied into the image; without them LVM thin
# and the node's own fuse cannot work under UML.
source "$(dirname "$0")/lib.sh"
need_root
IMG="$LAB_ANCHOR/base.img"
ROOT="$LAB_ANCHOR/rootfs.build"
IMG_SIZE="${IMG_SIZE:-3G}"
if [ -f "$IMG" ] && [ "${1:-}" != --force ]; then
  log "$IMG exists (lab/build-image.sh --force to rebuild)"
  exit 0
fi
command -v debootstrap >/dev/null || die "apt-get install debootstrap"
command -v mkfs.ext4 >/dev/null || die "apt-get install e2fsprogs"
uml_modules=(/usr/lib/uml/modules/*)
[ -d "${uml_modules[0]}" ] || die "install user-mode-linux before building the image (its modules go into the image)"

MIRROR="${MIRROR:-}"
if [ -z "$MIRROR" ]; then
  MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
[ -n "$MIRROR" ] || die "no Debian mirror found in the host's apt sources; set MIRROR="

if [ "${1:-}" = --force ] && [ -f "$IMG" ]; then
  # A new key would lock out nodes built from the old image, so only a forced rebuild makes one.
  rm -f "$LAB_KEY" "$LAB_KEY.pub"
fi
ensure_key
t0=$SECONDS
log "debootstrap bookworm from $MIRROR into $ROOT"
rm -rf "$ROOT"
PACKAGES=systemd-sysv,udev,kmod,iproute2,procps,psmisc,attr,e2fsprogs,util-linux
PACKAGES+=,openssh-server,lvm2,thin-provisioning-tools,xfsprogs,glusterfs-server,glusterfs-client
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOT" "$MIRROR" > "$LAB_ANCHOR/debootstrap.log" 2>&1 ||
  die "debootstrap failed; see $LAB_ANCHOR/debootstrap.log"
log "debootstrap: $((SECONDS - t0)) s"

echo lab > "$ROOT/etc/hostname"
echo '127.0.0.1 localhost' > "$ROOT/etc/hosts"
echo 'LABEL=labroot / ext4 rw,errors=remount-ro 0 1' > "$ROOT/etc/fstab"
install -d -m 700 "$ROOT/root/.ssh"
install -m 600 "$LAB_KEY.pub" "$ROOT/root/.ssh/authorized_keys"
cat > "$ROOT/etc/ssh/sshd_config.d/lab.conf" << 'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
EOF

# One image for every node: address, hostname and the other nodes' names come from the kernel command line
# (lab.ip=A.B.C.D/24 lab.hostname=nodeI lab.net=A.B.C lab.nodes=N lab.first=F).
cat > "$ROOT/usr/local/sbin/lab-net" << 'EOF'
#!/bin/sh
set -e
for word in $(cat /proc/cmdline); do
  case "$word" in
    lab.ip=*) ADDR=${word#lab.ip=} ;;
    lab.hostname=*) NAME=${word#lab.hostname=} ;;
    lab.net=*) NET=${word#lab.net=} ;;
    lab.nodes=*) COUNT=${word#lab.nodes=} ;;
    lab.first=*) FIRST=${word#lab.first=} ;;
  esac
done
if [ -n "$NAME" ]; then hostname "$NAME"; echo "$NAME" > /etc/hostname; fi
ip link set lo up
IFACE=$(ls /sys/class/net | grep -E '^(eth|vec)' | head -1)
ip link set "$IFACE" up
[ -z "$ADDR" ] || ip addr add "$ADDR" dev "$IFACE"
echo '127.0.0.1 localhost' > /etc/hosts
if [ -n "$NET" ]; then
  n=1
  while [ "$n" -le "${COUNT:-3}" ]; do
    echo "$NET.$((${FIRST:-31} + n - 1)) node$n" >> /etc/hosts
    n=$((n + 1))
  done
fi
EOF
chmod 755 "$ROOT/usr/local/sbin/lab-net"
cat > "$ROOT/etc/systemd/system/lab-net.service" << 'EOF'
[Unit]
Description=Lab network and hostname from the kernel command line
DefaultDependencies=no
After=systemd-udevd.service
Wants=network.target
Before=network.target ssh.service glusterd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lab-net

[Install]
WantedBy=multi-user.target
EOF
printf 'dm_mod\ndm_thin_pool\nfuse\n' > "$ROOT/etc/modules-load.d/storage-lab.conf"
# (no distribution kernel in the image, so nothing else creates /lib/modules)
mkdir -p "$ROOT/lib/modules"
for m in "${uml_modules[@]}"; do
  rm -rf "$ROOT/lib/modules/$(basename "$m")"
  cp -a "$m" "$ROOT/lib/modules/"
done
[ -n "$(find "$ROOT/lib/modules/$(basename "${uml_modules[0]}")" -name 'dm-thin-pool.ko*' -print -quit 2>/dev/null)" ] ||
  die "the UML kernel modules did not land in $ROOT/lib/modules (no dm-thin-pool)"
chroot "$ROOT" systemctl enable lab-net.service ssh.service glusterd.service > /dev/null
# Timers that only cost CPU on a throw-away node.
chroot "$ROOT" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
  systemd-timesyncd.service > /dev/null 2>&1 || true
chroot "$ROOT" passwd -d root > /dev/null # console login only (con0 is not connected by up.sh)
chroot "$ROOT" apt-get clean

rm -f "$IMG.tmp"
truncate -s "$IMG_SIZE" "$IMG.tmp"
mkfs.ext4 -q -F -L labroot -d "$ROOT" "$IMG.tmp"
mv "$IMG.tmp" "$IMG"
rm -rf "$ROOT"
log "image $IMG built in $((SECONDS - t0)) s ($(du -h "$IMG" | cut -f1) allocated)"

#!/usr/bin/env bash
# Brings the storage lab up: three storage nodes on this machine, reachable as root over ssh.
#   lab/up.sh [uml|ns]      (default uml; `npm run lab:up`)
# Writes $LAB_RUN/nodes (default /tmp/brickyard-lab/nodes), one line per node:
#   nodeN IP RAWDEV SPAREDEV      e.g. "node1 10.213.0.31 /dev/ubdb /dev/ubdc"
# and $LAB_RUN/tier. The ssh key is $LAB_KEY (default /var/tmp/storage-lab/id_ed25519), user root.
# Safe to run again: a healthy lab of the same tier is left as it is; leftovers of a crashed run (processes,
# taps, namespaces, loop devices) are cleared first.
source "$(dirname "$0")/lib.sh"
tier=${1:-uml}
check_tier "$tier"
need_root
running=$(cat "$LAB_RUN/tier" 2>/dev/null || true)
if [ -n "$running" ] && [ "$running" != "$tier" ]; then
  die "the $running tier is up in $LAB_RUN; run lab/down.sh first"
fi
# shellcheck source=/dev/null
source "$LAB_DIR/tier-$tier.sh"
if tier_healthy; then
  log "$tier lab already up"
  cat "$LAB_RUN/nodes"
  exit 0
fi
log "clearing leftovers of an earlier $tier lab, if any"
rm -f "$LAB_RUN/nodes" "$LAB_RUN/tier"
(set +e; tier_down)
check_subnet_free
tier_up
cat "$LAB_RUN/nodes"

#!/usr/bin/env bash
# Takes the storage lab down: client mounts under $LAB_RUN, node processes (by their recorded pids),
# taps / veths / namespaces / loop devices this lab made, the bridge once unused, $LAB_RUN's tier state.
#   lab/down.sh [uml|ns]    (default: every tier; `npm run lab:down`)
# Safe to run any number of times, also after a crash. Keeps $LAB_ANCHOR (image, key).
source "$(dirname "$0")/lib.sh"
need_root
tiers=${1:-uml ns}
set +e
for tier in $tiers; do
  check_tier "$tier"
  t0=$EPOCHREALTIME
  (
    # shellcheck source=/dev/null
    source "$LAB_DIR/tier-$tier.sh"
    set +e
    tier_down
  )
  if [ "$(cat "$LAB_RUN/tier" 2>/dev/null)" = "$tier" ]; then rm -f "$LAB_RUN/nodes" "$LAB_RUN/tier"; fi
  log "$tier lab down ($(since "$t0") s)"
done
bridge_down_if_unused
rmdir "$LAB_RUN/mnt" "$LAB_RUN" 2>/dev/null
exit 0

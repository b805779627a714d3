#!/usr/bin/env bash
# Powers one node of the running uml lab off or on from the host, as its power button would:
#   lab/node.sh stop nodeN [seconds]   clean poweroff; the power is cut (SIGKILL) when it has not halted in
#                                      time (default 120 s; 0 cuts it straight away). Prints "halted" or "cut".
#   lab/node.sh start nodeN            boots it again on its own disks and root filesystem, same address;
#                                      returns once ssh and glusterd answer. Prints the boot time.
# A node restart in the tests is stop + start rather than `systemctl reboot`: UML reboots by re-exec'ing the
# kernel in place, and in one CI run such a reboot never came back (no ssh within 300 s); a cold boot takes
# the path lab/up.sh takes.
source "$(dirname "$0")/lib.sh"
need_root
[ "$(cat "$LAB_RUN/tier" 2>/dev/null)" = uml ] || die "the uml lab is not up in $LAB_RUN"
action=${1:-} name=${2:-}
[[ "$name" =~ ^node([1-9][0-9]?)$ ]] || die "usage: lab/node.sh stop|start nodeN"
i=${BASH_REMATCH[1]}
((i <= LAB_NODES)) || die "$name: the lab has $LAB_NODES nodes"
# shellcheck source=/dev/null
source "$LAB_DIR/tier-uml.sh"
ip=$(node_ip uml "$i")
case "$action" in
  stop)
    limit=${3:-120}
    [[ "$limit" =~ ^[0-9]+$ ]] || die "seconds must be a whole number, not '$limit'"
    uml_stop "$i" "$limit"
    ;;
  start)
    pid_alive "$(cat "$(uml_dir "$i")/uml.pid" 2>/dev/null)" && die "$name is running; stop it first"
    t0=$EPOCHREALTIME
    uml_boot "$i"
    wait_ssh "$ip" "$UML_SSH_TIMEOUT" || die "$name ($ip) not reachable over ssh; see $(uml_dir "$i")/console.log"
    wait_glusterd "$ip" 120 || die "glusterd on $name not answering"
    echo "up in $(since "$t0") s"
    ;;
  *) die "usage: lab/node.sh stop|start nodeN" ;;
esac

#!/usr/bin/env bash
# CI entry for the end-to-end suite on real storage nodes:
#   image (built only if missing) -> `npm run build` -> uml lab up -> `npm run test:e2e` -> lab down (always)
# and a summary of the timings. Installs nothing (the Debian packages are listed in docs/lab.md).
# Exit status: 0 only when every suite passed (E2E_SUITE_TIMEOUT_S bounds each, default 1800). Env: LAB_KEEP=1 leaves the lab up afterwards (for a second run or a look around);
# E2E_OUT (default $LAB_RUN/e2e): console-nodeN-*.log (after a failure), timings.txt, create-transcript.txt, failed-create-transcript.txt,
# docker-timings.txt, docker-transcript.txt (the Docker plugin's commands as a user sees them),
# heketi-import-timings.txt, heketi-import-report.json.
source "$(dirname "$0")/lib.sh"
need_root
cd "$LAB_DIR/.."
export E2E_OUT="${E2E_OUT:-$LAB_RUN/e2e}"
T0=$EPOCHREALTIME
declare -a SUMMARY
note() { SUMMARY+=("$(printf '%7s s  %s' "$1" "$2")"); }

# The nodes' console logs go with their run directory at lab down: after a failure they are kept in $E2E_OUT.
keep_consoles() { # label
  local D
  mkdir -p "$E2E_OUT"
  for D in "$LAB_RUN"/uml/node*/; do
    [ -f "$D/console.log" ] && cp "$D/console.log" "$E2E_OUT/console-$(basename "$D")-$1.log"
  done
  return 0
}

finish() {
  local rc=$?
  [ "$rc" -eq 0 ] || keep_consoles end
  if [ "${LAB_KEEP:-0}" = 1 ]; then
    log "LAB_KEEP=1: the lab stays up (bash lab/down.sh to stop it)"
  else
    local t=$EPOCHREALTIME
    bash "$LAB_DIR/down.sh" uml
    note "$(since "$t")" "lab down"
  fi
  note "$(since "$T0")" "TOTAL (run-e2e.sh)"
  {
    echo
    echo "==== end-to-end timings ===="
    printf '%s\n' "${SUMMARY[@]}"
    if [ -f "$E2E_OUT/timings.txt" ]; then
      echo "---- inside the suite ----"
      cat "$E2E_OUT/timings.txt"
    fi
    if [ -f "$E2E_OUT/heketi-import-timings.txt" ]; then
      echo "---- Heketi import (test/e2e/heketi-import.test.ts) ----"
      cat "$E2E_OUT/heketi-import-timings.txt"
    fi
    if [ -f "$E2E_OUT/docker-timings.txt" ]; then
      echo "---- Docker volume plugin (test/e2e/docker-plugin.test.ts) ----"
      cat "$E2E_OUT/docker-timings.txt"
    fi
    if [ -f "$E2E_OUT/csi-timings.txt" ]; then
      echo "---- CSI driver (test/e2e/csi.test.ts) ----"
      cat "$E2E_OUT/csi-timings.txt"
    fi
    echo "suite exit status: $rc; transcripts in $E2E_OUT"
  } >&2
  exit "$rc"
}
trap finish EXIT

rm -rf "$E2E_OUT"
t=$EPOCHREALTIME
bash "$LAB_DIR/build-image.sh"
note "$(since "$t")" "image (build-image.sh; 0 when it exists)"

t=$EPOCHREALTIME
npm run --silent build
note "$(since "$t")" "npm run build"

t=$EPOCHREALTIME
bash "$LAB_DIR/up.sh" uml
note "$(since "$t")" "lab up (uml, 3 nodes: ssh + glusterd answering)"

# Every end-to-end suite gates. The lab-proven storage suite runs first; then the CSI driver, the Docker plugin
# and the Heketi import, each on its own, so that each one's result and timings are printed. A suite that fails
# may leave things on the nodes, or a node down (lab/reset.sh cannot blank a node it cannot reach, and gluster
# will not delete a volume while a peer is down): the next suite gets a fresh lab instead.
mapfile -t SUITES < <(echo test/e2e/storage-nodes.test.ts; find test/e2e -maxdepth 1 -name '*.test.ts' ! -name storage-nodes.test.ts | sort)
rc=0
for suite in "${SUITES[@]}"; do
  t=$EPOCHREALTIME
  set +e
  timeout "${E2E_SUITE_TIMEOUT_S:-1800}" npm run --silent test:e2e -- "$suite"
  suite_rc=$?
  set -e
  note "$(since "$t")" "npm run test:e2e -- $suite -> exit $suite_rc"
  if [ "$suite_rc" -ne 0 ]; then
    rc=$suite_rc
    if [ "$suite" != "${SUITES[-1]}" ]; then
      log "FAILED: $suite (exit $suite_rc); a fresh lab for the next suite"
      keep_consoles "after-$(basename "$suite" .test.ts)"
      t=$EPOCHREALTIME
      bash "$LAB_DIR/down.sh" uml
      bash "$LAB_DIR/up.sh" uml
      note "$(since "$t")" "lab down + up after the failure"
    fi
  fi
done
exit "$rc"

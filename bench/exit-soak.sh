#!/usr/bin/env bash
# Runs the default quick run N times in a row and counts the exit codes: every one must be 0
# (a crash at exit, such as a segfault from Dawn objects torn down out of order, shows as 139).
# Usage: bash bench/exit-soak.sh [N=20] [extra wgbench run args...]
set -u
cd "$(dirname "$0")/.."
n=${1:-20}
shift || true
declare -A codes
for i in $(seq 1 "$n"); do
  node bin/wgbench.js run --quick --no-progress "$@" >/dev/null 2>"/tmp/wgbench-exit-soak-$i.err"
  rc=$?
  codes[$rc]=$(( ${codes[$rc]:-0} + 1 ))
  echo "run $i: exit $rc"
done
for rc in "${!codes[@]}"; do echo "exit $rc: ${codes[$rc]} of $n runs"; done
[ "${codes[0]:-0}" -eq "$n" ]

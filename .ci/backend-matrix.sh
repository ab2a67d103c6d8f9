#!/usr/bin/env bash
# The backend matrix: the GPU tests' kernel checks (every suite's cases, every dtype the adapter
# offers) and a whole `wgbench run --quick` on each CPU compiler WebGPU reaches here, besides the
# lavapipe run of `npm test`:
#   swiftshader     SwiftShader's Vulkan (from Chromium)
#   opengles-mesa22 Dawn's GL ES on Debian 12's stock Mesa 22.3.6 (what a fresh machine has)
#   opengles-mesa25 Dawn's GL ES on Mesa 25 (installed with lavapipe)
# Usage: .ci/backend-matrix.sh OUTDIR [leg...]   (all legs by default). Each leg writes
# OUTDIR/LEG.json (vitest's JSON report); .ci/summarise-matrix.mjs prints the counts.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: backend-matrix.sh OUTDIR [leg...]}
shift
mkdir -p "$out"
legs=("$@")
[ ${#legs[@]} -gt 0 ] || legs=(swiftshader opengles-mesa22 opengles-mesa25)
hide_vulkan="VK_DRIVER_FILES=/nonexistent.json VK_ICD_FILENAMES=/nonexistent.json"
status=0
for leg in "${legs[@]}"; do
  case "$leg" in
    swiftshader) env_line="WGBENCH_TEST_BACKEND=swiftshader" ;;
    opengles-mesa22) env_line="$(bash .ci/stock-mesa-gl.sh /tmp/wgbench-mesa22 | sed 's/^export //') WGBENCH_TEST_BACKEND=opengles" ;;
    opengles-mesa25) env_line="$hide_vulkan WGBENCH_TEST_BACKEND=opengles" ;;
    *) echo "backend-matrix: unknown leg $leg (swiftshader, opengles-mesa22, opengles-mesa25)" >&2; exit 2 ;;
  esac
  echo "=== backend $leg: $env_line"
  start=$(date +%s)
  # The kernel checks (every suite's cases, every dtype the adapter offers, the planted bugs) and
  # the adapter/timer tests; the CLI, signal and package tests exercise code that is the same on
  # every compiler and run once, on lavapipe, in npm test. A failed test is retried once: the CPU
  # timer's checks can lose to a busy 2-core runner, while a miscompile fails both attempts. The
  # summary names every test that needed the retry, with its first failure.
  # shellcheck disable=SC2086
  env $env_line npx vitest run test/matrix test/gpu/attention.test.ts test/gpu/compute.test.ts test/gpu/kvtier.test.ts \
    test/gpu/llm.test.ts test/gpu/memcopy.test.ts test/gpu/overhead.test.ts test/gpu/peers.test.ts test/gpu/runtime.test.ts test/gpu/subgroupMatrixEmulated.test.ts test/gpu/tunePlanted.test.ts \
    --retry=1 --reporter=default --reporter=json --outputFile.json="$out/$leg.json" || status=1
  echo "=== backend $leg took $(( $(date +%s) - start )) s"
done
exit $status

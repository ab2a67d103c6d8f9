#!/usr/bin/env bash
# The compute check on the lent GPU machine (see shared/device/README.md), from the repo root:
#   bash .devkit/run.sh bash bench/device-compute.sh
# Calibrates, runs the peak and matmul suites against the calibrated and datasheet peaks, then
# times cuBLAS through PyTorch in the same command. Everything lands under $OUT.
set -uo pipefail
out=${OUT:-device-out}
mkdir -p "$out"
export NO_COLOR=1 WGBENCH_CALIBRATION_DIR=/tmp/wgbench-calibration
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem --format=csv,noheader || true
  echo "== wgbench calibrate"
  node bin/wgbench.js calibrate --json "$out/calibration-run.json" --no-progress
  echo "calibrate exit: $?"
  cp "$WGBENCH_CALIBRATION_DIR"/*.json "$out/calibration.json"
  echo "== wgbench run --suite peak,matmul"
  node bin/wgbench.js run --suite peak,matmul --json "$out/compute.json" --html "$out/compute.html" --no-progress
  echo "run exit: $?"
  echo "== native reference (PyTorch/cuBLAS, same GPU, same command)"
  python3 bench/native/matmul_torch.py "$out/native-matmul.json" 4096
} 2>&1 | grep -v 'artificially reduced' | tee "$out/log.txt"

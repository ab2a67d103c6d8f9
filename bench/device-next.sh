#!/usr/bin/env bash
# What is still to be measured on the lent GPU machine after 2026-11-27, as one command sized for
# a 15-minute lease (about 8 minutes of wall time; each step has its own time limit, 540 s in all,
# so one slow step cannot eat the rest and the whole stays under the 600 s a command may run). From the repo root, after `npm run build` and the device kit's pack:
#   bash .devkit/run.sh bash bench/device-next.sh
# 1. calibrate: FMA and matrix-unit peaks (direct and staged subgroup-matrix kernels) and the copy
#    bandwidth that the decode step's MBU divides by;
# 2. the matmul suite at 4096 (every variant, the staged subgroup-matrix GEMMs and the GEMVs);
# 3. the tiled f32 kernel over nine tile shapes, three of them software-pipelined;
# 4. the Llama-2-7B decode step (1 sequence, 1,024 tokens of context) at three GEMV split targets;
# 5. attention at the SDPA shape: flash f32/f16 and f16 on subgroup matrices, paged decode;
# 6. cuBLAS and SDPA through PyTorch in the same command.
set -uo pipefail
out=${OUT:-device-out}
mkdir -p "$out"
export NO_COLOR=1 WGBENCH_CALIBRATION_DIR=/tmp/wgbench-calibration
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem --format=csv,noheader || true
  echo "== wgbench calibrate"
  SECONDS=0
  timeout 90 node bin/wgbench.js calibrate --json "$out/calibration-run.json" --no-progress
  echo "calibrate exit: $? (${SECONDS}s)"
  cp "$WGBENCH_CALIBRATION_DIR"/*.json "$out/calibration.json"
  echo "== wgbench run --suite matmul"
  SECONDS=0
  timeout 100 node bin/wgbench.js run --suite matmul --json "$out/matmul.json" --no-progress
  echo "matmul exit: $? (${SECONDS}s)"
  echo "== tile sweep"
  SECONDS=0
  timeout 50 node bench/tile-sweep.mjs "$out/tiles.json" 4096
  echo "tiles exit: $? (${SECONDS}s)"
  echo "== 7B decode step"
  SECONDS=0
  timeout 120 node --max-old-space-size=16000 bench/llm-device.mjs "$out/llm.json" 256,512,1024
  echo "llm exit: $? (${SECONDS}s)"
  echo "== attention"
  SECONDS=0
  timeout 100 node bench/attention-device.mjs "$out/attention.json"
  echo "attention exit: $? (${SECONDS}s)"
  echo "== native reference (PyTorch: cuBLAS and SDPA, same GPU, same command)"
  SECONDS=0
  timeout 40 python3 bench/native/matmul_torch.py "$out/native-matmul.json" 4096
  timeout 40 python3 bench/native/attention_torch.py "$out/native-attention.json"
  echo "native exit: $? (${SECONDS}s)"
} 2>&1 | grep -v 'artificially reduced' | tee "$out/log.txt"

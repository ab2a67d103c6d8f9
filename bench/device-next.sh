#!/usr/bin/env bash
# What is still to be measured on the lent GPU machine after 2026-11-27, as one command sized for
# a 15-minute lease (about 8 minutes of wall time; each step has its own time limit, 565 s in all,
# so one slow step cannot eat the rest and the whole stays under the 600 s a command may run). From the repo root, after `npm run build` and the device kit's pack:
#   bash .devkit/run.sh bash bench/device-next.sh
# 1. calibrate: FMA and matrix-unit peaks (direct and staged subgroup-matrix kernels) and the copy
#    bandwidth that the decode step's MBU divides by;
# 2. wgbench tune within 60 s (memcopy launches, the tiled f32 tile, the GEMV split, the staged
#    subgroup-matrix GEMM's layout, tile, K step, padding and pipelining for f16 and int8, the
#    flash-tiled block and the staged subgroup-matrix flash kernel's subgroups per head dim),
#    stored beside the calibration, so the next steps run on the tuned shapes;
# 3. the matmul suite at 4096 (every variant, the staged subgroup-matrix GEMMs and the GEMVs), on
#    the tuned shapes (each case says tuned or default);
# 4. the Llama-2-7B decode step (1 sequence, 1,024 tokens of context) at three GEMV split targets;
# 5. attention at the SDPA shape: flash f32/f16 (flash-tiled on the tuned block) and f16 on subgroup matrices, paged decode;
# 6. the overhead suite (per dispatch, pass, submit; readback, upload, compiles);
# 7. cuBLAS, SDPA and CUDA's own launch cost (the same fit over the same counts) through PyTorch.
# SMOKE=1 runs the same steps at the quick sizes with the tiny model, to try the plan on a CPU adapter.
set -uo pipefail
out=${OUT:-device-out}
mkdir -p "$out"
export NO_COLOR=1 WGBENCH_CALIBRATION_DIR=/tmp/wgbench-calibration
quick=() size=4096
if [ -n "${SMOKE:-}" ]; then quick=(--quick) size=256; export MODEL=${MODEL:-tiny} CONTEXT=${CONTEXT:-64}; fi
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem --format=csv,noheader || true
  echo "== wgbench calibrate"
  SECONDS=0
  timeout 90 node bin/wgbench.js calibrate "${quick[@]}" --json "$out/calibration-run.json" --no-progress
  echo "calibrate exit: $? (${SECONDS}s)"
  cp "$WGBENCH_CALIBRATION_DIR"/*[!g].json "$out/calibration.json" 2>/dev/null || true
  echo "== wgbench tune"
  SECONDS=0
  timeout 68 node bin/wgbench.js tune --budget 60 "${quick[@]}" --json "$out/tune.json" --no-progress
  echo "tune exit: $? (${SECONDS}s)"
  cp "$WGBENCH_CALIBRATION_DIR"/*.tuning.json "$out/tuning.json" 2>/dev/null || true
  echo "== wgbench run --suite matmul (tuned shapes)"
  SECONDS=0
  timeout 90 node bin/wgbench.js run --suite matmul "${quick[@]}" --json "$out/matmul.json" --no-progress
  echo "matmul exit: $? (${SECONDS}s)"
  echo "== 7B decode step"
  SECONDS=0
  timeout 110 node --max-old-space-size=16000 bench/llm-device.mjs "$out/llm.json" 256,512,1024
  echo "llm exit: $? (${SECONDS}s)"
  echo "== attention"
  SECONDS=0
  timeout 85 node bench/attention-device.mjs "$out/attention.json"
  echo "attention exit: $? (${SECONDS}s)"
  echo "== overhead"
  SECONDS=0
  timeout 32 node bin/wgbench.js run --suite overhead "${quick[@]}" --json "$out/overhead.json" --md "$out/overhead.md" --no-progress
  echo "overhead exit: $? (${SECONDS}s)"
  echo "== native reference (PyTorch: cuBLAS and SDPA, same GPU, same command)"
  SECONDS=0
  timeout 40 python3 bench/native/matmul_torch.py "$out/native-matmul.json" "$size"
  timeout 35 python3 bench/native/attention_torch.py "$out/native-attention.json"
  timeout 15 python3 bench/native/launch_torch.py "$out/native-launch.json"
  echo "native exit: $? (${SECONDS}s)"
} 2>&1 | grep -v 'artificially reduced' | tee "$out/log.txt"

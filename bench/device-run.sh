#!/usr/bin/env bash
# The GPU check, run on the lent machine from the repo root (see shared/device/README.md):
#   bash .devkit/run.sh bash bench/device-run.sh
# Writes everything under $OUT (or ./device-out): probe, wgbench results, native reference, log.
set -uo pipefail
out=${OUT:-device-out}
mkdir -p "$out"
export NO_COLOR=1
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem --format=csv,noheader || true
  node --version
  echo "== probe (benchmark toggles)"
  node bin/wgbench.js probe
  echo "== probe without default toggles (Dawn's timestamp quantization left on)"
  node bin/wgbench.js probe --no-default-toggles --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(JSON.parse(s).timer)))'
  echo "== wgbench memcopy (full sweep)"
  node bin/wgbench.js run --suite memcopy --json "$out/memcopy.json" --no-progress
  echo "wgbench exit: $?"
  echo "== native reference (PyTorch, same GPU, same run)"
  python3 bench/native/memcopy_torch.py "$out/native-memcopy.json"
  if [ "${TUNE:-0}" = 1 ]; then
    echo "== memcopy tuning sweep at 1 GiB (workgroup size × elements per thread)"
    node bench/tune-memcopy.mjs 1024 "$out/tune-memcopy.json"
  fi
} 2>&1 | grep -v 'artificially reduced' | tee "$out/log.txt"

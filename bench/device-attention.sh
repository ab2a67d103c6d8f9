#!/usr/bin/env bash
# The attention check on the lent GPU machine: bash .devkit/run.sh bash bench/device-attention.sh
set -uo pipefail
out=${OUT:-device-out}
mkdir -p "$out"
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
  echo "== wgbench attention"
  node bench/attention-device.mjs "$out/attention.json"
  echo "== native reference (PyTorch SDPA, same GPU, same command)"
  python3 bench/native/attention_torch.py "$out/native-attention.json"
} 2>&1 | grep -v 'artificially reduced' | tee "$out/log.txt"

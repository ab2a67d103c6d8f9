#!/usr/bin/env bash
# The kvtier check on the lent GPU machine: bash .devkit/run.sh bash bench/device-kvtier.sh
set -uo pipefail
out=${OUT:-device-out}
mkdir -p "$out"
{
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.max,pcie.link.width.max --format=csv,noheader || true
  df -h /tmp | tail -1
  echo "== wgbench kvtier"
  node bench/kvtier-device.mjs "$out/kvtier.json" /tmp
  echo "== native reference (PyTorch, same GPU, same command)"
  python3 bench/native/transfer_torch.py "$out/native-transfer.json" 1 16 256
} 2>&1 | grep -v 'artificially reduced' | tee "$out/log.txt"

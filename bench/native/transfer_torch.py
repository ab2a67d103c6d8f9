"""Native reference for kvtier: host<->device copies (pageable and pinned) and device copies with PyTorch.

Timed like wgbench's host-timed transfers: host clock around one copy until it is complete
(torch.cuda.synchronize). Usage: python3 transfer_torch.py OUT.json [sizes in MiB...]
"""
import json
import statistics
import sys
import time

import torch

MiB = 1024 * 1024


def time_copy(dst, src, min_samples=10, budget_s=0.5, warmup=3):
    for _ in range(warmup):
        dst.copy_(src)
    torch.cuda.synchronize()
    samples = []
    start = time.perf_counter()
    while len(samples) < min_samples or (time.perf_counter() - start < budget_s and len(samples) < 1000):
        t0 = time.perf_counter()
        dst.copy_(src)
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - t0) * 1e9)
    return samples


def main():
    out_path = sys.argv[1]
    sizes = [int(s) * MiB for s in sys.argv[2:]] or [MiB, 16 * MiB, 256 * MiB]
    results = []
    for size in sizes:
        dev_a = torch.randint(0, 255, (size,), dtype=torch.uint8, device="cuda")
        dev_b = torch.empty_like(dev_a)
        pageable = torch.randint(0, 255, (size,), dtype=torch.uint8)
        pinned = pageable.pin_memory()
        host_pageable = torch.empty(size, dtype=torch.uint8)
        host_pinned = torch.empty(size, dtype=torch.uint8).pin_memory()
        cases = {
            "h2d-pageable": (dev_b, pageable), "h2d-pinned": (dev_b, pinned),
            "d2h-pageable": (host_pageable, dev_a), "d2h-pinned": (host_pinned, dev_a),
            "d2d": (dev_b, dev_a),
        }
        for name, (dst, src) in cases.items():
            s = time_copy(dst, src)
            assert torch.equal(dst.cpu() if dst.is_cuda else dst, src.cpu() if src.is_cuda else src), name
            med = statistics.median(s)
            p99 = sorted(s)[min(len(s) - 1, int(0.99 * len(s)))]
            results.append({"case": name, "bytes": size, "samplesNs": s, "medianGBps": size / med, "medianNs": med, "p99Ns": p99, "count": len(s)})
            print(f"native {name:13s} {size // MiB:4d} MiB  {size / med:8.2f} GB/s  median {med / 1e3:9.1f} us  p99 {p99 / 1e3:9.1f} us  n={len(s)}")
    with open(out_path, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "timer": "host perf_counter around copy_ + torch.cuda.synchronize", "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

"""Native reference for the memcopy suite: device copy, read and write bandwidth with PyTorch on CUDA.

Counts bytes the way wgbench does (copy: read + write; read and write: the one side) and times
with CUDA events: each sample is `reps` back-to-back launches, reported per launch.
Usage: python3 memcopy_torch.py OUT.json [sizes in MiB...]
"""
import json
import statistics
import sys

import torch

MiB = 1024 * 1024


def time_op(op, reps, samples=10, warmup=3):
    for _ in range(warmup):
        op()
    torch.cuda.synchronize()
    out = []
    for _ in range(samples):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            op()
        end.record()
        end.synchronize()
        out.append(start.elapsed_time(end) * 1e6 / reps)  # ns per launch
    return out


def reps_for(op, target_ms=100.0):
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    op()
    end.record()
    end.synchronize()
    ms = max(start.elapsed_time(end), 1e-3)
    return max(1, min(1024, round(target_ms / ms)))


def main():
    out_path = sys.argv[1]
    sizes = [int(s) * MiB for s in sys.argv[2:]] or [m * MiB for m in (1, 4, 16, 64, 256, 1024)]
    results = []
    for size in sizes:
        n = size // 4
        src = torch.rand(n, device="cuda", dtype=torch.float32)
        dst = torch.empty_like(src)
        acc = torch.empty((), device="cuda", dtype=torch.float32)
        ops = {
            "copy": (lambda: dst.copy_(src), 2 * size, "torch copy_"),
            "read": (lambda: torch.sum(src, dim=0, out=acc), size, "torch sum"),
            "write": (lambda: dst.fill_(1.0), size, "torch fill_"),
        }
        dst.copy_(src)
        assert torch.equal(dst, src), "copy check failed"
        for kernel, (op, nbytes, method) in ops.items():
            samples = time_op(op, reps_for(op))
            med = statistics.median(samples)
            results.append({
                "kernel": kernel, "bufferBytes": size, "bytesCounted": nbytes, "method": method,
                "samplesNs": samples, "medianGBps": nbytes / med, "minGBps": nbytes / max(samples),
                "maxGBps": nbytes / min(samples),
            })
        del src, dst
        torch.cuda.empty_cache()
    doc = {
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "timer": "torch.cuda.Event elapsed_time per sample of reps launches",
        "results": results,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2)
    for r in results:
        print(f"native {r['kernel']:5s} {r['bufferBytes'] // MiB:5d} MiB  {r['medianGBps']:8.1f} GB/s  ({r['minGBps']:.1f}-{r['maxGBps']:.1f})")


if __name__ == "__main__":
    main()

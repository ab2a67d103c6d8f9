"""Native reference for the overhead suite on CUDA: what a kernel launch costs.

The smallest real kernel PyTorch launches, an in-place add on a one-element tensor, is launched
N times back to back for N in the overhead suite's dispatch counts (1 ... 4096), timed with CUDA
events around the N launches (GPU clock, as wgbench's timestamps), and again on the host clock
around launch + synchronize. The per-launch cost is the slope of a least-squares line of time
against N, with its intercept and R², as wgbench's fit does (docs/metrics.md). The counter is
checked: after every sample it must have gained exactly N.
Usage: python3 launch_torch.py OUT.json [rounds]
"""
import json
import statistics
import sys
import time

import torch

COUNTS = [1, 16, 64, 256, 1024, 4096]


def fit(points):
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for _, y in points)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in points)
    return {"slopeNs": slope, "interceptNs": intercept, "r2": 1 - ss_res / ss_tot if ss_tot > 0 else 1.0, "points": n}


def main():
    out_path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    counter = torch.zeros(1, device="cuda", dtype=torch.int64)
    gpu_points, host_points, slopes = [], [], []
    for r in range(rounds + 1):
        order = COUNTS if r % 2 == 0 else list(reversed(COUNTS))
        round_points = []
        for n in order:
            torch.cuda.synchronize()
            before = int(counter.item())
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            t0 = time.perf_counter_ns()
            start.record()
            for _ in range(n):
                counter.add_(1)
            end.record()
            end.synchronize()
            host_ns = time.perf_counter_ns() - t0
            gpu_ns = start.elapsed_time(end) * 1e6
            assert int(counter.item()) == before + n, "launch check failed: the counter did not gain N"
            if r == 0:
                continue  # warm-up round
            round_points.append((n, gpu_ns))
            host_points.append((n, host_ns))
        if r > 0:
            gpu_points.extend(round_points)
            slopes.append(fit(round_points)["slopeNs"])
    gpu, host = fit(gpu_points), fit(host_points)
    result = {
        "case": "cuda launch (tensor.add_ on one element)",
        "counts": COUNTS,
        "rounds": rounds,
        "gpuEvents": gpu,
        "hostClock": host,
        "roundSlopesNs": slopes,
        "medianSlopeNs": statistics.median(slopes),
        "method": "slope of time against N back-to-back launches; CUDA events (GPU) and perf_counter_ns around launch+synchronize (host)",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0),
    }
    print(f"native cuda launch: {gpu['slopeNs']:.0f} ns per launch (events, R² {gpu['r2']:.3f}, intercept {gpu['interceptNs']:.0f} ns); host {host['slopeNs']:.0f} ns per launch (R² {host['r2']:.3f})")
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()

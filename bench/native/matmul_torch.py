"""Native reference for the matmul suite on CUDA: cuBLAS SGEMM (TF32 off), HGEMM, torch._int_mm, GEMV.

Each sample is `reps` back-to-back launches timed with CUDA events, reported per launch; FLOPs are
2·M·N·K as in wgbench. Usage: python3 matmul_torch.py OUT.json [square size]
"""
import json
import statistics
import sys

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def time_op(op, samples=10, warmup=5, target_ms=100.0):
    for _ in range(warmup):
        op()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    op()
    end.record()
    end.synchronize()
    reps = max(1, min(1000, round(target_ms / max(start.elapsed_time(end), 1e-3))))
    out = []
    for _ in range(samples):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            op()
        end.record()
        end.synchronize()
        out.append(start.elapsed_time(end) * 1e6 / reps)
    return out


def main():
    out_path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    results = []

    def record(name, method, m, nn, k, samples):
        med = statistics.median(samples)
        flops = 2 * m * nn * k
        results.append({"case": name, "method": method, "M": m, "N": nn, "K": k, "samplesNs": samples,
                        "medianTflops": flops / med / 1e3, "minTflops": flops / max(samples) / 1e3, "maxTflops": flops / min(samples) / 1e3})
        print(f"native {name:28s} {flops / med / 1e3:9.2f} T/s  ({flops / max(samples) / 1e3:.2f}-{flops / min(samples) / 1e3:.2f})  {method}")

    a32 = torch.rand(n, n, device="cuda") * 2 - 1
    b32 = torch.rand(n, n, device="cuda") * 2 - 1
    c = a32 @ b32
    ref = (a32.double() @ b32.double())
    assert torch.allclose(c.double(), ref, rtol=1e-3, atol=1e-3), "SGEMM check failed"
    record(f"sgemm-f32 {n}^3", "torch.matmul f32, TF32 off (cuBLAS SGEMM)", n, n, n, time_op(lambda: torch.matmul(a32, b32, out=c)))
    a16, b16 = a32.half(), b32.half()
    c16 = torch.empty(n, n, device="cuda", dtype=torch.half)
    record(f"hgemm-f16 {n}^3", "torch.matmul f16 (cuBLAS HGEMM)", n, n, n, time_op(lambda: torch.matmul(a16, b16, out=c16)))
    a8 = torch.randint(-127, 128, (n, n), device="cuda", dtype=torch.int8)
    b8 = torch.randint(-127, 128, (n, n), device="cuda", dtype=torch.int8)
    ci = torch._int_mm(a8, b8)
    assert torch.equal(ci[:4, :4].cpu(), (a8[:4].int().cpu() @ b8[:, :4].int().cpu())), "int_mm check failed"
    record(f"int-mm-int8 {n}^3", "torch._int_mm int8 -> int32", n, n, n, time_op(lambda: torch._int_mm(a8, b8)))
    x = torch.rand(1, n, device="cuda")
    y = torch.empty(1, n, device="cuda")
    record(f"gemv-f32 1x{n}x{n}", "torch.matmul f32 1xK @ KxN (cuBLAS)", 1, n, n, time_op(lambda: torch.matmul(x, b32, out=y)))
    with open(out_path, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda,
                   "timer": "torch.cuda.Event elapsed_time per sample of reps launches", "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

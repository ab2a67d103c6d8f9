"""Native reference for the attention suite: torch.nn.functional.scaled_dot_product_attention.

Causal, batch 4, 32 heads, seq 4096, head dim 128, in f32 (TF32 off) and f16; CUDA events,
median per call; FLOPs counted as wgbench does: 4·B·H·d·T(T+1)/2 (causal).
Usage: python3 attention_torch.py OUT.json
"""
import json
import statistics
import sys

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def bench(fn, samples=10, warmup=3, target_ms=100.0):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record(); fn(); e.record(); e.synchronize()
    reps = max(1, min(200, round(target_ms / max(s.elapsed_time(e), 1e-3))))
    out = []
    for _ in range(samples):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(reps):
            fn()
        e.record(); e.synchronize()
        out.append(s.elapsed_time(e) * 1e6 / reps)
    return out


def main():
    B, H, T, D = 4, 32, 4096, 128
    flops = 4 * B * H * D * T * (T + 1) // 2
    results = []
    for dtype in (torch.float32, torch.float16):
        q, k, v = (torch.rand(B, H, T, D, device="cuda", dtype=dtype) * 2 - 1 for _ in range(3))
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        ref = F.scaled_dot_product_attention(q[:1, :1].double(), k[:1, :1].double(), v[:1, :1].double(), is_causal=True)
        err = ((o[:1, :1].double() - ref).abs().max() / ref.abs().max()).item()
        samples = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
        med = statistics.median(samples)
        name = str(dtype).replace("torch.", "")
        results.append({"dtype": name, "B": B, "H": H, "T": T, "D": D, "causal": True, "samplesNs": samples, "medianNs": med,
                        "medianTflops": flops / med / 1e3, "minTflops": flops / max(samples) / 1e3, "maxTflops": flops / min(samples) / 1e3, "maxRelErrorVsF64": err})
        print(f"native SDPA {name:8s} causal B{B} H{H} T{T} d{D}: {med / 1e6:.3f} ms, {flops / med / 1e3:.1f} TFLOP/s (wgbench FLOP count), rel err {err:.1e}")
    with open(sys.argv[1], "w") as f:
        json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "flopsFormula": "4*B*H*D*T*(T+1)/2", "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

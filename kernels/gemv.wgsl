// y = x·W for a few rows of x (a decode step's tokens): x is rows×K f32, W is K×N row-major of
// element type W ({{W}}: f32, or f16 with the extension enabled), y is rows×N f32, accumulated in f32.
// A GEMV is bound by reading W, so every weight is read once for all rows, four columns at a time.
// A workgroup of 256 owns COLS4 vec4 columns and splits its K range across KTHREADS = 256 / COLS4
// threads; the grid's y dimension splits K further (split-K) so that narrow layers still put
// enough loads in flight. COLS4 is an override (tuned per device: `wgbench tune --family gemv`):
// wider rows of W per workgroup make longer contiguous reads, narrower ones more threads along K.
// With one split the sums go straight to y; with several, a reduce pass adds the partials.
// gemv_gated_* compute the gated MLP's silu(x·Wg) · (x·Wu) in one pass over W = [Wg | Wu].
{{ENABLE_F16}}
alias W = {{W}};

// Laid out as the prefix of llm.wgsl's Params, so the LLM engine can bind its own uniform.
struct GemvParams {
  rows: u32,
  K: u32,
  N: u32,
  // Bit 0: add to y instead of overwriting it (a residual connection folded into the layer).
  // Bit 1: RMS-normalise each row of x first, with weights nw (the layer's RMSNorm folded in).
  flags: u32,
  splits: u32,
}

@group(0) @binding(0) var<uniform> p: GemvParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<W>>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;
// Per split, rows × N/4 partial sums: [split][row][column / 4] ([split][row][g, u][column / 4] gated).
@group(0) @binding(4) var<storage, read_write> partials: array<vec4<f32>>;
// RMSNorm weights of the input (used with flags bit 1; any buffer otherwise).
@group(0) @binding(5) var<storage, read> nw: array<f32>;

const MAX_ROWS = 8u;
// A power of two from 4 to 64, so that KTHREADS is one from 64 to 4 (the tree in sumOverK halves it).
override COLS4: u32 = 8u;
override KTHREADS: u32 = 256u / COLS4;
const UNROLL = 4u;

var<workgroup> red: array<vec4<f32>, 256>;
var<workgroup> redRow: array<f32, 256>;
var<workgroup> invRms: array<f32, MAX_ROWS>;

// With flags bit 1, 1/rms of each row of x (every workgroup computes it: a row is K floats, read
// from cache, against K·N/#workgroups weights); else 1.
// The row loops that hold barriers run to p.rows, not the constant MAX_ROWS: a constant trip
// count gets them unrolled 8× with every barrier, which cost lavapipe 5 s of its 9 s cold compile.
fn prepareRows(lid: u32) {
  for (var r = 0u; r < p.rows; r++) {
    var ss = 0.0;
    if ((p.flags & 2u) != 0u) {
      for (var k = lid; k < p.K; k += 256u) {
        let v = x[r * p.K + k];
        ss += v * v;
      }
    }
    redRow[lid] = ss;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
      if (lid < s) {
        redRow[lid] += redRow[lid + s];
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      invRms[r] = select(1.0, inverseSqrt(redRow[0] / f32(p.K) + 1e-5), (p.flags & 2u) != 0u);
    }
    workgroupBarrier();
  }
}

// Element k of row r of the layer's input: x, normalised when flags bit 1 is set.
fn xin(r: u32, k: u32) -> f32 {
  let v = x[r * p.K + k];
  if ((p.flags & 2u) != 0u) {
    return v * invRms[r] * nw[k];
  }
  return v;
}

// Sums v over the workgroup's KTHREADS threads of each column; the result is valid where kt = 0.
// The barrier that guards red against the previous call comes first, and the last step of the
// tree is added in registers, so the sum never leaves as a read of workgroup memory followed by a
// barrier (Mesa's GLSL optimiser moves such reads past the barrier: docs/kernels.md).
fn sumOverK(lid: u32, kt: u32, v: vec4<f32>) -> vec4<f32> {
  workgroupBarrier();
  red[lid] = v;
  workgroupBarrier();
  for (var s = KTHREADS / 2u; s > 1u; s >>= 1u) {
    if (kt < s) {
      red[lid] += red[lid + s * COLS4];
    }
    workgroupBarrier();
  }
  var total = vec4<f32>(0.0);
  if (kt == 0u) {
    total = red[lid] + red[lid + COLS4];
  }
  return total;
}

fn store(i: u32, v: vec4<f32>) {
  if ((p.flags & 1u) != 0u) {
    y[i] += v;
  } else {
    y[i] = v;
  }
}

// A thread's share of the weights: vec4 column c4 (of n4), K from kStart + kt in steps of KTHREADS to kEnd.
struct Slice {
  n4: u32,
  c4: u32,
  kt: u32,
  kStart: u32,
  kEnd: u32,
}

fn sliceOf(lid: u32, wid: vec3<u32>) -> Slice {
  let chunk = (p.K + p.splits - 1u) / p.splits;
  let kStart = wid.y * chunk;
  return Slice(p.N / 4u, wid.x * COLS4 + lid % COLS4, lid / COLS4, kStart, min(p.K, kStart + chunk));
}

fn silu(g: vec4<f32>) -> vec4<f32> {
  return g / (1.0 + exp(-g));
}

@compute @workgroup_size(256)
fn gemv_kernel(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let sl = sliceOf(lid, wid);
  let n4 = sl.n4;
  let c4 = sl.c4;
  let kt = sl.kt;
  let kEnd = sl.kEnd;
  prepareRows(lid);
  var acc: array<vec4<f32>, MAX_ROWS>;
  if (c4 < n4) {
    var k = sl.kStart + kt;
    // UNROLL independent weight loads per iteration: a GEMV needs many bytes in flight.
    for (; k + (UNROLL - 1u) * KTHREADS < kEnd; k += UNROLL * KTHREADS) {
      let w0 = vec4<f32>(w4[k * n4 + c4]);
      let w1 = vec4<f32>(w4[(k + KTHREADS) * n4 + c4]);
      let w2 = vec4<f32>(w4[(k + 2u * KTHREADS) * n4 + c4]);
      let w3 = vec4<f32>(w4[(k + 3u * KTHREADS) * n4 + c4]);
      // A constant trip count keeps acc in registers; rows beyond p.rows are skipped.
      for (var r = 0u; r < MAX_ROWS; r++) {
        if (r < p.rows) {
          acc[r] = fma(vec4<f32>(xin(r, k)), w0, acc[r]);
          acc[r] = fma(vec4<f32>(xin(r, k + KTHREADS)), w1, acc[r]);
          acc[r] = fma(vec4<f32>(xin(r, k + 2u * KTHREADS)), w2, acc[r]);
          acc[r] = fma(vec4<f32>(xin(r, k + 3u * KTHREADS)), w3, acc[r]);
        }
      }
    }
    for (; k < kEnd; k += KTHREADS) {
      let w0 = vec4<f32>(w4[k * n4 + c4]);
      for (var r = 0u; r < MAX_ROWS; r++) {
        if (r < p.rows) {
          acc[r] = fma(vec4<f32>(xin(r, k)), w0, acc[r]);
        }
      }
    }
  }
  for (var r = 0u; r < p.rows; r++) {
    let total = sumOverK(lid, kt, acc[r]);
    if (kt == 0u && c4 < n4) {
      if (p.splits == 1u) {
        store(r * n4 + c4, total);
      } else {
        partials[(wid.y * p.rows + r) * n4 + c4] = total;
      }
    }
  }
}

// y[row, n] = Σ over splits of the partials; one thread per vec4 of y.
@compute @workgroup_size(256)
fn gemv_reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n4 = p.N / 4u;
  let i = gid.x;
  if (i >= p.rows * n4) {
    return;
  }
  var s = vec4<f32>(0.0);
  for (var split = 0u; split < p.splits; split++) {
    s += partials[split * p.rows * n4 + i];
  }
  store(i, s);
}

// y = silu(x·Wg) · (x·Wu) with W = [Wg | Wu] (K × 2N): each thread reads both halves for its
// columns, so the gate, the up projection and their product are one pass over the weights.
@compute @workgroup_size(256)
fn gemv_gated_kernel(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let sl = sliceOf(lid, wid);
  let n4 = sl.n4;
  let row4 = 2u * n4;
  let c4 = sl.c4;
  let kt = sl.kt;
  let kEnd = sl.kEnd;
  prepareRows(lid);
  var g: array<vec4<f32>, MAX_ROWS>;
  var u: array<vec4<f32>, MAX_ROWS>;
  if (c4 < n4) {
    var k = sl.kStart + kt;
    for (; k + KTHREADS < kEnd; k += 2u * KTHREADS) {
      let g0 = vec4<f32>(w4[k * row4 + c4]);
      let u0 = vec4<f32>(w4[k * row4 + n4 + c4]);
      let g1 = vec4<f32>(w4[(k + KTHREADS) * row4 + c4]);
      let u1 = vec4<f32>(w4[(k + KTHREADS) * row4 + n4 + c4]);
      for (var r = 0u; r < MAX_ROWS; r++) {
        if (r < p.rows) {
          let x0 = vec4<f32>(xin(r, k));
          let x1 = vec4<f32>(xin(r, k + KTHREADS));
          g[r] = fma(x1, g1, fma(x0, g0, g[r]));
          u[r] = fma(x1, u1, fma(x0, u0, u[r]));
        }
      }
    }
    for (; k < kEnd; k += KTHREADS) {
      let g0 = vec4<f32>(w4[k * row4 + c4]);
      let u0 = vec4<f32>(w4[k * row4 + n4 + c4]);
      for (var r = 0u; r < MAX_ROWS; r++) {
        if (r < p.rows) {
          let x0 = vec4<f32>(xin(r, k));
          g[r] = fma(x0, g0, g[r]);
          u[r] = fma(x0, u0, u[r]);
        }
      }
    }
  }
  for (var r = 0u; r < p.rows; r++) {
    let gate = sumOverK(lid, kt, g[r]);
    let up = sumOverK(lid, kt, u[r]);
    if (kt == 0u && c4 < n4) {
      if (p.splits == 1u) {
        y[r * n4 + c4] = silu(gate) * up;
      } else {
        let base = ((wid.y * p.rows + r) * 2u) * n4 + c4;
        partials[base] = gate;
        partials[base + n4] = up;
      }
    }
  }
}

@compute @workgroup_size(256)
fn gemv_gated_reduce(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n4 = p.N / 4u;
  let i = gid.x;
  if (i >= p.rows * n4) {
    return;
  }
  let r = i / n4;
  let c = i % n4;
  var gate = vec4<f32>(0.0);
  var up = vec4<f32>(0.0);
  for (var split = 0u; split < p.splits; split++) {
    let base = ((split * p.rows + r) * 2u) * n4 + c;
    gate += partials[base];
    up += partials[base + n4];
  }
  y[i] = silu(gate) * up;
}

// A decoder-only transformer's forward pass, f32: embedding, RMSNorm, linear layers, SiLU-gated
// MLP, residual adds, attention over a paged KV cache, argmax. Rows are tokens; each row knows
// its sequence and position, so one dispatch serves a prefill (one sequence, many positions) or a
// decode step (many sequences, one position each). Positions enter through rotary embeddings
// (RoPE, base 10000) on Q and K, as in the Llama family.
// The matrices' element type; the dtype line is replaced for f16 weights. Norm weights,
// activations and the KV cache stay f32.
alias W = f32; // dtype

struct Params {
  rows: u32,
  inDim: u32,
  outDim: u32,
  seed: u32,
  count: u32,
  heads: u32,
  kvHeads: u32,
  headDim: u32,
  blockTokens: u32,
  maxBlocks: u32,
  layerOffset: u32,  // KV pool offset of this layer, in blocks
  scale: f32,
  bias: f32,  // added to random fills: norm weights are 1 + noise
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> rowSeq: array<u32>;
@group(0) @binding(5) var<storage, read> rowPos: array<u32>;
@group(0) @binding(6) var<storage, read> blockTable: array<u32>;
@group(0) @binding(7) var<storage, read_write> kPool: array<f32>;
@group(0) @binding(8) var<storage, read_write> vPool: array<f32>;
@group(0) @binding(9) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(10) var<storage, read_write> weights: array<W>;

fn hash(x: u32) -> u32 {
  var h = x * 747796405u + 2891336453u;
  h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
  return (h >> 22u) ^ h;
}

// Weights in [-scale, scale), from a hash of (seed, index): reproducible on the CPU.
@compute @workgroup_size(256)
fn fill_random(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = gid.x + gid.y * n.x * 256u;
  if (i >= p.count) {
    return;
  }
  a[i] = (f32(hash(i ^ (p.seed * 2654435761u)) >> 8u) / 16777216.0 * 2.0 - 1.0) * p.scale + p.bias;
}

// The same fill for a matrix of element type W.
@compute @workgroup_size(256)
fn fill_random_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = gid.x + gid.y * n.x * 256u;
  if (i >= p.count) {
    return;
  }
  weights[i] = W((f32(hash(i ^ (p.seed * 2654435761u)) >> 8u) / 16777216.0 * 2.0 - 1.0) * p.scale + p.bias);
}

// c[row] = weights[table row = tokens[row]] (embedding lookup); weights is [vocab, inDim].
@compute @workgroup_size(256)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.rows * p.inDim) {
    return;
  }
  let row = i / p.inDim;
  c[i] = f32(weights[tokens[row] * p.inDim + i % p.inDim]);
}

var<workgroup> partial: array<f32, 256>;

// c[row] = a[row] / rms(a[row]) * b (weight), one workgroup per row.
@compute @workgroup_size(256)
fn rmsnorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x;
  var s = 0.0;
  for (var i = lid; i < p.inDim; i += 256u) {
    let x = a[row * p.inDim + i];
    s += x * x;
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) {
    if (lid < k) {
      partial[lid] += partial[lid + k];
    }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(p.inDim) + 1e-5);
  for (var i = lid; i < p.inDim; i += 256u) {
    c[row * p.inDim + i] = a[row * p.inDim + i] * inv * b[i];
  }
}

// c[row, n] = Σ_k a[row, k] · weights[k, n]; the weight is [inDim, outDim], accumulated in f32.
@compute @workgroup_size(64)
fn linear(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let row = gid.y;
  if (n >= p.outDim || row >= p.rows) {
    return;
  }
  var s = 0.0;
  for (var k = 0u; k < p.inDim; k++) {
    s = fma(a[row * p.inDim + k], f32(weights[k * p.outDim + n]), s);
  }
  c[row * p.outDim + n] = s;
}

// c = silu(a) · b, elementwise over count.
@compute @workgroup_size(256)
fn silu_mul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.count) {
    return;
  }
  let x = a[i];
  c[i] = x / (1.0 + exp(-x)) * b[i];
}

// a += b, elementwise over count (the residual).
@compute @workgroup_size(256)
fn add_inplace(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.count) {
    return;
  }
  a[i] += b[i];
}

// Rotates pairs (2i, 2i+1) of every head of a (rows × heads·headDim, heads given by count) by
// pos · 10000^(−2i/headDim): rotary position embedding, in place.
@compute @workgroup_size(256)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>) {
  let half = p.headDim / 2u;
  let perRow = p.count * half;
  let i = gid.x;
  if (i >= p.rows * perRow) {
    return;
  }
  let row = i / perRow;
  let head = (i % perRow) / half;
  let pair = i % half;
  let theta = f32(rowPos[row]) * pow(10000.0, -2.0 * f32(pair) / f32(p.headDim));
  let base = (row * p.count + head) * p.headDim + 2u * pair;
  let x0 = a[base];
  let x1 = a[base + 1u];
  let c = cos(theta);
  let s = sin(theta);
  a[base] = x0 * c - x1 * s;
  a[base + 1u] = x0 * s + x1 * c;
}

// Writes each row's K (a) and V (b) into its sequence's blocks at its position, for one layer.
@compute @workgroup_size(256)
fn kv_append(@builtin(global_invocation_id) gid: vec3<u32>) {
  let width = p.kvHeads * p.headDim;
  let i = gid.x;
  if (i >= p.rows * width) {
    return;
  }
  let row = i / width;
  let within = i % width;
  let hk = within / p.headDim;
  let d = within % p.headDim;
  let pos = rowPos[row];
  let block = p.layerOffset + blockTable[rowSeq[row] * p.maxBlocks + pos / p.blockTokens];
  let dst = ((block * p.kvHeads + hk) * p.blockTokens + pos % p.blockTokens) * p.headDim + d;
  kPool[dst] = a[i];
  vPool[dst] = b[i];
}

// One thread per (row, head): attends keys 0..pos of its sequence in the paged cache, online softmax.
@compute @workgroup_size(64)
fn attend(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.rows * p.heads) {
    return;
  }
  let row = i / p.heads;
  let h = i % p.heads;
  let hk = h / (p.heads / p.kvHeads);
  let pos = rowPos[row];
  let seq = rowSeq[row];
  let qBase = (row * p.heads + h) * p.headDim;
  var m = -3.0e38;
  var l = 0.0;
  for (var d = 0u; d < p.headDim; d++) {
    c[qBase + d] = 0.0;
  }
  for (var key = 0u; key <= pos; key++) {
    let block = p.layerOffset + blockTable[seq * p.maxBlocks + key / p.blockTokens];
    let base = ((block * p.kvHeads + hk) * p.blockTokens + key % p.blockTokens) * p.headDim;
    var s = 0.0;
    for (var d = 0u; d < p.headDim; d++) {
      s = fma(a[qBase + d], kPool[base + d], s);
    }
    s *= p.scale;
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let w = exp(s - mNew);
    l = l * corr + w;
    for (var d = 0u; d < p.headDim; d++) {
      c[qBase + d] = fma(c[qBase + d], corr, w * vPool[base + d]);
    }
    m = mNew;
  }
  for (var d = 0u; d < p.headDim; d++) {
    c[qBase + d] /= l;
  }
}

// tokens[row] = argmax over a[row, 0..outDim) (greedy sampling), one workgroup per row.
var<workgroup> bestValue: array<f32, 256>;
var<workgroup> bestIndex: array<u32, 256>;

@compute @workgroup_size(256)
fn argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x;
  var v = -3.0e38;
  var idx = 0u;
  for (var i = lid; i < p.outDim; i += 256u) {
    let x = a[row * p.outDim + i];
    if (x > v) {
      v = x;
      idx = i;
    }
  }
  bestValue[lid] = v;
  bestIndex[lid] = idx;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) {
    if (lid < k) {
      let ov = bestValue[lid + k];
      let oi = bestIndex[lid + k];
      if (ov > bestValue[lid] || (ov == bestValue[lid] && oi < bestIndex[lid])) {
        bestValue[lid] = ov;
        bestIndex[lid] = oi;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    tokens[row] = bestIndex[0];
  }
}

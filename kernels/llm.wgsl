// A decoder-only transformer's forward pass, f32: embedding, RMSNorm, linear layers (residual adds
// folded in), the SiLU-gated MLP's product, RoPE with the KV append, attention over a paged KV
// cache, argmax. Decode-sized linear layers run in kernels/gemv.wgsl. Rows are tokens; each row knows
// its sequence and position, so one dispatch serves a prefill (one sequence, many positions) or a
// decode step (many sequences, one position each). Positions enter through rotary embeddings
// (RoPE, base 10000) on Q and K, as in the Llama family.
// The matrices' element type; W is a template value (f32, or f16 with the extension). Norm weights,
// activations and the KV cache stay f32.
{{ENABLE_F16}}
alias W = {{W}};

struct Params {
  rows: u32,
  inDim: u32,
  outDim: u32,
  // Fills: the seed. Linear layers: flags (bit 0: add to c instead of overwriting it).
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

// The same fill for a matrix of element type W, placed at columns [layerOffset, layerOffset + outDim)
// of a matrix with rows of inDim elements (Q, K and V side by side; gate and up side by side): element
// i of the matrix gets the value it would get alone.
@compute @workgroup_size(256)
fn fill_random_cols(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = gid.x + gid.y * n.x * 256u;
  if (i >= p.count) {
    return;
  }
  weights[(i / p.outDim) * p.inDim + p.layerOffset + i % p.outDim] =
      W((f32(hash(i ^ (p.seed * 2654435761u)) >> 8u) / 16777216.0 * 2.0 - 1.0) * p.scale + p.bias);
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
  if ((p.seed & 1u) != 0u) {
    s += c[row * p.outDim + n];
  }
  c[row * p.outDim + n] = s;
}

// c[row, n] = silu(a[row, n]) · a[row, outDim + n]: the gated MLP's product, from the output of
// one linear layer over [Wg | Wu] (rows of 2·outDim).
@compute @workgroup_size(256)
fn silu_mul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.rows * p.outDim) {
    return;
  }
  let row = i / p.outDim;
  let n = i % p.outDim;
  let x = a[row * 2u * p.outDim + n];
  c[i] = x / (1.0 + exp(-x)) * a[row * 2u * p.outDim + p.outDim + n];
}

// The angle of pair i at position pos: pos · 10000^(−2i/headDim) (rotary position embedding).
fn ropeAngle(pos: u32, pair: u32) -> f32 {
  return f32(pos) * pow(10000.0, -2.0 * f32(pair) / f32(p.headDim));
}

fn rotate(x0: f32, x1: f32, theta: f32) -> vec2<f32> {
  let c = cos(theta);
  let s = sin(theta);
  return vec2<f32>(x0 * c - x1 * s, x0 * s + x1 * c);
}

// From a row of QKV (a: rows × (q + 2·kv), Q then K then V): rotates Q's pairs into c (rows × q),
// rotates K's pairs and copies V into the row's sequence blocks at its position, for one layer.
// One thread per Q pair, K pair or V element.
@compute @workgroup_size(256)
fn rope_qkv_append(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let half = p.headDim / 2u;
  let qWidth = p.heads * p.headDim;
  let kvWidth = p.kvHeads * p.headDim;
  let qPairs = p.heads * half;
  let kPairs = p.kvHeads * half;
  let perRow = qPairs + kPairs + kvWidth;
  let i = gid.x + gid.y * n.x * 256u;
  if (i >= p.rows * perRow) {
    return;
  }
  let row = i / perRow;
  let j = i % perRow;
  let pos = rowPos[row];
  let src = row * (qWidth + 2u * kvWidth);
  if (j < qPairs) {
    let head = j / half;
    let pair = j % half;
    let at = head * p.headDim + 2u * pair;
    let r = rotate(a[src + at], a[src + at + 1u], ropeAngle(pos, pair));
    c[row * qWidth + at] = r.x;
    c[row * qWidth + at + 1u] = r.y;
    return;
  }
  let block = p.layerOffset + blockTable[rowSeq[row] * p.maxBlocks + pos / p.blockTokens];
  if (j < qPairs + kPairs) {
    let kj = j - qPairs;
    let hk = kj / half;
    let pair = kj % half;
    let r = rotate(a[src + qWidth + hk * p.headDim + 2u * pair], a[src + qWidth + hk * p.headDim + 2u * pair + 1u],
        ropeAngle(pos, pair));
    let dst = ((block * p.kvHeads + hk) * p.blockTokens + pos % p.blockTokens) * p.headDim + 2u * pair;
    kPool[dst] = r.x;
    kPool[dst + 1u] = r.y;
    return;
  }
  let vj = j - qPairs - kPairs;
  let hk = vj / p.headDim;
  let d = vj % p.headDim;
  vPool[((block * p.kvHeads + hk) * p.blockTokens + pos % p.blockTokens) * p.headDim + d] =
      a[src + qWidth + kvWidth + vj];
}

// One workgroup per (row, head, split): attends its split of keys 0..pos of the row's sequence in
// the paged cache (p.count splits; one for prefills, several for a decode step so a single
// sequence still fills the device). Keys go in chunks of ATT_CHUNK: the threads score a chunk's
// keys in parallel, the chunk's softmax weights fold into a running (max, sum) as in flash
// attention, and thread d accumulates output dimension d over the chunk, reading V rows whole
// across the workgroup. With one split the output is final; with several, each writes
// (max, sum, unnormalised output) to attParts and attend_reduce combines them.
const ATT_THREADS = 128u;  // ≥ headDim
const ATT_CHUNK = 1024u;

@group(0) @binding(11) var<storage, read_write> attParts: array<f32>;

var<workgroup> attQ: array<f32, ATT_THREADS>;
var<workgroup> attScores: array<f32, ATT_CHUNK>;
var<workgroup> attRed: array<f32, ATT_THREADS>;
var<workgroup> attPos: u32;
var<workgroup> attResult: f32;

// The result leaves through attResult and workgroupUniformLoad: a plain read of attRed[0] before a
// barrier is moved past it by Mesa's GLSL optimiser (docs/kernels.md).
fn attReduce(lid: u32, v: f32, isMax: bool) -> f32 {
  attRed[lid] = v;
  workgroupBarrier();
  for (var s = ATT_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      attRed[lid] = select(attRed[lid] + attRed[lid + s], max(attRed[lid], attRed[lid + s]), isMax);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    attResult = attRed[0];
  }
  return workgroupUniformLoad(&attResult);
}

@compute @workgroup_size(ATT_THREADS)
fn attend(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32) {
  let splits = p.count;
  let i = wid.x + wid.y * nwg.x;
  let valid = i < p.rows * p.heads * splits;
  let split = i % splits;
  let rh = select(0u, i / splits, valid);
  let row = rh / p.heads;
  let h = rh % p.heads;
  let hk = h / (p.heads / p.kvHeads);
  let seq = rowSeq[row];
  if (lid == 0u) {
    attPos = select(0u, rowPos[row] + 1u, valid);
  }
  let keys = workgroupUniformLoad(&attPos);
  let perSplit = (keys + splits - 1u) / splits;
  let first = min(keys, split * perSplit);
  let last = min(keys, first + perSplit);
  let qBase = (row * p.heads + h) * p.headDim;
  if (lid < p.headDim) {
    attQ[lid] = a[qBase + lid] * p.scale;
  }
  workgroupBarrier();
  var m = -3.0e38;
  var l = 0.0;
  var acc = 0.0;
  for (var start = first; start < last; start += ATT_CHUNK) {
    let count = min(ATT_CHUNK, last - start);
    var localMax = -3.0e38;
    for (var j = lid; j < count; j += ATT_THREADS) {
      let key = start + j;
      let block = p.layerOffset + blockTable[seq * p.maxBlocks + key / p.blockTokens];
      let base = ((block * p.kvHeads + hk) * p.blockTokens + key % p.blockTokens) * p.headDim;
      var s = 0.0;
      for (var d = 0u; d < p.headDim; d++) {
        s = fma(attQ[d], kPool[base + d], s);
      }
      attScores[j] = s;
      localMax = max(localMax, s);
    }
    let mNew = max(m, attReduce(lid, localMax, true));
    var localSum = 0.0;
    for (var j = lid; j < count; j += ATT_THREADS) {
      let e = exp(attScores[j] - mNew);
      attScores[j] = e;
      localSum += e;
    }
    let chunkSum = attReduce(lid, localSum, false);
    let correction = exp(m - mNew);
    l = l * correction + chunkSum;
    if (lid < p.headDim) {
      var part = 0.0;
      for (var j = 0u; j < count; j++) {
        let key = start + j;
        let block = p.layerOffset + blockTable[seq * p.maxBlocks + key / p.blockTokens];
        let base = ((block * p.kvHeads + hk) * p.blockTokens + key % p.blockTokens) * p.headDim;
        part = fma(attScores[j], vPool[base + lid], part);
      }
      acc = fma(acc, correction, part);
    }
    m = mNew;
    workgroupBarrier();
  }
  if (!valid) {
    return;
  }
  if (splits == 1u) {
    if (lid < p.headDim) {
      c[qBase + lid] = acc / l;
    }
    return;
  }
  let dst = i * (p.headDim + 2u);
  if (lid == 0u) {
    attParts[dst] = m;
    attParts[dst + 1u] = l;
  }
  if (lid < p.headDim) {
    attParts[dst + 2u + lid] = acc;
  }
}

// Combines the splits of attend: one thread per (row, head, dim). Splits that saw no keys have
// a zero sum and are skipped.
@compute @workgroup_size(256)
fn attend_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = gid.x + gid.y * n.x * 256u;
  if (i >= p.rows * p.heads * p.headDim) {
    return;
  }
  let rh = i / p.headDim;
  let d = i % p.headDim;
  let stride = p.headDim + 2u;
  var m = -3.0e38;
  for (var s = 0u; s < p.count; s++) {
    let part = (rh * p.count + s) * stride;
    if (attParts[part + 1u] > 0.0) {
      m = max(m, attParts[part]);
    }
  }
  var l = 0.0;
  var o = 0.0;
  for (var s = 0u; s < p.count; s++) {
    let part = (rh * p.count + s) * stride;
    if (attParts[part + 1u] > 0.0) {
      let w = exp(attParts[part] - m);
      l += attParts[part + 1u] * w;
      o += attParts[part + 2u + d] * w;
    }
  }
  c[i] = o / l;
}

// Prefill-sized linear layers: c[rows, outDim] = a[rows, inDim] · weights[inDim, outDim]. A 16×16
// workgroup computes a 64×64 tile of c, 4×4 per thread, with K in steps of 16 through workgroup
// memory. Rows are bounds-checked; outDim must be a multiple of 64 and inDim of 16.
const LT = 64u;
const LT_K = 16u;
var<workgroup> tileA: array<f32, 1024>;  // [k][row]
var<workgroup> tileB: array<f32, 1024>;  // [k][col]

@compute @workgroup_size(16, 16)
fn linear_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.y * 16u + lid.x;
  let row0 = wid.y * LT;
  let col0 = wid.x * LT;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < p.inDim; k0 += LT_K) {
    for (var j = 0u; j < 4u; j++) {
      let e = t * 4u + j;
      let r = e / LT_K;
      let kk = e % LT_K;
      var v = 0.0;
      if (row0 + r < p.rows) {
        v = a[(row0 + r) * p.inDim + k0 + kk];
      }
      tileA[kk * LT + r] = v;
      let kb = e / LT;
      let cc = e % LT;
      tileB[kb * LT + cc] = f32(weights[(k0 + kb) * p.outDim + col0 + cc]);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < LT_K; kk++) {
      let av = vec4<f32>(tileA[kk * LT + lid.y * 4u], tileA[kk * LT + lid.y * 4u + 1u],
          tileA[kk * LT + lid.y * 4u + 2u], tileA[kk * LT + lid.y * 4u + 3u]);
      let bv = vec4<f32>(tileB[kk * LT + lid.x * 4u], tileB[kk * LT + lid.x * 4u + 1u],
          tileB[kk * LT + lid.x * 4u + 2u], tileB[kk * LT + lid.x * 4u + 3u]);
      for (var i = 0u; i < 4u; i++) {
        acc[i] = fma(vec4<f32>(av[i]), bv, acc[i]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row < p.rows) {
      let col = col0 + lid.x * 4u;
      let accumulate = (p.seed & 1u) != 0u;
      for (var j = 0u; j < 4u; j++) {
        let dst = row * p.outDim + col + j;
        c[dst] = select(acc[i][j], acc[i][j] + c[dst], accumulate);
      }
    }
  }
}

// c[i, :] = a[tokens[i], :] for i < rows (rows of width inDim): the output rows of a pass.
@compute @workgroup_size(256)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.rows * p.inDim) {
    return;
  }
  c[i] = a[tokens[i / p.inDim] * p.inDim + i % p.inDim];
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

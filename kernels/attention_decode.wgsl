// Decode over a paged KV cache. K and V here are block pools [blocks, Hkv, blockTokens, D];
// the block table maps (sequence, block index) to a pool block; context lengths per sequence.
@group(0) @binding(6) var<storage, read> blockTable: array<u32>;
@group(0) @binding(7) var<storage, read> contextLen: array<u32>;
// Split-K partials: per (b, h, split) the running max, sum and unnormalised output.
@group(0) @binding(8) var<storage, read_write> partials: array<f32>;

// A workgroup per (b, h, split): the threads score a chunk of keys in parallel, fold the chunk's
// softmax into a running max and sum, and thread i accumulates output dimension i over the chunk,
// reading V rows whole across the workgroup. Partials are unnormalised (max, sum, output).
const DEC_THREADS = 128u;  // ≥ HEAD_DIM
const DEC_CHUNK = 256u;
const WG = 64u;  // threads per workgroup of the per-thread and reduce kernels
var<workgroup> decQ: array<f32, HEAD_DIM>;
var<workgroup> decScores: array<f32, DEC_CHUNK>;
var<workgroup> decRed: array<f32, DEC_THREADS>;
var<workgroup> decContext: u32;
var<workgroup> decResult: f32;

// The result leaves through decResult and workgroupUniformLoad, never as a plain read of
// decRed[0] before a barrier: Mesa's GLSL optimiser moves such a read past the barrier, where the
// next reduction has already overwritten it (docs/kernels.md).
fn decReduce(lid: u32, v: f32, isMax: bool) -> f32 {
  decRed[lid] = v;
  workgroupBarrier();
  for (var s = DEC_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      decRed[lid] = select(decRed[lid] + decRed[lid + s], max(decRed[lid], decRed[lid + s]), isMax);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    decResult = decRed[0];
  }
  return workgroupUniformLoad(&decResult);
}

// What decode work item n (of B·H·splits) covers: its split, sequence, query head and KV head.
struct DecodeItem {
  split: u32,
  bh: u32,
  b: u32,
  hk: u32,
}

fn decodeItem(n: u32) -> DecodeItem {
  let bh = n / p.splits;
  let h = bh % p.H;
  return DecodeItem(n % p.splits, bh, bh / p.H, h / (p.H / p.Hkv));
}

fn pagedRow(b: u32, hk: u32, key: u32) -> u32 {
  let block = blockTable[b * p.maxBlocks + key / p.blockTokens];
  return ((block * p.Hkv + hk) * p.blockTokens + key % p.blockTokens) * HEAD_DIM;
}

@compute @workgroup_size(DEC_THREADS)
fn decode_split_kernel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32) {
  let n = wid.x + wid.y * nwg.x;
  if (n >= p.B * p.H * p.splits) {
    return;
  }
  let item = decodeItem(n);
  let split = item.split;
  let bh = item.bh;
  let b = item.b;
  let hk = item.hk;
  if (lid == 0u) {
    decContext = contextLen[b];
  }
  let ctx = workgroupUniformLoad(&decContext);
  let chunk = (ctx + p.splits - 1u) / p.splits;
  let start = min(ctx, split * chunk);
  let end = min(ctx, start + chunk);
  if (lid < HEAD_DIM) {
    decQ[lid] = f32(Q[bh * HEAD_DIM + lid]) * p.scale;
  }
  workgroupBarrier();
  var m = -3.0e38;
  var l = 0.0;
  var acc = 0.0;
  for (var k0 = start; k0 < end; k0 += DEC_CHUNK) {
    let count = min(DEC_CHUNK, end - k0);
    var localMax = -3.0e38;
    for (var j = lid; j < count; j += DEC_THREADS) {
      let base = pagedRow(b, hk, k0 + j);
      var s = 0.0;
      for (var i = 0u; i < HEAD_DIM; i++) {
        s = fma(decQ[i], f32(K[base + i]), s);
      }
      decScores[j] = s;
      localMax = max(localMax, s);
    }
    let mNew = max(m, decReduce(lid, localMax, true));
    var localSum = 0.0;
    for (var j = lid; j < count; j += DEC_THREADS) {
      let e = exp(decScores[j] - mNew);
      decScores[j] = e;
      localSum += e;
    }
    let chunkSum = decReduce(lid, localSum, false);
    let correction = exp(m - mNew);
    l = l * correction + chunkSum;
    if (lid < HEAD_DIM) {
      var part = 0.0;
      for (var j = 0u; j < count; j++) {
        part = fma(decScores[j], f32(V[pagedRow(b, hk, k0 + j) + lid]), part);
      }
      acc = fma(acc, correction, part);
    }
    m = mNew;
    workgroupBarrier();
  }
  let dst = n * (HEAD_DIM + 2u);
  if (lid == 0u) {
    partials[dst] = m;
    partials[dst + 1u] = l;
  }
  if (lid < HEAD_DIM) {
    partials[dst + 2u + lid] = acc;
  }
}

// The simple form: one thread per (b, h, split) walks its keys with q and the output in registers.
// Fewer threads and no barriers: faster on CPU adapters, starved of parallelism on a GPU.
@compute @workgroup_size(WG)
fn decode_split_thread_kernel(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= p.B * p.H * p.splits) {
    return;
  }
  let item = decodeItem(n);
  let split = item.split;
  let bh = item.bh;
  let b = item.b;
  let hk = item.hk;
  let ctx = contextLen[b];
  let chunk = (ctx + p.splits - 1u) / p.splits;
  let start = split * chunk;
  let end = min(ctx, start + chunk);
  var q: array<f32, HEAD_DIM>;
  var acc: array<f32, HEAD_DIM>;
  for (var i = 0u; i < HEAD_DIM; i++) {
    q[i] = f32(Q[bh * HEAD_DIM + i]) * p.scale;
    acc[i] = 0.0;
  }
  var m = -3.0e38;
  var l = 0.0;
  for (var key = start; key < end; key++) {
    let base = pagedRow(b, hk, key);
    var s = 0.0;
    for (var i = 0u; i < HEAD_DIM; i++) {
      s = fma(q[i], f32(K[base + i]), s);
    }
    let mNew = max(m, s);
    let correction = exp(m - mNew);
    let w = exp(s - mNew);
    l = l * correction + w;
    for (var i = 0u; i < HEAD_DIM; i++) {
      acc[i] = fma(acc[i], correction, w * f32(V[base + i]));
    }
    m = mNew;
  }
  let dst = n * (HEAD_DIM + 2u);
  partials[dst] = m;
  partials[dst + 1u] = l;
  for (var i = 0u; i < HEAD_DIM; i++) {
    partials[dst + 2u + i] = acc[i];
  }
}

@compute @workgroup_size(WG)
fn decode_reduce_kernel(@builtin(global_invocation_id) gid: vec3<u32>) {
  let bh = gid.x;
  if (bh >= p.B * p.H) {
    return;
  }
  var m = -3.0e38;
  for (var s = 0u; s < p.splits; s++) {
    let part = (bh * p.splits + s) * (HEAD_DIM + 2u);
    if (partials[part + 1u] > 0.0) {
      m = max(m, partials[part]);
    }
  }
  var l = 0.0;
  for (var s = 0u; s < p.splits; s++) {
    let part = (bh * p.splits + s) * (HEAD_DIM + 2u);
    if (partials[part + 1u] > 0.0) {
      l += partials[part + 1u] * exp(partials[part] - m);
    }
  }
  for (var i = 0u; i < HEAD_DIM; i++) {
    var o = 0.0;
    for (var s = 0u; s < p.splits; s++) {
      let part = (bh * p.splits + s) * (HEAD_DIM + 2u);
      if (partials[part + 1u] > 0.0) {
        o += partials[part + 2u + i] * exp(partials[part] - m);
      }
    }
    O[bh * HEAD_DIM + i] = o / l;
  }
}

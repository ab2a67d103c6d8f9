// Attention: a fused flash-style prefill (online softmax over streamed K/V tiles, no T×S matrix),
// a naive reference that materialises the scores, and decode over a paged KV cache with split-K.
// Q is [B, H, T, D], K and V [B, Hkv, S, D], O [B, H, T, D] f32; grouped-query attention maps
// query head h to KV head h / (H / Hkv). The dtype and head-dim lines are replaced per variant;
// the flash-tiled block shape is filled in as template values (src/gpu/wgslTemplate.ts).
alias IN = f32; // dtype
const HEAD_DIM = 64u; // head dim

struct Params {
  B: u32,
  H: u32,
  Hkv: u32,
  T: u32,
  S: u32,
  causal: u32,
  // Query t sits at key position t + qOffset (S − T), so a causal row attends keys ≤ t + qOffset.
  qOffset: u32,
  scale: f32,
  // Decode: tokens per KV block, blocks per sequence in the table, splits of the context.
  blockTokens: u32,
  maxBlocks: u32,
  splits: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> Q: array<IN>;
@group(0) @binding(1) var<storage, read> K: array<IN>;
@group(0) @binding(2) var<storage, read> V: array<IN>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const WG = 64u;
const BC = 16u;
var<workgroup> Ks: array<f32, BC * HEAD_DIM>;
var<workgroup> Vs: array<f32, BC * HEAD_DIM>;

// One thread per query row; the workgroup streams K/V tiles of BC keys through workgroup memory.
@compute @workgroup_size(WG)
fn flash_kernel(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let b = wid.z;
  let h = wid.y;
  let hk = h / (p.H / p.Hkv);
  let row0 = wid.x * WG;
  let t = row0 + lid;
  let live = t < p.T;
  var q: array<f32, HEAD_DIM>;
  var acc: array<f32, HEAD_DIM>;
  let qBase = ((b * p.H + h) * p.T + min(t, p.T - 1u)) * HEAD_DIM;
  for (var i = 0u; i < HEAD_DIM; i++) {
    q[i] = f32(Q[qBase + i]) * p.scale;
    acc[i] = 0.0;
  }
  var m = -3.0e38;
  var l = 0.0;
  // Keys this workgroup can need at all: all of them, or up to its last row's diagonal.
  var kEnd = p.S;
  if (p.causal == 1u) {
    kEnd = min(p.S, min(row0 + WG, p.T) + p.qOffset);
  }
  let kvBase = (b * p.Hkv + hk) * p.S * HEAD_DIM;
  for (var k0 = 0u; k0 < kEnd; k0 += BC) {
    for (var idx = lid; idx < BC * HEAD_DIM; idx += WG) {
      let key = k0 + idx / HEAD_DIM;
      var kv = 0.0;
      var vv = 0.0;
      if (key < p.S) {
        kv = f32(K[kvBase + key * HEAD_DIM + idx % HEAD_DIM]);
        vv = f32(V[kvBase + key * HEAD_DIM + idx % HEAD_DIM]);
      }
      Ks[idx] = kv;
      Vs[idx] = vv;
    }
    workgroupBarrier();
    for (var j = 0u; j < BC; j++) {
      let key = k0 + j;
      let visible = key < p.S && (p.causal == 0u || key <= t + p.qOffset);
      if (live && visible) {
        var s = 0.0;
        for (var i = 0u; i < HEAD_DIM; i++) {
          s = fma(q[i], Ks[j * HEAD_DIM + i], s);
        }
        let mNew = max(m, s);
        let correction = exp(m - mNew);
        let w = exp(s - mNew);
        l = l * correction + w;
        for (var i = 0u; i < HEAD_DIM; i++) {
          acc[i] = fma(acc[i], correction, w * Vs[j * HEAD_DIM + i]);
        }
        m = mNew;
      }
    }
    workgroupBarrier();
  }
  if (live) {
    let oBase = ((b * p.H + h) * p.T + t) * HEAD_DIM;
    for (var i = 0u; i < HEAD_DIM; i++) {
      O[oBase + i] = acc[i] / l;
    }
  }
}

// Register-blocked flash prefill, its block shape filled in as template values (the `attention`
// tuner family searches it; the default is 16×16 threads of 4 rows × 4 keys: 64 query rows and
// 64-key blocks, DEFAULT_FLASH_TILE in suites/attention.ts). A workgroup of FT_TX × FT_TY
// threads owns FT_ROWS query rows and streams FT_KEYS-key blocks. Thread (x, y) holds the scores
// of rows FT_RPT·y.. × keys FT_KPT·x.. and the output of the same rows × dims FT_DPT·x.., all in
// registers: Q·Kᵀ in 16-wide slices of the head dim through workgroup memory, the block's
// softmax folded into a running max and sum per row (reduced across the FT_TX threads of a row),
// the output rescaled in registers, then P·V with P in workgroup memory and V in 16-key slices.
const FT_TX = {{FT_TX}}u;   // threads across keys (and output dims)
const FT_TY = {{FT_TY}}u;   // threads across query rows
const FT_RPT = {{FT_RPT}}u; // query rows per thread
const FT_KPT = {{FT_KPT}}u; // keys per thread
const FT_ROWS = FT_TY * FT_RPT;
const FT_KEYS = FT_TX * FT_KPT;
const FT_THREADS = FT_TX * FT_TY;
const FT_DPT = HEAD_DIM / FT_TX;  // output dims per thread
const FT_SLICE = 16u;             // head dims (Q·Kᵀ) or keys (P·V) staged per barrier pair
var<workgroup> ftStage: array<f32, max(FT_SLICE * (FT_ROWS + FT_KEYS), FT_SLICE * HEAD_DIM)>;  // Q and K slices, then a V slice
var<workgroup> ftRed: array<f32, FT_ROWS * FT_TX>;  // [row][x]: per-thread partial row max / sum
var<workgroup> ftP: array<f32, FT_ROWS * FT_KEYS>;  // [row][key] probabilities of the block

@compute @workgroup_size(FT_TX, FT_TY)
fn flash_tiled_kernel(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let b = wid.z;
  let h = wid.y;
  let hk = h / (p.H / p.Hkv);
  let row0 = wid.x * FT_ROWS;
  let t = lid.y * FT_TX + lid.x;
  let myRow = lid.y * FT_RPT;
  let myKey = lid.x * FT_KPT;
  let qBase = (b * p.H + h) * p.T * HEAD_DIM;
  let kvBase = (b * p.Hkv + hk) * p.S * HEAD_DIM;
  var m: array<f32, FT_RPT>;
  var l: array<f32, FT_RPT>;
  var o: array<array<f32, FT_RPT>, FT_DPT>;  // o[e][i]: row myRow + i, dim FT_DPT·x + e
  for (var i = 0u; i < FT_RPT; i++) {
    m[i] = -3.0e38;
    l[i] = 0.0;
    for (var e = 0u; e < FT_DPT; e++) {
      o[e][i] = 0.0;
    }
  }
  var kEnd = p.S;
  if (p.causal == 1u) {
    kEnd = min(p.S, min(row0 + FT_ROWS, p.T) + p.qOffset);
  }
  for (var k0 = 0u; k0 < kEnd; k0 += FT_KEYS) {
    var s: array<array<f32, FT_KPT>, FT_RPT>;  // s[i][j]: row myRow + i, key myKey + j
    // Zeroed by hand: Dawn's WGSL compiler does not re-zero a loop-local var without an
    // initializer on each iteration (WGSL says it should; naga had the same bug, gfx-rs/wgpu#9489).
    for (var i = 0u; i < FT_RPT; i++) {
      for (var j = 0u; j < FT_KPT; j++) {
        s[i][j] = 0.0;
      }
    }
    for (var d0 = 0u; d0 < HEAD_DIM; d0 += FT_SLICE) {
      for (var e = t; e < FT_SLICE * FT_ROWS; e += FT_THREADS) {
        let r = e / FT_SLICE;
        let dd = e % FT_SLICE;
        var qv = 0.0;
        if (row0 + r < p.T) {
          qv = f32(Q[qBase + (row0 + r) * HEAD_DIM + d0 + dd]);
        }
        ftStage[dd * FT_ROWS + r] = qv;
      }
      for (var e = t; e < FT_SLICE * FT_KEYS; e += FT_THREADS) {
        let r = e / FT_SLICE;
        let dd = e % FT_SLICE;
        var kv = 0.0;
        if (k0 + r < p.S) {
          kv = f32(K[kvBase + (k0 + r) * HEAD_DIM + d0 + dd]);
        }
        ftStage[FT_SLICE * FT_ROWS + dd * FT_KEYS + r] = kv;
      }
      workgroupBarrier();
      for (var dd = 0u; dd < FT_SLICE; dd++) {
        var a: array<f32, FT_RPT>;
        for (var i = 0u; i < FT_RPT; i++) {
          a[i] = ftStage[dd * FT_ROWS + myRow + i];
        }
        for (var j = 0u; j < FT_KPT; j++) {
          let kk = ftStage[FT_SLICE * FT_ROWS + dd * FT_KEYS + myKey + j];
          for (var i = 0u; i < FT_RPT; i++) {
            s[i][j] = fma(a[i], kk, s[i][j]);
          }
        }
      }
      workgroupBarrier();
    }
    // Scale and mask; each thread's partial row maxima go to ftRed.
    var visible: array<array<bool, FT_KPT>, FT_RPT>;
    for (var i = 0u; i < FT_RPT; i++) {
      let row = row0 + myRow + i;
      var rowMax = -3.0e38;
      for (var j = 0u; j < FT_KPT; j++) {
        let key = k0 + myKey + j;
        let v = key < p.S && (p.causal == 0u || key <= row + p.qOffset);
        visible[i][j] = v;
        s[i][j] = select(-3.0e38, s[i][j] * p.scale, v);
        rowMax = max(rowMax, s[i][j]);
      }
      ftRed[(myRow + i) * FT_TX + lid.x] = rowMax;
    }
    workgroupBarrier();
    var mNew: array<f32, FT_RPT>;
    for (var i = 0u; i < FT_RPT; i++) {
      mNew[i] = m[i];
      for (var x = 0u; x < FT_TX; x++) {
        mNew[i] = max(mNew[i], ftRed[(myRow + i) * FT_TX + x]);
      }
    }
    workgroupBarrier();
    for (var i = 0u; i < FT_RPT; i++) {
      var rowSum = 0.0;
      for (var j = 0u; j < FT_KPT; j++) {
        let pv = select(0.0, exp(s[i][j] - mNew[i]), visible[i][j]);
        ftP[(myRow + i) * FT_KEYS + myKey + j] = pv;
        rowSum += pv;
      }
      ftRed[(myRow + i) * FT_TX + lid.x] = rowSum;
    }
    workgroupBarrier();
    for (var i = 0u; i < FT_RPT; i++) {
      let correction = exp(m[i] - mNew[i]);
      var blockSum = 0.0;
      for (var x = 0u; x < FT_TX; x++) {
        blockSum += ftRed[(myRow + i) * FT_TX + x];
      }
      l[i] = l[i] * correction + blockSum;
      m[i] = mNew[i];
      for (var e = 0u; e < FT_DPT; e++) {
        o[e][i] *= correction;
      }
    }
    // P·V over 16-key slices of V.
    for (var kc = 0u; kc < FT_KEYS; kc += FT_SLICE) {
      for (var idx = t; idx < FT_SLICE * HEAD_DIM; idx += FT_THREADS) {
        let key = k0 + kc + idx / HEAD_DIM;
        var vv = 0.0;
        if (key < p.S) {
          vv = f32(V[kvBase + key * HEAD_DIM + idx % HEAD_DIM]);
        }
        ftStage[idx] = vv;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < FT_SLICE; kk++) {
        var pr: array<f32, FT_RPT>;
        for (var i = 0u; i < FT_RPT; i++) {
          pr[i] = ftP[(myRow + i) * FT_KEYS + kc + kk];
        }
        for (var e = 0u; e < FT_DPT; e++) {
          let vv = ftStage[kk * HEAD_DIM + lid.x * FT_DPT + e];
          for (var i = 0u; i < FT_RPT; i++) {
            o[e][i] = fma(pr[i], vv, o[e][i]);
          }
        }
      }
      workgroupBarrier();
    }
  }
  for (var i = 0u; i < FT_RPT; i++) {
    let row = row0 + myRow + i;
    if (row < p.T) {
      let oBase = ((b * p.H + h) * p.T + row) * HEAD_DIM + lid.x * FT_DPT;
      for (var e = 0u; e < FT_DPT; e++) {
        O[oBase + e] = o[e][i] / l[i];
      }
    }
  }
}

// The naive reference: scores S = Q·Kᵀ (masked), softmax per row, then O = P·V.
@group(0) @binding(5) var<storage, read_write> scores: array<f32>;

fn linear(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn scores_kernel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let n = linear(gid, groups);
  if (n >= p.B * p.H * p.T * p.S) {
    return;
  }
  let s = n % p.S;
  let row = n / p.S;
  let t = row % p.T;
  let bh = row / p.T;
  let h = bh % p.H;
  let b = bh / p.H;
  let hk = h / (p.H / p.Hkv);
  if (p.causal == 1u && s > t + p.qOffset) {
    scores[n] = -3.0e38;
    return;
  }
  var total = 0.0;
  for (var i = 0u; i < HEAD_DIM; i++) {
    total += f32(Q[row * HEAD_DIM + i]) * f32(K[((b * p.Hkv + hk) * p.S + s) * HEAD_DIM + i]);
  }
  scores[n] = total * p.scale;
}

@compute @workgroup_size(256)
fn softmax_kernel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = linear(gid, groups);
  if (row >= p.B * p.H * p.T) {
    return;
  }
  var m = -3.0e38;
  for (var s = 0u; s < p.S; s++) {
    m = max(m, scores[row * p.S + s]);
  }
  var sum = 0.0;
  for (var s = 0u; s < p.S; s++) {
    let e = exp(scores[row * p.S + s] - m);
    scores[row * p.S + s] = e;
    sum += e;
  }
  for (var s = 0u; s < p.S; s++) {
    scores[row * p.S + s] /= sum;
  }
}

@compute @workgroup_size(256)
fn pv_kernel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let n = linear(gid, groups);
  if (n >= p.B * p.H * p.T * HEAD_DIM) {
    return;
  }
  let i = n % HEAD_DIM;
  let row = n / HEAD_DIM;
  let bh = row / p.T;
  let h = bh % p.H;
  let b = bh / p.H;
  let hk = h / (p.H / p.Hkv);
  var weighted = 0.0;
  for (var s = 0u; s < p.S; s++) {
    weighted += scores[row * p.S + s] * f32(V[((b * p.Hkv + hk) * p.S + s) * HEAD_DIM + i]);
  }
  O[n] = weighted;
}

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
fn decode_split_kernel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
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

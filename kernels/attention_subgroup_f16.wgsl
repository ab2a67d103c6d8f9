// Flash-style attention prefill on the matrix units (subgroup matrices, f16 inputs, f32
// accumulation). One subgroup per workgroup owns 16 query rows of one (batch, head) and streams
// the keys in blocks of 16. Two sweeps over the keys: the first computes each row's softmax max
// and sum from Q·Kᵀ; the second recomputes Q·Kᵀ, turns it into probabilities with the final max
// and sum (f16, in workgroup memory) and accumulates P·V in result matrices that never leave the
// registers. Recomputing Q·Kᵀ (half the FLOPs again) spares the per-block rescaling of the output,
// which subgroup matrices cannot do row by row. No T×S matrix exists anywhere.
// flash_sgmat_staged_kernel does the same with SGS subgroups (16·SGS query rows) per workgroup
// sharing each 16-key block of K and V through workgroup memory: 1/SGS of the K/V traffic, at
// the cost of subgroups that wait at each block's barriers for the slowest (causal rows stop at
// different keys). The blocks arrive as 16-byte loads into padded rows, the next one prefetched
// into registers while the current one multiplies. SGS, the padding and the prefetch are tuned
// per device (`wgbench tune --family attention-subgroup-matrix`).
// Layouts as kernels/attention_common.wgsl: Q [B, H, T, D], K and V [B, Hkv, S, D] f16, O [B, H, T, D]
// f32; T and S multiples of 16 (T of 16·SGS for the staged kernel). HEAD_DIM and SGS are
// template values filled per launch (subgroupMatrixLoad takes fixed-size workgroup arrays only).
enable f16;
enable chromium_experimental_subgroup_matrix;
// The staged kernel's subgroups work on different rows and stop at different keys (causal), which
// Tint's conservative uniformity rule rejects; each subgroup is uniform within itself, which is
// what the matrix units need.
diagnostic(off, chromium.subgroup_matrix_uniformity);

const HEAD_DIM = {{HEAD_DIM}}u;
const DB = HEAD_DIM / 16u;  // 16-wide slices of the head dimension

// The layout of kernels/attention_common.wgsl's Params: the suite writes one uniform for both.
struct Params {
  B: u32,
  H: u32,
  Hkv: u32,
  T: u32,
  S: u32,
  causal: u32,
  qOffset: u32,
  scale: f32,
  blockTokens: u32,
  maxBlocks: u32,
  splits: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> Q: array<f16>;
@group(0) @binding(1) var<storage, read> K: array<f16>;
@group(0) @binding(2) var<storage, read> V: array<f16>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override SUBGROUP_SIZE: u32 = 32u;

const SGS = {{SGS}}u; // subgroups per workgroup
const ROWS = 16u * SGS;

var<workgroup> scoresS: array<f32, 256u * SGS>;  // per subgroup, one 16×16 block of Q·Kᵀ
var<workgroup> probsS: array<f16, 256u * SGS>;   // per subgroup, the same as probabilities

// Q·Kᵀ for the block of 16 keys from key0, into subgroup sg's scores (row-major, 16×16).
fn scoreBlock(q: ptr<function, array<subgroup_matrix_left<f16, 16, 16>, DB>>, kvBase: u32, key0: u32) {
  var s = subgroup_matrix_result<f32, 16, 16>();
  for (var i = 0u; i < DB; i++) {
    // Kᵀ as the right operand: column n is key key0 + n, read from K's rows (column-major load).
    let kt = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&K, kvBase + key0 * HEAD_DIM + i * 16u, true,
        HEAD_DIM);
    s = subgroupMatrixMultiplyAccumulate((*q)[i], kt, s);
  }
  subgroupMatrixStore(&scoresS, 0u, s, false, 16u);
}

// Subgroup sg's scaled, masked score at (row r, key j) of the block from key0; its rows start at t0.
fn scoreS(sg: u32, r: u32, j: u32, t0: u32, key0: u32) -> f32 {
  let key = key0 + j;
  if (key >= p.S || (p.causal == 1u && key > t0 + r + p.qOffset)) {
    return -3.0e38;
  }
  return scoresS[sg * 256u + r * 16u + j] * p.scale;
}

// Folds row r's scores of this block into its running (max, sum).
fn foldRow(sg: u32, r: u32, t0: u32, key0: u32, ml: vec2<f32>) -> vec2<f32> {
  var blockMax = -3.0e38;
  for (var j = 0u; j < 16u; j++) {
    blockMax = max(blockMax, scoreS(sg, r, j, t0, key0));
  }
  let mNew = max(ml.x, blockMax);
  var sum = 0.0;
  for (var j = 0u; j < 16u; j++) {
    let x = scoreS(sg, r, j, t0, key0);
    sum += select(exp(x - mNew), 0.0, x <= -3.0e38);
  }
  return vec2<f32>(mNew, ml.y * exp(ml.x - mNew) + sum);
}

// Row r's probabilities for this block with the final (max, sum), as f16 for P·V.
fn writeProbs(sg: u32, r: u32, t0: u32, key0: u32, ml: vec2<f32>) {
  for (var j = 0u; j < 16u; j++) {
    let x = scoreS(sg, r, j, t0, key0);
    probsS[sg * 256u + r * 16u + j] = f16(select(exp(x - ml.x) / ml.y, 0.0, x <= -3.0e38));
  }
}

@compute @workgroup_size(SUBGROUP_SIZE)
fn flash_sgmat_kernel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let b = wid.z;
  let h = wid.y;
  let hk = h / (p.H / p.Hkv);
  let t0 = wid.x * 16u;
  let qBase = ((b * p.H + h) * p.T + t0) * HEAD_DIM;
  let kvBase = (b * p.Hkv + hk) * p.S * HEAD_DIM;
  var q: array<subgroup_matrix_left<f16, 16, 16>, DB>;
  for (var i = 0u; i < DB; i++) {
    q[i] = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&Q, qBase + i * 16u, false, HEAD_DIM);
  }
  var kEnd = p.S;
  if (p.causal == 1u) {
    kEnd = min(p.S, t0 + 16u + p.qOffset);
  }
  // Lane r < 16 keeps row r's running max and sum.
  var ml = vec2<f32>(-3.0e38, 0.0);
  for (var key0 = 0u; key0 < kEnd; key0 += 16u) {
    scoreBlock(&q, kvBase, key0);
    workgroupBarrier();
    if (lane < 16u) {
      ml = foldRow(0u, lane, t0, key0, ml);
    }
    workgroupBarrier();
  }
  var o: array<subgroup_matrix_result<f32, 16, 16>, DB>;
  for (var key0 = 0u; key0 < kEnd; key0 += 16u) {
    scoreBlock(&q, kvBase, key0);
    workgroupBarrier();
    if (lane < 16u) {
      writeProbs(0u, lane, t0, key0, ml);
    }
    workgroupBarrier();
    let pm = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&probsS, 0u, false, 16u);
    for (var i = 0u; i < DB; i++) {
      let v = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&V, kvBase + key0 * HEAD_DIM + i * 16u, false,
          HEAD_DIM);
      o[i] = subgroupMatrixMultiplyAccumulate(pm, v, o[i]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < DB; i++) {
    subgroupMatrixStore(&O, qBase + i * 16u, o[i], false, HEAD_DIM);
  }
}

// K/V row padding of the staged kernel's blocks, in f16 elements (8 = 16 bytes keeps rows 16-byte
// aligned and moves the column-major Kᵀ loads across banks). PREFETCH: the next block's words are
// loaded into registers right after the current block is staged, so the loads are in flight
// while the matrix units work on it. Both are template values, like SGS.
const KV_PAD = {{KV_PAD}}u; // K/V row padding
const PREFETCH = {{PREFETCH}}; // prefetch the next K/V block
const KV_STRIDE = HEAD_DIM + KV_PAD;

var<workgroup> Ks: array<f16, 16u * KV_STRIDE>;  // the K block, [key][dim]
var<workgroup> Vs: array<f16, 16u * KV_STRIDE>;  // the V block, [key][dim]

// K and V again, as 16-byte words (8 f16 each), for the staging loads.
@group(0) @binding(5) var<storage, read> K4: array<vec4<u32>>;
@group(0) @binding(6) var<storage, read> V4: array<vec4<u32>>;

// A block of 16 keys is 2·HEAD_DIM words; a thread's share is at most this many (the kernel
// needs subgroups of at least 16 lanes).
const BLOCK_WORDS = 2u * HEAD_DIM;
const WORDS_PER_THREAD = (BLOCK_WORDS + 16u * SGS - 1u) / (16u * SGS);

struct KvWords {
  k: array<vec4<u32>, WORDS_PER_THREAD>,
  v: array<vec4<u32>, WORDS_PER_THREAD>,
}

// This thread's words of the block of 16 keys from key0 (zeros past S).
fn fetchKv(kvBase: u32, key0: u32, lid: u32, withV: bool) -> KvWords {
  var w: KvWords;
  for (var u = 0u; u < WORDS_PER_THREAD; u++) {
    let i = lid + u * SUBGROUP_SIZE * SGS;
    if (i < BLOCK_WORDS && key0 + i / (HEAD_DIM / 8u) < p.S) {
      let word = (kvBase + key0 * HEAD_DIM) / 8u + i;
      w.k[u] = K4[word];
      if (withV) {
        w.v[u] = V4[word];
      }
    }
  }
  return w;
}

// Writes the words into the padded K and V blocks.
fn stageKv(w: KvWords, lid: u32, withV: bool) {
  for (var u = 0u; u < WORDS_PER_THREAD; u++) {
    let i = lid + u * SUBGROUP_SIZE * SGS;
    if (i < BLOCK_WORDS) {
      let at = (i / (HEAD_DIM / 8u)) * KV_STRIDE + (i % (HEAD_DIM / 8u)) * 8u;
      for (var c = 0u; c < 4u; c++) {
        let k2 = bitcast<vec2<f16>>(w.k[u][c]);
        Ks[at + 2u * c] = k2.x;
        Ks[at + 2u * c + 1u] = k2.y;
        if (withV) {
          let v2 = bitcast<vec2<f16>>(w.v[u][c]);
          Vs[at + 2u * c] = v2.x;
          Vs[at + 2u * c + 1u] = v2.y;
        }
      }
    }
  }
}

fn blockScores(q: ptr<function, array<subgroup_matrix_left<f16, 16, 16>, DB>>, sg: u32) {
  var s = subgroup_matrix_result<f32, 16, 16>();
  for (var i = 0u; i < DB; i++) {
    let kt = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&Ks, i * 16u, true, KV_STRIDE);
    s = subgroupMatrixMultiplyAccumulate((*q)[i], kt, s);
  }
  subgroupMatrixStore(&scoresS, sg * 256u, s, false, 16u);
}

@compute @workgroup_size(SUBGROUP_SIZE * SGS)
fn flash_sgmat_staged_kernel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sg = lid / SUBGROUP_SIZE;
  let lane = lid % SUBGROUP_SIZE;
  let b = wid.z;
  let h = wid.y;
  let hk = h / (p.H / p.Hkv);
  let t0 = wid.x * ROWS + sg * 16u;
  let qBase = ((b * p.H + h) * p.T + t0) * HEAD_DIM;
  let kvBase = (b * p.Hkv + hk) * p.S * HEAD_DIM;
  var q: array<subgroup_matrix_left<f16, 16, 16>, DB>;
  for (var i = 0u; i < DB; i++) {
    q[i] = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&Q, qBase + i * 16u, false, HEAD_DIM);
  }
  var kEnd = p.S;  // the workgroup's last key, and this subgroup's
  var mine = p.S;
  if (p.causal == 1u) {
    kEnd = min(p.S, wid.x * ROWS + ROWS + p.qOffset);
    mine = min(p.S, t0 + 16u + p.qOffset);
  }
  var ml = vec2<f32>(-3.0e38, 0.0);
  var words: KvWords;
  if (PREFETCH) {
    words = fetchKv(kvBase, 0u, lid, false);
  }
  for (var key0 = 0u; key0 < kEnd; key0 += 16u) {
    if (!PREFETCH) {
      words = fetchKv(kvBase, key0, lid, false);
    }
    stageKv(words, lid, false);
    workgroupBarrier();
    if (PREFETCH && key0 + 16u < kEnd) {
      words = fetchKv(kvBase, key0 + 16u, lid, false);
    }
    if (key0 < mine) {
      blockScores(&q, sg);
    }
    workgroupBarrier();
    if (key0 < mine && lane < 16u) {
      ml = foldRow(sg, lane, t0, key0, ml);
    }
    workgroupBarrier();
  }
  var o: array<subgroup_matrix_result<f32, 16, 16>, DB>;
  if (PREFETCH) {
    words = fetchKv(kvBase, 0u, lid, true);
  }
  for (var key0 = 0u; key0 < kEnd; key0 += 16u) {
    if (!PREFETCH) {
      words = fetchKv(kvBase, key0, lid, true);
    }
    stageKv(words, lid, true);
    workgroupBarrier();
    if (PREFETCH && key0 + 16u < kEnd) {
      words = fetchKv(kvBase, key0 + 16u, lid, true);
    }
    if (key0 < mine) {
      blockScores(&q, sg);
    }
    workgroupBarrier();
    if (key0 < mine && lane < 16u) {
      writeProbs(sg, lane, t0, key0, ml);
    }
    workgroupBarrier();
    if (key0 < mine) {
      let pm = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&probsS, sg * 256u, false, 16u);
      for (var i = 0u; i < DB; i++) {
        let v = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&Vs, i * 16u, false, KV_STRIDE);
        o[i] = subgroupMatrixMultiplyAccumulate(pm, v, o[i]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < DB; i++) {
    subgroupMatrixStore(&O, qBase + i * 16u, o[i], false, HEAD_DIM);
  }
}

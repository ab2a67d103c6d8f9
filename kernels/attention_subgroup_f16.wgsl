// Flash-style attention prefill on the matrix units (subgroup matrices, f16 inputs, f32
// accumulation). One subgroup per workgroup owns 16 query rows of one (batch, head) and streams
// the keys in blocks of 16. Two sweeps over the keys: the first computes each row's softmax max
// and sum from Q·Kᵀ; the second recomputes Q·Kᵀ, turns it into probabilities with the final max
// and sum (f16, in workgroup memory) and accumulates P·V in result matrices that never leave the
// registers. Recomputing Q·Kᵀ (half the FLOPs again) spares the per-block rescaling of the output,
// which subgroup matrices cannot do row by row. No T×S matrix exists anywhere.
// Layouts as kernels/attention.wgsl: Q [B, H, T, D], K and V [B, Hkv, S, D] f16, O [B, H, T, D]
// f32; T and S multiples of 16. The head-dim line is replaced per variant.
enable f16;
enable chromium_experimental_subgroup_matrix;

const HEAD_DIM = 64u; // head dim
const DB = HEAD_DIM / 16u;  // 16-wide slices of the head dimension

// The layout of kernels/attention.wgsl's Params: the suite writes one uniform for both.
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

var<workgroup> scores: array<f32, 256>;  // one 16×16 block of Q·Kᵀ
var<workgroup> probs: array<f16, 256>;   // the same block as probabilities

// Q·Kᵀ for the block of 16 keys from key0, into `scores` (row-major, 16×16).
fn scoreBlock(q: ptr<function, array<subgroup_matrix_left<f16, 16, 16>, DB>>, kvBase: u32, key0: u32) {
  var s = subgroup_matrix_result<f32, 16, 16>();
  for (var i = 0u; i < DB; i++) {
    // Kᵀ as the right operand: column n is key key0 + n, read from K's rows (column-major load).
    let kt = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&K, kvBase + key0 * HEAD_DIM + i * 16u, true, HEAD_DIM);
    s = subgroupMatrixMultiplyAccumulate((*q)[i], kt, s);
  }
  subgroupMatrixStore(&scores, 0u, s, false, 16u);
}

// The block's scaled, masked score at (row r, key j).
fn score(r: u32, j: u32, t0: u32, key0: u32) -> f32 {
  let key = key0 + j;
  if (key >= p.S || (p.causal == 1u && key > t0 + r + p.qOffset)) {
    return -3.0e38;
  }
  return scores[r * 16u + j] * p.scale;
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
  var m = -3.0e38;
  var l = 0.0;
  for (var key0 = 0u; key0 < kEnd; key0 += 16u) {
    scoreBlock(&q, kvBase, key0);
    workgroupBarrier();
    if (lane < 16u) {
      var blockMax = -3.0e38;
      for (var j = 0u; j < 16u; j++) {
        blockMax = max(blockMax, score(lane, j, t0, key0));
      }
      let mNew = max(m, blockMax);
      var sum = 0.0;
      for (var j = 0u; j < 16u; j++) {
        let x = score(lane, j, t0, key0);
        sum += select(exp(x - mNew), 0.0, x <= -3.0e38);
      }
      l = l * exp(m - mNew) + sum;
      m = mNew;
    }
    workgroupBarrier();
  }
  var o: array<subgroup_matrix_result<f32, 16, 16>, DB>;
  for (var key0 = 0u; key0 < kEnd; key0 += 16u) {
    scoreBlock(&q, kvBase, key0);
    workgroupBarrier();
    if (lane < 16u) {
      for (var j = 0u; j < 16u; j++) {
        let x = score(lane, j, t0, key0);
        probs[lane * 16u + j] = f16(select(exp(x - m) / l, 0.0, x <= -3.0e38));
      }
    }
    workgroupBarrier();
    let pm = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&probs, 0u, false, 16u);
    for (var i = 0u; i < DB; i++) {
      let v = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&V, kvBase + key0 * HEAD_DIM + i * 16u, false, HEAD_DIM);
      o[i] = subgroupMatrixMultiplyAccumulate(pm, v, o[i]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < DB; i++) {
    subgroupMatrixStore(&O, qBase + i * 16u, o[i], false, HEAD_DIM);
  }
}

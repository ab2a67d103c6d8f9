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
// Q and K slices, then a V slice
var<workgroup> ftStage: array<f32, max(FT_SLICE * (FT_ROWS + FT_KEYS), FT_SLICE * HEAD_DIM)>;
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

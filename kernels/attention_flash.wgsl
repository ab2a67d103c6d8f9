// A fused flash-style prefill: online softmax over streamed K/V tiles, no T×S matrix.
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

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

// int8 GEMM on the scalar units: C (i32) = A (int8, M×K) · B (int8, K×N), four products per
// dot4I8Packed. A is packed along K (row-major), B is stored transposed (N×K) and packed along K.
struct Dims {
  M: u32,
  N: u32,
  K: u32,
  kBlocks: u32,
}

@group(0) @binding(0) var<storage, read> A: array<u32>;
@group(0) @binding(1) var<storage, read> Bt: array<u32>;
@group(0) @binding(2) var<storage, read_write> C: array<i32>;
@group(0) @binding(3) var<uniform> dims: Dims;

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;

@compute @workgroup_size(WG_X, WG_Y)
fn dot4_kernel(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let row = gid.y;
  if (row >= dims.M || col >= dims.N) {
    return;
  }
  let words = dims.K / 4u;
  var acc = 0i;
  for (var w = 0u; w < words; w++) {
    acc += dot4I8Packed(A[row * words + w], Bt[col * words + w]);
  }
  C[row * dims.N + col] = acc;
}

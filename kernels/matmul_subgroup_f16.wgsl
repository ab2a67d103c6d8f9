// f16 GEMM on the matrix units through subgroup matrices (16×16×16, f32 accumulation).
// One subgroup per workgroup computes a 32×32 block of C as 2×2 result matrices.
enable f16;
enable chromium_experimental_subgroup_matrix;

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  kBlocks: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f16>;
@group(0) @binding(1) var<storage, read> B: array<f16>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

override SUBGROUP_SIZE: u32 = 32u;

@compute @workgroup_size(SUBGROUP_SIZE)
fn sgmat_f16_kernel(@builtin(workgroup_id) wid: vec3<u32>) {
  let row0 = wid.y * 32u;
  let col0 = wid.x * 32u;
  var c00 = subgroup_matrix_result<f32, 16, 16>();
  var c01 = subgroup_matrix_result<f32, 16, 16>();
  var c10 = subgroup_matrix_result<f32, 16, 16>();
  var c11 = subgroup_matrix_result<f32, 16, 16>();
  for (var k = 0u; k < dims.K; k += 16u) {
    let a0 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&A, row0 * dims.K + k, false, dims.K);
    let a1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&A, (row0 + 16u) * dims.K + k, false, dims.K);
    let b0 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&B, k * dims.N + col0, false, dims.N);
    let b1 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&B, k * dims.N + col0 + 16u, false, dims.N);
    c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
    c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
    c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
    c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
  }
  subgroupMatrixStore(&C, row0 * dims.N + col0, c00, false, dims.N);
  subgroupMatrixStore(&C, row0 * dims.N + col0 + 16u, c01, false, dims.N);
  subgroupMatrixStore(&C, (row0 + 16u) * dims.N + col0, c10, false, dims.N);
  subgroupMatrixStore(&C, (row0 + 16u) * dims.N + col0 + 16u, c11, false, dims.N);
}

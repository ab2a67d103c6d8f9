// int8 GEMM on the matrix units through subgroup matrices (M16 N16 K32, i32 accumulation),
// staged through workgroup memory like matmul_subgroup_f16_tiled: a workgroup of 8 subgroups
// computes a 128×128 tile of C; each K step of 64 loads the A (128×64) and B (64×128) int8 tiles
// once, 16 bytes per load, and every subgroup takes its 64×32 block (4×2 result matrices).
// Buffers hold packed int8 in i32 words; matrix offsets and strides count int8 elements. Rows are
// padded by 16 bytes to spread the subgroups' loads over banks, keeping 16-byte alignment.
// Needs M and N multiples of 128, K of 64, and a fixed subgroup size.
enable chromium_experimental_subgroup_matrix;
// Each subgroup's offsets differ (they depend on its index), which Tint's conservative
// uniformity rule rejects; they are uniform within the subgroup, which is what the units need.
diagnostic(off, chromium.subgroup_matrix_uniformity);

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  kBlocks: u32,
}

@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(2) var<storage, read_write> C: array<i32>;
// A and B as 16-byte words (16 int8 each), for the staging loads.
@group(0) @binding(4) var<storage, read> A4: array<vec4<i32>>;
@group(0) @binding(5) var<storage, read> B4: array<vec4<i32>>;

override SUBGROUP_SIZE: u32 = 32u;

const TM = 128u;
const TN = 128u;
const TK = 64u;
const SG_COLS = 4u;  // 8 subgroups as 2 rows × 4 columns of 64×32 blocks
const SM = 64u;
const SN = 32u;
const A_STRIDE = TK + 16u;  // bytes
const B_STRIDE = TN + 16u;

var<workgroup> As: array<i32, TM * A_STRIDE / 4u>;
var<workgroup> Bs: array<i32, TK * B_STRIDE / 4u>;

@compute @workgroup_size(SUBGROUP_SIZE * 8u)
fn sgmat_i8_tiled_kernel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let threads = SUBGROUP_SIZE * 8u;
  let sg = lid / SUBGROUP_SIZE;
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let aRow = (sg / SG_COLS) * SM;
  let bCol = (sg % SG_COLS) * SN;
  var c00 = subgroup_matrix_result<i32, 16, 16>();
  var c01 = subgroup_matrix_result<i32, 16, 16>();
  var c10 = subgroup_matrix_result<i32, 16, 16>();
  var c11 = subgroup_matrix_result<i32, 16, 16>();
  var c20 = subgroup_matrix_result<i32, 16, 16>();
  var c21 = subgroup_matrix_result<i32, 16, 16>();
  var c30 = subgroup_matrix_result<i32, 16, 16>();
  var c31 = subgroup_matrix_result<i32, 16, 16>();
  let k16 = dims.K / 16u;
  let n16 = dims.N / 16u;
  for (var k0 = 0u; k0 < dims.K; k0 += TK) {
    // A tile: 128 rows × 4 words of 16 bytes; B tile: 64 rows × 8 words.
    for (var i = lid; i < TM * TK / 16u; i += threads) {
      let r = i / (TK / 16u);
      let c = (i % (TK / 16u)) * 16u;
      let v = A4[(row0 + r) * k16 + k0 / 16u + c / 16u];
      for (var j = 0u; j < 4u; j++) {
        As[(r * A_STRIDE + c) / 4u + j] = v[j];
      }
    }
    for (var i = lid; i < TK * TN / 16u; i += threads) {
      let r = i / (TN / 16u);
      let c = (i % (TN / 16u)) * 16u;
      let v = B4[(k0 + r) * n16 + col0 / 16u + c / 16u];
      for (var j = 0u; j < 4u; j++) {
        Bs[(r * B_STRIDE + c) / 4u + j] = v[j];
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk += 32u) {
      let a0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&As, (aRow + 0u) * A_STRIDE + kk, false, A_STRIDE);
      let a1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&As, (aRow + 16u) * A_STRIDE + kk, false, A_STRIDE);
      let a2 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&As, (aRow + 32u) * A_STRIDE + kk, false, A_STRIDE);
      let a3 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&As, (aRow + 48u) * A_STRIDE + kk, false, A_STRIDE);
      let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&Bs, kk * B_STRIDE + bCol + 0u, false, B_STRIDE);
      let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&Bs, kk * B_STRIDE + bCol + 16u, false, B_STRIDE);
      c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
      c20 = subgroupMatrixMultiplyAccumulate(a2, b0, c20);
      c21 = subgroupMatrixMultiplyAccumulate(a2, b1, c21);
      c30 = subgroupMatrixMultiplyAccumulate(a3, b0, c30);
      c31 = subgroupMatrixMultiplyAccumulate(a3, b1, c31);
    }
    workgroupBarrier();
  }
  let cRow = row0 + aRow;
  let cCol = col0 + bCol;
  subgroupMatrixStore(&C, (cRow + 0u) * dims.N + cCol + 0u, c00, false, dims.N);
  subgroupMatrixStore(&C, (cRow + 0u) * dims.N + cCol + 16u, c01, false, dims.N);
  subgroupMatrixStore(&C, (cRow + 16u) * dims.N + cCol + 0u, c10, false, dims.N);
  subgroupMatrixStore(&C, (cRow + 16u) * dims.N + cCol + 16u, c11, false, dims.N);
  subgroupMatrixStore(&C, (cRow + 32u) * dims.N + cCol + 0u, c20, false, dims.N);
  subgroupMatrixStore(&C, (cRow + 32u) * dims.N + cCol + 16u, c21, false, dims.N);
  subgroupMatrixStore(&C, (cRow + 48u) * dims.N + cCol + 0u, c30, false, dims.N);
  subgroupMatrixStore(&C, (cRow + 48u) * dims.N + cCol + 16u, c31, false, dims.N);
}

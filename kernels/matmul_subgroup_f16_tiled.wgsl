// f16 GEMM on the matrix units through subgroup matrices (16×16×16, f32 accumulation), staged
// through workgroup memory: a workgroup of 8 subgroups computes a 128×128 tile of C; each K step
// of 32 loads the A (128×32) and B (32×128) tiles once, as vec4, and every subgroup takes its
// 64×32 block (4×2 result matrices) from there. Against the direct kernel, each element of A and
// B leaves global memory 4× (A) and 2× (B) less often per output, and the matrix loads hit
// workgroup memory. Rows are padded by 8 halves so that the subgroups' loads spread over banks;
// every row start stays 16-byte aligned.
// Needs M and N multiples of 128, K of 32, and a fixed subgroup size (the subgroup index is
// local_invocation_index / SUBGROUP_SIZE).
enable f16;
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
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
// A and B as vec4<f16>, for the staging loads.
@group(0) @binding(4) var<storage, read> A4: array<vec4<f16>>;
@group(0) @binding(5) var<storage, read> B4: array<vec4<f16>>;

override SUBGROUP_SIZE: u32 = 32u;

const TM = 128u;
const TN = 128u;
const TK = 32u;
const SG_COLS = 4u;  // 8 subgroups as 2 rows × 4 columns of 64×32 blocks
const SM = 64u;
const SN = 32u;
const A_STRIDE = TK + 8u;
const B_STRIDE = TN + 8u;

var<workgroup> As: array<f16, TM * A_STRIDE>;
var<workgroup> Bs: array<f16, TK * B_STRIDE>;

@compute @workgroup_size(SUBGROUP_SIZE * 8u)
fn sgmat_f16_tiled_kernel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let threads = SUBGROUP_SIZE * 8u;
  let sg = lid / SUBGROUP_SIZE;
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let aRow = (sg / SG_COLS) * SM;
  let bCol = (sg % SG_COLS) * SN;
  var c00 = subgroup_matrix_result<f32, 16, 16>();
  var c01 = subgroup_matrix_result<f32, 16, 16>();
  var c10 = subgroup_matrix_result<f32, 16, 16>();
  var c11 = subgroup_matrix_result<f32, 16, 16>();
  var c20 = subgroup_matrix_result<f32, 16, 16>();
  var c21 = subgroup_matrix_result<f32, 16, 16>();
  var c30 = subgroup_matrix_result<f32, 16, 16>();
  var c31 = subgroup_matrix_result<f32, 16, 16>();
  let k4 = dims.K / 4u;
  let n4 = dims.N / 4u;
  for (var k0 = 0u; k0 < dims.K; k0 += TK) {
    // A tile: 128 rows × 8 vec4; B tile: 32 rows × 32 vec4.
    for (var i = lid; i < TM * TK / 4u; i += threads) {
      let r = i / (TK / 4u);
      let c = (i % (TK / 4u)) * 4u;
      let v = A4[(row0 + r) * k4 + k0 / 4u + c / 4u];
      for (var j = 0u; j < 4u; j++) {
        As[r * A_STRIDE + c + j] = v[j];
      }
    }
    for (var i = lid; i < TK * TN / 4u; i += threads) {
      let r = i / (TN / 4u);
      let c = (i % (TN / 4u)) * 4u;
      let v = B4[(k0 + r) * n4 + col0 / 4u + c / 4u];
      for (var j = 0u; j < 4u; j++) {
        Bs[r * B_STRIDE + c + j] = v[j];
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk += 16u) {
      let a0 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&As, (aRow + 0u) * A_STRIDE + kk, false, A_STRIDE);
      let a1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&As, (aRow + 16u) * A_STRIDE + kk, false, A_STRIDE);
      let a2 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&As, (aRow + 32u) * A_STRIDE + kk, false, A_STRIDE);
      let a3 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&As, (aRow + 48u) * A_STRIDE + kk, false, A_STRIDE);
      let b0 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&Bs, kk * B_STRIDE + bCol + 0u, false, B_STRIDE);
      let b1 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&Bs, kk * B_STRIDE + bCol + 16u, false, B_STRIDE);
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

// GEMM on the matrix units through subgroup matrices, staged through workgroup memory: one
// source for f16 (16×16×16, f32 accumulation) and int8 (16×16×32, i32 accumulation), the types
// and the tile shape filled in by src/gpu/wgslTemplate.ts (the names in double braces;
// docs/kernels.md): subgroupMatrixLoad takes workgroup arrays of a fixed size only, so TK and PAD
// cannot be overrides.
// A workgroup of 8 subgroups computes a 128×128 tile of C; each K step of TK loads the A (128×TK)
// and B (TK×128) tiles once, a vec4 word per load, and every subgroup takes its 64×32 block (4×2
// result matrices) from there: each element of A and B leaves global memory 4× (A) and 2× (B)
// less often per output than in the direct kernel, and the matrix loads hit workgroup memory.
// Rows are padded by PAD elements so that the subgroups' loads spread over banks; a PAD of a
// whole number of 16 bytes keeps every row start 16-byte aligned.
// Offsets and strides count elements ({{CT}}); workgroup memory holds {{EPW}} per word of {{WORD}}.
// Needs M and N multiples of 128, K of TK, TK a multiple of {{MK}}, and a fixed subgroup size
// (the subgroup index is local_invocation_index / SUBGROUP_SIZE).
{{ENABLES}}
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
@group(0) @binding(2) var<storage, read_write> C: array<{{ACC}}>;
// A and B as vec4 words ({{EPV}} elements each), for the staging loads.
@group(0) @binding(4) var<storage, read> A4: array<vec4<{{WORD}}>>;
@group(0) @binding(5) var<storage, read> B4: array<vec4<{{WORD}}>>;

override SUBGROUP_SIZE: u32 = 32u;
// The K step staged per barrier pair, in elements: a multiple of {{MK}} (and of {{EPV}}).
const TK = {{TK}}u;
// Row padding of both tiles, in elements: a multiple of 16 bytes keeps rows 16-byte aligned.
const PAD = {{PAD}}u;

const TM = 128u;
const TN = 128u;
const SG_COLS = 4u;  // 8 subgroups as 2 rows × 4 columns of 64×32 blocks
const SM = 64u;
const SN = 32u;
const EPV = {{EPV}}u;
const EPW = {{EPW}}u;
const MK = {{MK}}u;

var<workgroup> As: array<{{WORD}}, TM * (TK + PAD) / EPW>;
var<workgroup> Bs: array<{{WORD}}, TK * (TN + PAD) / EPW>;

@compute @workgroup_size(SUBGROUP_SIZE * 8u)
fn {{ENTRY}}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let threads = SUBGROUP_SIZE * 8u;
  let aStride = TK + PAD;
  let bStride = TN + PAD;
  let sg = lid / SUBGROUP_SIZE;
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let aRow = (sg / SG_COLS) * SM;
  let bCol = (sg % SG_COLS) * SN;
  var c00 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  var c01 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  var c10 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  var c11 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  var c20 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  var c21 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  var c30 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  var c31 = subgroup_matrix_result<{{ACC}}, 16, 16>();
  let kv = dims.K / EPV;
  let nv = dims.N / EPV;
  for (var k0 = 0u; k0 < dims.K; k0 += TK) {
    // A tile: 128 rows × TK/EPV words; B tile: TK rows × 128/EPV words.
    for (var i = lid; i < TM * TK / EPV; i += threads) {
      let r = i / (TK / EPV);
      let c = (i % (TK / EPV)) * EPV;
      let v = A4[(row0 + r) * kv + (k0 + c) / EPV];
      for (var j = 0u; j < 4u; j++) {
        As[(r * aStride + c) / EPW + j] = v[j];
      }
    }
    for (var i = lid; i < TK * TN / EPV; i += threads) {
      let r = i / (TN / EPV);
      let c = (i % (TN / EPV)) * EPV;
      let v = B4[(k0 + r) * nv + (col0 + c) / EPV];
      for (var j = 0u; j < 4u; j++) {
        Bs[(r * bStride + c) / EPW + j] = v[j];
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk += MK) {
      let a0 = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{MK}}, 16>>(&As, (aRow + 0u) * aStride + kk, false, aStride);
      let a1 = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{MK}}, 16>>(&As, (aRow + 16u) * aStride + kk, false, aStride);
      let a2 = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{MK}}, 16>>(&As, (aRow + 32u) * aStride + kk, false, aStride);
      let a3 = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{MK}}, 16>>(&As, (aRow + 48u) * aStride + kk, false, aStride);
      let b0 = subgroupMatrixLoad<subgroup_matrix_right<{{CT}}, 16, {{MK}}>>(&Bs, kk * bStride + bCol + 0u, false, bStride);
      let b1 = subgroupMatrixLoad<subgroup_matrix_right<{{CT}}, 16, {{MK}}>>(&Bs, kk * bStride + bCol + 16u, false, bStride);
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

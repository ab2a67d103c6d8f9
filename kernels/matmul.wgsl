// C = A·B with A (M×K) and B (K×N) row-major, C (M×N) row-major f32; accumulation in f32.
// The input type comes from the dtype line (f32, or f16 with `enable f16`).
alias IN = f32; // dtype

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  kBlocks: u32,  // K / TILE_K, for the block-sparse mask
}

@group(0) @binding(0) var<storage, read> A: array<IN>;
@group(0) @binding(1) var<storage, read> B: array<IN>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;

// One thread per element of C.
@compute @workgroup_size(WG_X, WG_Y)
fn naive_kernel(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let row = gid.y;
  if (row >= dims.M || col >= dims.N) {
    return;
  }
  var acc = 0.0;
  for (var k = 0u; k < dims.K; k++) {
    acc += f32(A[row * dims.K + k]) * f32(B[k * dims.N + col]);
  }
  C[row * dims.N + col] = acc;
}

// Tiled: a 16×16 workgroup computes a 128×128 tile of C, each thread 8×8 of it in registers.
// Tiles of A (128×8) and B (8×128) go through workgroup memory, loaded as vec4.
const TILE_M = 128u;
const TILE_N = 128u;
const TILE_K = 8u;

@group(0) @binding(4) var<storage, read> A4: array<vec4<IN>>;
@group(0) @binding(5) var<storage, read> B4: array<vec4<IN>>;
@group(0) @binding(6) var<storage, read_write> C4: array<vec4<f32>>;
// Block-sparse: 1 where the (tile row, k block) block of A holds non-zeros, 0 where it is skipped.
@group(0) @binding(7) var<storage, read> blockMask: array<u32>;

var<workgroup> As: array<vec4<f32>, 256>;  // [k][m / 4], A transposed
var<workgroup> Bs: array<vec4<f32>, 256>;  // [k][n / 4]
var<workgroup> keepBlock: u32;

fn tiled_body(lid: vec3<u32>, wid: vec3<u32>, sparse: bool) {
  let t = lid.y * 16u + lid.x;
  let tileRow = wid.y * TILE_M;
  let tileCol = wid.x * TILE_N;
  var acc: array<vec4<f32>, 16>;
  for (var i = 0u; i < 16u; i++) {
    acc[i] = vec4<f32>(0.0);
  }
  let k4 = dims.K / 4u;
  let n4 = dims.N / 4u;
  for (var kb = 0u; kb < dims.kBlocks; kb++) {
    if (sparse) {
      if (t == 0u) {
        keepBlock = blockMask[wid.y * dims.kBlocks + kb];
      }
      if (workgroupUniformLoad(&keepBlock) == 0u) {
        continue;
      }
    }
    let k0 = kb * TILE_K;
    // A tile: 128 rows × 8 k = 256 vec4 along k; thread t loads row t / 2, k (t % 2) * 4.
    let aRow = t / 2u;
    let aK = (t % 2u) * 4u;
    let a = vec4<f32>(A4[(tileRow + aRow) * k4 + (k0 + aK) / 4u]);
    for (var j = 0u; j < 4u; j++) {
      As[(aK + j) * 32u + aRow / 4u][aRow % 4u] = a[j];
    }
    // B tile: 8 k × 128 cols = 256 vec4 along n; thread t loads k t / 32, cols (t % 32) * 4.
    let bK = t / 32u;
    let bCol = (t % 32u) * 4u;
    Bs[bK * 32u + bCol / 4u] = vec4<f32>(B4[(k0 + bK) * n4 + (tileCol + bCol) / 4u]);
    workgroupBarrier();
    for (var k = 0u; k < TILE_K; k++) {
      let a0 = As[k * 32u + lid.y * 2u];
      let a1 = As[k * 32u + lid.y * 2u + 1u];
      let b0 = Bs[k * 32u + lid.x * 2u];
      let b1 = Bs[k * 32u + lid.x * 2u + 1u];
      for (var i = 0u; i < 4u; i++) {
        acc[i * 2u] = fma(vec4<f32>(a0[i]), b0, acc[i * 2u]);
        acc[i * 2u + 1u] = fma(vec4<f32>(a0[i]), b1, acc[i * 2u + 1u]);
        acc[8u + i * 2u] = fma(vec4<f32>(a1[i]), b0, acc[8u + i * 2u]);
        acc[8u + i * 2u + 1u] = fma(vec4<f32>(a1[i]), b1, acc[8u + i * 2u + 1u]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 8u; i++) {
    let row = tileRow + lid.y * 8u + i;
    let col4 = (tileCol + lid.x * 8u) / 4u;
    C4[row * n4 + col4] = acc[i * 2u];
    C4[row * n4 + col4 + 1u] = acc[i * 2u + 1u];
  }
}

@compute @workgroup_size(16, 16)
fn tiled_kernel(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  tiled_body(lid, wid, false);
}

@compute @workgroup_size(16, 16)
fn block_sparse_kernel(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  tiled_body(lid, wid, true);
}

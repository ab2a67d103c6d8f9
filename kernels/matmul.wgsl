// C = A·B with A (M×K) and B (K×N) row-major, C (M×N) row-major f32; accumulation in f32.
// The input type IN is a template value (f32, or f16 with `enable f16`).
{{ENABLE_F16}}
alias IN = {{IN}};

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

// Tiled: a workgroup computes a TILE_M×TILE_N tile of C, each thread a (4·VEC_M)×(4·VEC_N) block
// of it in registers. Tiles of A (TILE_M×TILE_K) and B (TILE_K×TILE_N) go through workgroup
// memory, loaded as vec4. The tile sizes are template values per configuration (suites/matmul
// tileSource); the workgroup is (TILE_N / (4·VEC_N), TILE_M / (4·VEC_M)).
const TILE_M = {{TILE_M}}u;
const TILE_N = {{TILE_N}}u;
const TILE_K = {{TILE_K}}u;
const VEC_M = {{VEC_M}}u;
const VEC_N = {{VEC_N}}u;
const WG_TN = TILE_N / (4u * VEC_N);
const WG_TM = TILE_M / (4u * VEC_M);
const THREADS = WG_TN * WG_TM;

@group(0) @binding(4) var<storage, read> A4: array<vec4<IN>>;
@group(0) @binding(5) var<storage, read> B4: array<vec4<IN>>;
@group(0) @binding(6) var<storage, read_write> C4: array<vec4<f32>>;
// Block-sparse: 1 where the (tile row, k block) block of A holds non-zeros, 0 where it is skipped.
@group(0) @binding(7) var<storage, read> blockMask: array<u32>;

var<workgroup> As: array<vec4<f32>, TILE_K * TILE_M / 4u>;  // [k][m / 4], A transposed
var<workgroup> Bs: array<vec4<f32>, TILE_K * TILE_N / 4u>;  // [k][n / 4]
var<workgroup> keepBlock: u32;
// This thread's (4·VEC_M)×(4·VEC_N) block of C: row 4·vm + i, vec4 column vn at (4·vm + i)·VEC_N + vn.
var<private> acc: array<vec4<f32>, 4u * VEC_M * VEC_N>;

// acc += the staged A tile × the staged B tile, for this thread's block.
fn multiplyTiles(lid: vec3<u32>) {
  for (var k = 0u; k < TILE_K; k++) {
    var b: array<vec4<f32>, VEC_N>;
    for (var vn = 0u; vn < VEC_N; vn++) {
      b[vn] = Bs[k * (TILE_N / 4u) + lid.x * VEC_N + vn];
    }
    for (var vm = 0u; vm < VEC_M; vm++) {
      let a = As[k * (TILE_M / 4u) + lid.y * VEC_M + vm];
      for (var i = 0u; i < 4u; i++) {
        for (var vn = 0u; vn < VEC_N; vn++) {
          let r = (vm * 4u + i) * VEC_N + vn;
          acc[r] = fma(vec4<f32>(a[i]), b[vn], acc[r]);
        }
      }
    }
  }
}

fn storeBlock(lid: vec3<u32>, wid: vec3<u32>) {
  let n4 = dims.N / 4u;
  for (var r = 0u; r < 4u * VEC_M; r++) {
    let row = wid.y * TILE_M + lid.y * 4u * VEC_M + r;
    for (var vn = 0u; vn < VEC_N; vn++) {
      C4[row * n4 + wid.x * TILE_N / 4u + lid.x * VEC_N + vn] = acc[r * VEC_N + vn];
    }
  }
}

fn tiled_body(lid: vec3<u32>, wid: vec3<u32>, sparse: bool) {
  let t = lid.y * WG_TN + lid.x;
  let tileRow = wid.y * TILE_M;
  let tileCol = wid.x * TILE_N;
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
    // A tile: TILE_M rows × TILE_K / 4 vec4 along k, stored transposed.
    for (var i = t; i < TILE_M * TILE_K / 4u; i += THREADS) {
      let row = i / (TILE_K / 4u);
      let kq = (i % (TILE_K / 4u)) * 4u;
      let a = vec4<f32>(A4[(tileRow + row) * k4 + (k0 + kq) / 4u]);
      for (var j = 0u; j < 4u; j++) {
        As[(kq + j) * (TILE_M / 4u) + row / 4u][row % 4u] = a[j];
      }
    }
    // B tile: TILE_K rows × TILE_N / 4 vec4 along n.
    for (var i = t; i < TILE_K * TILE_N / 4u; i += THREADS) {
      let k = i / (TILE_N / 4u);
      let c4 = i % (TILE_N / 4u);
      Bs[i] = vec4<f32>(B4[(k0 + k) * n4 + tileCol / 4u + c4]);
    }
    workgroupBarrier();
    multiplyTiles(lid);
    workgroupBarrier();
  }
  storeBlock(lid, wid);
}

@compute @workgroup_size(WG_TN, WG_TM)
fn tiled_kernel(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  tiled_body(lid, wid, false);
}

@compute @workgroup_size(WG_TN, WG_TM)
fn block_sparse_kernel(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  tiled_body(lid, wid, true);
}

// The tiled kernel, software-pipelined: the next K step's A and B are loaded from global memory
// into registers before the current step's FMAs, and stored to workgroup memory after them, so
// load latency hides behind arithmetic. Needs both tiles' vec4 counts to be multiples of the
// workgroup size (the suite checks).
const A_LOADS = max(1u, TILE_M * TILE_K / 4u / THREADS);
const B_LOADS = max(1u, TILE_K * TILE_N / 4u / THREADS);

// The next K step's tiles, held in registers between their load and their store.
var<private> ra: array<vec4<f32>, A_LOADS>;
var<private> rb: array<vec4<f32>, B_LOADS>;

fn loadAhead(t: u32, wid: vec3<u32>, k0: u32) {
  let k4 = dims.K / 4u;
  let n4 = dims.N / 4u;
  for (var i = 0u; i < A_LOADS; i++) {
    let idx = t + i * THREADS;
    ra[i] = vec4<f32>(A4[(wid.y * TILE_M + idx / (TILE_K / 4u)) * k4 + k0 / 4u + idx % (TILE_K / 4u)]);
  }
  for (var i = 0u; i < B_LOADS; i++) {
    let idx = t + i * THREADS;
    rb[i] = vec4<f32>(B4[(k0 + idx / (TILE_N / 4u)) * n4 + wid.x * TILE_N / 4u + idx % (TILE_N / 4u)]);
  }
}

@compute @workgroup_size(WG_TN, WG_TM)
fn tiled_prefetch_kernel(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.y * WG_TN + lid.x;
  loadAhead(t, wid, 0u);
  for (var kb = 0u; kb < dims.kBlocks; kb++) {
    for (var i = 0u; i < A_LOADS; i++) {
      let idx = t + i * THREADS;
      let row = idx / (TILE_K / 4u);
      let kq = (idx % (TILE_K / 4u)) * 4u;
      for (var j = 0u; j < 4u; j++) {
        As[(kq + j) * (TILE_M / 4u) + row / 4u][row % 4u] = ra[i][j];
      }
    }
    for (var i = 0u; i < B_LOADS; i++) {
      Bs[t + i * THREADS] = rb[i];
    }
    workgroupBarrier();
    if (kb + 1u < dims.kBlocks) {
      loadAhead(t, wid, (kb + 1u) * TILE_K);
    }
    multiplyTiles(lid);
    workgroupBarrier();
  }
  storeBlock(lid, wid);
}

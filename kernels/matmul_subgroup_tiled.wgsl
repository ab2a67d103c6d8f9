// GEMM on the matrix units through subgroup matrices, staged through workgroup memory: one
// source for f16 (f32 accumulation) and int8 (i32 accumulation) at any matrix config the adapter
// lists (MM×MN results over MK steps: 16×16×16 and 16×16×32 by default), the types, the config
// and the launch shape filled in by src/gpu/wgslTemplate.ts (the names in double braces;
// docs/kernels.md). They are template values, not overrides, because subgroupMatrixLoad takes
// workgroup arrays of a fixed size only and the prefetch registers are a function-scope array.
// A workgroup of SG_ROWS × SG_COLS subgroups computes a TM×TN tile of C; each subgroup owns a
// block of MT × NT result matrices (MM×MN each). Each K step of TK stages the A (TM×TK) and B
// (TK×TN) tiles once, a vec4 word per load, and the subgroups take their blocks from there: each
// element of A leaves global memory TN/MN times less often per output than if every matrix loaded
// its own, B TM/MM times, and the matrix loads hit workgroup memory. Per K step a subgroup loads MT left
// matrices, then one right matrix at a time and issues MT multiply-accumulates with it.
// Rows are padded by PAD elements so that the subgroups' loads spread over banks; a PAD of a
// whole number of 16 bytes keeps every row start 16-byte aligned.
// PREFETCH: the next K step's A and B words are loaded into registers before the current step
// multiplies, and written to workgroup memory after it (the global loads are in flight while the
// matrix units work). STAGES = 2 gives each tile a second workgroup buffer, so that writing step
// k+1 never waits for step k's readers: one barrier per K step instead of two.
// Offsets and strides count elements ({{CT}}); workgroup memory holds {{EPW}} per word of {{WORD}}.
// Global loads are 16 bytes (vec4<{{LOADW}}>, {{EPV}} elements), unpacked into workgroup words by
// `unpack`.
// Needs M a multiple of TM, N of TN, K of TK, TK a multiple of {{MK}}, and a fixed subgroup size
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
// A and B as 16-byte words ({{EPV}} elements each), for the staging loads.
@group(0) @binding(4) var<storage, read> A4: array<vec4<{{LOADW}}>>;
@group(0) @binding(5) var<storage, read> B4: array<vec4<{{LOADW}}>>;

const SUBGROUP_SIZE = {{SUBGROUP_SIZE}}u;
// The K step staged per barrier, in elements: a multiple of {{MK}} and of {{EPV}}.
const TK = {{TK}}u;
// Row padding of both tiles, in elements: a multiple of 16 bytes keeps rows 16-byte aligned.
const PAD = {{PAD}}u;
const SG_ROWS = {{SG_ROWS}}u;
const SG_COLS = {{SG_COLS}}u;
const MT = {{MT}}u;
const NT = {{NT}}u;
const PREFETCH = {{PREFETCH}};
const STAGES = {{STAGES}}u;

const MM = {{MM}}u;
const MN = {{MN}}u;
const SM = MT * MM;
const SN = NT * MN;
const TM = SG_ROWS * SM;
const TN = SG_COLS * SN;
const THREADS = SUBGROUP_SIZE * SG_ROWS * SG_COLS;
const EPV = {{EPV}}u;
const EPW = {{EPW}}u;
// Workgroup words per 16-byte load.
const WPL = EPV / EPW;
const MK = {{MK}}u;
const A_STRIDE = TK + PAD;
const B_STRIDE = TN + PAD;
// One stage of each tile, in words, and the vec4 loads that fill it.
const A_WORDS = TM * A_STRIDE / EPW;
const B_WORDS = TK * B_STRIDE / EPW;
const A_LOADS = TM * TK / EPV;
const B_LOADS = TK * TN / EPV;
const A_PER_THREAD = (A_LOADS + THREADS - 1u) / THREADS;
const B_PER_THREAD = (B_LOADS + THREADS - 1u) / THREADS;

var<workgroup> As: array<{{WORD}}, STAGES * A_WORDS>;
var<workgroup> Bs: array<{{WORD}}, STAGES * B_WORDS>;

// One thread's share of a K step's A and B tiles, as loaded from global memory.
struct Staging {
  a: array<vec4<{{LOADW}}>, A_PER_THREAD>,
  b: array<vec4<{{LOADW}}>, B_PER_THREAD>,
}

// A 16-byte load as workgroup words.
{{UNPACK}}

fn fetch(lid: u32, row0: u32, col0: u32, k0: u32) -> Staging {
  var s: Staging;
  let kv = dims.K / EPV;
  let nv = dims.N / EPV;
  for (var u = 0u; u < A_PER_THREAD; u++) {
    let i = lid + u * THREADS;
    if (i < A_LOADS) {
      let r = i / (TK / EPV);
      let c = (i % (TK / EPV)) * EPV;
      s.a[u] = A4[(row0 + r) * kv + (k0 + c) / EPV];
    }
  }
  for (var u = 0u; u < B_PER_THREAD; u++) {
    let i = lid + u * THREADS;
    if (i < B_LOADS) {
      let r = i / (TN / EPV);
      let c = (i % (TN / EPV)) * EPV;
      s.b[u] = B4[(k0 + r) * nv + (col0 + c) / EPV];
    }
  }
  return s;
}

fn stage(s: Staging, lid: u32, buffer: u32) {
  for (var u = 0u; u < A_PER_THREAD; u++) {
    let i = lid + u * THREADS;
    if (i < A_LOADS) {
      let r = i / (TK / EPV);
      let c = (i % (TK / EPV)) * EPV;
      let words = unpack(s.a[u]);
      for (var j = 0u; j < WPL; j++) {
        As[buffer * A_WORDS + (r * A_STRIDE + c) / EPW + j] = words[j];
      }
    }
  }
  for (var u = 0u; u < B_PER_THREAD; u++) {
    let i = lid + u * THREADS;
    if (i < B_LOADS) {
      let r = i / (TN / EPV);
      let c = (i % (TN / EPV)) * EPV;
      let words = unpack(s.b[u]);
      for (var j = 0u; j < WPL; j++) {
        Bs[buffer * B_WORDS + (r * B_STRIDE + c) / EPW + j] = words[j];
      }
    }
  }
}

@compute @workgroup_size(THREADS)
fn {{ENTRY}}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let sg = lid / SUBGROUP_SIZE;
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let aRow = (sg / SG_COLS) * SM;
  let bCol = (sg % SG_COLS) * SN;
  var acc: array<array<subgroup_matrix_result<{{ACC}}, {{MN}}, {{MM}}>, NT>, MT>;
  let steps = dims.K / TK;
  // With a prefetch or a second buffer, step 0's tiles are staged before the loop.
  if (PREFETCH || STAGES == 2u) {
    stage(fetch(lid, row0, col0, 0u), lid, 0u);
    workgroupBarrier();
  }
  for (var step = 0u; step < steps; step++) {
    let cur = step % STAGES;
    let more = step + 1u < steps;
    var next: Staging;
    if (!PREFETCH && STAGES == 1u) {
      // Plain: load the step, then multiply it.
      stage(fetch(lid, row0, col0, step * TK), lid, 0u);
      workgroupBarrier();
    } else if (more) {
      if (PREFETCH) {
        next = fetch(lid, row0, col0, (step + 1u) * TK);
      } else {
        // Two buffers, no prefetch: the next step goes to the other buffer before this one multiplies.
        stage(fetch(lid, row0, col0, (step + 1u) * TK), lid, 1u - cur);
      }
    }
    // Element offsets of this step's buffers.
    let aBase = cur * A_WORDS * EPW;
    let bBase = cur * B_WORDS * EPW;
    for (var kk = 0u; kk < TK; kk += MK) {
      var a: array<subgroup_matrix_left<{{CT}}, {{MK}}, {{MM}}>, MT>;
      for (var i = 0u; i < MT; i++) {
        let aAt = aBase + (aRow + i * MM) * A_STRIDE + kk;
        a[i] = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{MK}}, {{MM}}>>(&As, aAt, false, A_STRIDE);
      }
      for (var j = 0u; j < NT; j++) {
        let bAt = bBase + kk * B_STRIDE + bCol + j * MN;
        let b = subgroupMatrixLoad<subgroup_matrix_right<{{CT}}, {{MN}}, {{MK}}>>(&Bs, bAt, false, B_STRIDE);
        for (var i = 0u; i < MT; i++) {
          acc[i][j] = subgroupMatrixMultiplyAccumulate(a[i], b, acc[i][j]);
        }
      }
    }
    if (PREFETCH && more) {
      // One buffer: every subgroup must be done reading it before it is overwritten.
      if (STAGES == 1u) {
        workgroupBarrier();
      }
      stage(next, lid, (step + 1u) % STAGES);
    }
    workgroupBarrier();
  }
  let cRow = row0 + aRow;
  let cCol = col0 + bCol;
  for (var i = 0u; i < MT; i++) {
    for (var j = 0u; j < NT; j++) {
      subgroupMatrixStore(&C, (cRow + i * MM) * dims.N + cCol + j * MN, acc[i][j], false, dims.N);
    }
  }
}

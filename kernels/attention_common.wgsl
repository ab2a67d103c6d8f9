// Attention, what every kernel shares: each attention_<kernel>.wgsl is compiled after this file
// (src/suites/attention.ts attentionSource), one kernel per module, so that a change to one kernel
// leaves the others' compiled source, and their stored tuning, as they were.
// Q is [B, H, T, D], K and V [B, Hkv, S, D], O [B, H, T, D] f32; grouped-query attention maps
// query head h to KV head h / (H / Hkv). The dtype and head dim are template values, filled
// strictly by src/gpu/wgslTemplate.ts.
{{ENABLE_F16}}
alias IN = {{IN}};
const HEAD_DIM = {{HEAD_DIM}}u;

struct Params {
  B: u32,
  H: u32,
  Hkv: u32,
  T: u32,
  S: u32,
  causal: u32,
  // Query t sits at key position t + qOffset (S − T), so a causal row attends keys ≤ t + qOffset.
  qOffset: u32,
  scale: f32,
  // Decode: tokens per KV block, blocks per sequence in the table, splits of the context.
  blockTokens: u32,
  maxBlocks: u32,
  splits: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> Q: array<IN>;
@group(0) @binding(1) var<storage, read> K: array<IN>;
@group(0) @binding(2) var<storage, read> V: array<IN>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

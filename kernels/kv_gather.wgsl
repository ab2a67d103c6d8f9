// Paged-attention gather: packs the KV blocks a block table names, scattered over a pool of
// slots, into one contiguous buffer. One workgroup per block; vec4<u32> moves.
struct Params {
  blockWords: u32,  // vec4 elements per block
  blocks: u32,
}

@group(0) @binding(0) var<storage, read> pool: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read_write> packed: array<vec4<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_kernel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let block = wid.x;
  if (block >= params.blocks) {
    return;
  }
  let source = table[block] * params.blockWords;
  let to = block * params.blockWords;
  for (var i = lid; i < params.blockWords; i += WORKGROUP_SIZE) {
    packed[to + i] = pool[source + i];
  }
}

// Memory bandwidth kernels: copy, read-only and write-only over vec4<u32>, grid-stride.
// u32 data keeps every check exact: a copy must equal its source bit for bit, the read kernel's
// wrapping sums must equal the CPU's, and the write kernel's pattern is recomputed on the CPU.

override WORKGROUP_SIZE: u32 = 256u;

struct Params {
  count: u32,   // elements of vec4<u32>
  seed: u32,    // varies the write pattern per run, so stale data never passes the check
}

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read_write> partials: array<vec4<u32>>;

var<workgroup> scratch: array<vec4<u32>, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn copy_kernel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var i = gid.x; i < params.count; i += stride) {
    dst[i] = src[i];
  }
}

// Each workgroup reduces its threads' sums and writes one vec4: a few KiB of writes per GiB read.
@compute @workgroup_size(WORKGROUP_SIZE)
fn read_kernel(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WORKGROUP_SIZE;
  var acc = vec4<u32>(0u);
  for (var i = gid.x; i < params.count; i += stride) {
    acc += src[i];
  }
  scratch[lid] = acc;
  workgroupBarrier();
  for (var s = WORKGROUP_SIZE / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      scratch[lid] += scratch[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    partials[wid.x] = scratch[0];
  }
}

fn pattern(i: u32, seed: u32) -> vec4<u32> {
  let base = (i * 4u) ^ seed;
  return (vec4<u32>(base) + vec4<u32>(0u, 1u, 2u, 3u)) * 2654435761u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn write_kernel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WORKGROUP_SIZE;
  for (var i = gid.x; i < params.count; i += stride) {
    dst[i] = pattern(i, params.seed);
  }
}

// INT8 packed-dot peak: each thread runs 8 independent chains of dot4I8Packed for ITERATIONS
// steps, all in registers. Every step feeds the chain's own value back in as the packed operand
// (x ← x + dot4I8Packed(x, b), wrapping), so the compiler can neither hoist the dot product out of
// the loop nor fold the loop into a multiply; the CPU replays the same integer chain exactly.
override WORKGROUP_SIZE: u32 = 256u;
override ITERATIONS: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32, 4>; // b, seed, unused, unused
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

fn start(thread: u32, chain: u32, seed: u32) -> u32 {
  return (thread * 2654435761u) ^ (chain * 2246822519u) ^ seed;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn peak_dot4_kernel(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = params[0];
  let seed = params[1];
  var x0 = start(gid.x, 0u, seed);
  var x1 = start(gid.x, 1u, seed);
  var x2 = start(gid.x, 2u, seed);
  var x3 = start(gid.x, 3u, seed);
  var x4 = start(gid.x, 4u, seed);
  var x5 = start(gid.x, 5u, seed);
  var x6 = start(gid.x, 6u, seed);
  var x7 = start(gid.x, 7u, seed);
  for (var i = 0u; i < ITERATIONS; i++) {
    x0 = x0 + bitcast<u32>(dot4I8Packed(x0, b));
    x1 = x1 + bitcast<u32>(dot4I8Packed(x1, b));
    x2 = x2 + bitcast<u32>(dot4I8Packed(x2, b));
    x3 = x3 + bitcast<u32>(dot4I8Packed(x3, b));
    x4 = x4 + bitcast<u32>(dot4I8Packed(x4, b));
    x5 = x5 + bitcast<u32>(dot4I8Packed(x5, b));
    x6 = x6 + bitcast<u32>(dot4I8Packed(x6, b));
    x7 = x7 + bitcast<u32>(dot4I8Packed(x7, b));
  }
  out[gid.x] = ((x0 ^ x1) + (x2 ^ x3)) ^ ((x4 ^ x5) + (x6 ^ x7));
}

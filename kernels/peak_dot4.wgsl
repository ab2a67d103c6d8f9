// INT8 packed-dot peak: each thread runs independent chains of dot4I8Packed for ITERATIONS steps,
// all in registers. How many chains is the probe's shape (8 by default; `calibrate` tries 2 to 16):
// the template's chain lines are generated for it (src/suites/peakDot4.ts). Every step feeds the
// chain's own value back in as the packed operand (x ← x + dot4I8Packed(x, b), wrapping), so the
// compiler can neither hoist the dot product out of the loop nor fold the loop into a multiply;
// the CPU replays the same integer chains exactly.
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
{{CHAINS_START}}
  for (var i = 0u; i < ITERATIONS; i++) {
{{CHAINS_STEP}}
  }
  out[gid.x] = {{CHAINS_COMBINE}};
}

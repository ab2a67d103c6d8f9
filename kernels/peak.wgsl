// ALU peak: each thread runs independent vec4 FMA chains for ITERATIONS steps. How many chains
// is the probe's shape (8 by default; `calibrate` tries 1 to 8, since too many spill registers on
// some compilers): the template's chain lines are generated for it (src/suites/peak.ts).
// The coefficients come from a buffer, so the compiler cannot fold the chain; x ← x·a + b
// converges to b / (1 − a), which the CPU checks. T is a template value (f32 or f16).
{{ENABLE_F16}}
alias T = {{T}};

override WORKGROUP_SIZE: u32 = 256u;
override ITERATIONS: u32 = 1024u;

@group(0) @binding(0) var<storage, read> coeffs: array<vec4<f32>, 2>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn peak_kernel(@builtin(global_invocation_id) gid: vec3<u32>) {
  let a = vec4<T>(coeffs[0]);
  let b = vec4<T>(coeffs[1]);
  // Distinct starting points per thread and chain, so no two chains are the same computation.
  let s = T(gid.x & 63u) * T(0.0078125);
  var x0 = vec4<T>(s) + vec4<T>(T(0.0), T(0.01), T(0.02), T(0.03));
{{CHAINS_START}}
  for (var i = 0u; i < ITERATIONS; i++) {
{{CHAINS_STEP}}
  }
  let sum = {{CHAINS_SUM}};
  out[gid.x] = f32(sum.x) + f32(sum.y) + f32(sum.z) + f32(sum.w);
}

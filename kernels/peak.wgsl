// ALU peak: each thread runs CHAINS independent FMA chains (8 × vec4) for ITERATIONS steps.
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
  var x1 = x0 + vec4<T>(T(0.04));
  var x2 = x0 + vec4<T>(T(0.08));
  var x3 = x0 + vec4<T>(T(0.12));
  var x4 = x0 + vec4<T>(T(0.16));
  var x5 = x0 + vec4<T>(T(0.20));
  var x6 = x0 + vec4<T>(T(0.24));
  var x7 = x0 + vec4<T>(T(0.28));
  for (var i = 0u; i < ITERATIONS; i++) {
    x0 = fma(x0, a, b);
    x1 = fma(x1, a, b);
    x2 = fma(x2, a, b);
    x3 = fma(x3, a, b);
    x4 = fma(x4, a, b);
    x5 = fma(x5, a, b);
    x6 = fma(x6, a, b);
    x7 = fma(x7, a, b);
  }
  let sum = (x0 + x1) + (x2 + x3) + (x4 + x5) + (x6 + x7);
  out[gid.x] = f32(sum.x) + f32(sum.y) + f32(sum.z) + f32(sum.w);
}

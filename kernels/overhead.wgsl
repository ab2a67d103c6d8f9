// The smallest real work a dispatch can do, for timing what WebGPU costs around a kernel: one
// invocation adds STEP to a counter. The counter is read back in the check, so it proves that
// every dispatch, pass and submit timed really ran (a dropped dispatch would leave it short).
override STEP: u32 = 1u;

@group(0) @binding(0) var<storage, read_write> counter: array<u32>;

@compute @workgroup_size(1)
fn bump() {
  counter[0] = counter[0] + STEP;
}

// Matrix-unit peak: each subgroup loads one left (M×K) and one right (K×N) matrix once and runs
// four independent accumulator chains of subgroupMatrixMultiplyAccumulate for ITERATIONS steps,
// all in registers, like vkpeak's cooperative-matrix loop. Each chain starts from its own matrix
// (read from Cin, so the compiler cannot merge the chains) and ends at Cin_j + ITERATIONS·(A·B),
// which the CPU computes exactly: A and B hold small integers. The placeholders in braces are
// filled per subgroup-matrix config by src/suites/peakSubgroupMatrix.ts.
{{ENABLES}}
enable chromium_experimental_subgroup_matrix;

override SUBGROUP_SIZE: u32 = 32u;
override ITERATIONS: u32 = 64u;

@group(0) @binding(0) var<storage, read> A: array<{{AS}}>;
@group(0) @binding(1) var<storage, read> B: array<{{AS}}>;
@group(0) @binding(2) var<storage, read> Cin: array<{{RS}}>;
@group(0) @binding(3) var<storage, read_write> C: array<{{RS}}>;

@compute @workgroup_size(SUBGROUP_SIZE)
fn sgmat_peak_kernel(@builtin(workgroup_id) wid: vec3<u32>) {
  let a = subgroupMatrixLoad<subgroup_matrix_left<{{CT}}, {{K}}, {{M}}>>(&A, 0u, false, {{K}}u);
  let b = subgroupMatrixLoad<subgroup_matrix_right<{{CT}}, {{N}}, {{K}}>>(&B, 0u, false, {{N}}u);
  var c0 = subgroupMatrixLoad<subgroup_matrix_result<{{RT}}, {{N}}, {{M}}>>(&Cin, 0u * {{MN}}u, false, {{N}}u);
  var c1 = subgroupMatrixLoad<subgroup_matrix_result<{{RT}}, {{N}}, {{M}}>>(&Cin, 1u * {{MN}}u, false, {{N}}u);
  var c2 = subgroupMatrixLoad<subgroup_matrix_result<{{RT}}, {{N}}, {{M}}>>(&Cin, 2u * {{MN}}u, false, {{N}}u);
  var c3 = subgroupMatrixLoad<subgroup_matrix_result<{{RT}}, {{N}}, {{M}}>>(&Cin, 3u * {{MN}}u, false, {{N}}u);
  for (var i = 0u; i < ITERATIONS; i++) {
    c0 = subgroupMatrixMultiplyAccumulate(a, b, c0);
    c1 = subgroupMatrixMultiplyAccumulate(a, b, c1);
    c2 = subgroupMatrixMultiplyAccumulate(a, b, c2);
    c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);
  }
  let base = wid.x * 4u * {{MN}}u;
  subgroupMatrixStore(&C, base + 0u * {{MN}}u, c0, false, {{N}}u);
  subgroupMatrixStore(&C, base + 1u * {{MN}}u, c1, false, {{N}}u);
  subgroupMatrixStore(&C, base + 2u * {{MN}}u, c2, false, {{N}}u);
  subgroupMatrixStore(&C, base + 3u * {{MN}}u, c3, false, {{N}}u);
}

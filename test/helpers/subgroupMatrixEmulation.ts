/**
 * Runs subgroup-matrix kernels on an adapter without matrix units, to test their logic (tiling,
 * staging, offsets, strides, the softmax sweeps) before a GPU with matrix units ever sees them.
 * The WGSL is rewritten so that every invocation holds whole matrices in private memory: a load
 * reads all M×K elements, multiply-accumulate is a plain triple loop, and a store writes them all
 * (every lane of a "subgroup" writes the same values). Semantics follow the WGSL proposal:
 * left<T, K, M> is M×K, right<T, N, K> is K×N, result<T, N, M> is M×N; row-major loads read
 * element (r, c) at offset + r·stride + c, column-major ones at offset + c·stride + r; 8-bit
 * elements live packed in i32/u32 words and offsets count elements.
 * This is a test of the kernels' arithmetic, never a performance figure.
 */

interface MatrixType {
  kind: 'left' | 'right' | 'result';
  element: string;
  a: number;
  b: number;
}

const TYPE = /subgroup_matrix_(left|right|result)<(\w+), (\d+), (\d+)>/g;

function typeName(t: MatrixType): string {
  return `Sg_${t.kind}_${t.element}_${t.a}_${t.b}`;
}

/** Rows and columns of a matrix type. */
function shape(t: MatrixType): { rows: number; cols: number } {
  // left<T, K, M>: M rows, K columns; right<T, N, K>: K rows, N columns; result<T, N, M>: M rows, N columns.
  return { rows: t.b, cols: t.a };
}

function storageOf(element: string): string {
  return element === 'i8' || element === 'i32' ? 'i32' : element === 'u8' || element === 'u32' ? 'u32' : 'f32';
}

export function emulateSubgroupMatrix(source: string): string {
  const types = new Map<string, MatrixType>();
  for (const m of source.matchAll(TYPE)) {
    const t: MatrixType = {
      kind: m[1] as MatrixType['kind'],
      element: m[2] as string,
      a: Number(m[3]),
      b: Number(m[4]),
    };
    types.set(typeName(t), t);
  }
  const left = [...types.values()].find((t) => t.kind === 'left');
  const right = [...types.values()].find((t) => t.kind === 'right');
  const result = [...types.values()].find((t) => t.kind === 'result');
  if (left === undefined || right === undefined || result === undefined)
    throw new Error('no subgroup-matrix types in this kernel');
  const prelude: string[] = [];
  for (const [name, t] of types) {
    const { rows, cols } = shape(t);
    prelude.push(`struct ${name} { v: array<${storageOf(t.element)}, ${rows * cols}> }`);
  }
  let code = source
    .replace(/^enable chromium_experimental_subgroup_matrix;\n/m, '')
    .replace(/^diagnostic\(off, chromium\.subgroup_matrix_uniformity\);\n/m, '');
  // Loads: one function per (matrix type, variable), reading the variable directly.
  const loads = new Set<string>();
  code = code.replace(
    /subgroupMatrixLoad<subgroup_matrix_(left|right|result)<(\w+), (\d+), (\d+)>>\(&(\w+), /g,
    (_all, kind: string, element: string, a: string, b: string, variable: string) => {
      const t: MatrixType = { kind: kind as MatrixType['kind'], element, a: Number(a), b: Number(b) };
      const fn = `sgLoad_${typeName(t)}_${variable}`;
      if (!loads.has(fn)) {
        loads.add(fn);
        const { rows, cols } = shape(t);
        const packed = element === 'i8' || element === 'u8';
        const read = packed
          ? `${storageOf(element)}(extractBits(${variable}[idx / 4u], (idx % 4u) * 8u, 8u))`
          : `${storageOf(element)}(${variable}[idx])`;
        prelude.push(`fn ${fn}(offset: u32, colMajor: bool, stride: u32) -> ${typeName(t)} {
  var m: ${typeName(t)};
  for (var r = 0u; r < ${rows}u; r++) {
    for (var c = 0u; c < ${cols}u; c++) {
      let idx = select(offset + r * stride + c, offset + c * stride + r, colMajor);
      m.v[r * ${cols}u + c] = ${read};
    }
  }
  return m;
}`);
      }
      return `${fn}(`;
    },
  );
  const stores = new Set<string>();
  code = code.replace(/subgroupMatrixStore\(&(\w+), /g, (_all, variable: string) => {
    const fn = `sgStore_${variable}`;
    if (!stores.has(fn)) {
      stores.add(fn);
      const { rows, cols } = shape(result);
      prelude.push(`fn ${fn}(offset: u32, m: ${typeName(result)}, colMajor: bool, stride: u32) {
  for (var r = 0u; r < ${rows}u; r++) {
    for (var c = 0u; c < ${cols}u; c++) {
      ${variable}[select(offset + r * stride + c, offset + c * stride + r, colMajor)] = \
${result.element === 'f16' ? 'f16' : ''}(m.v[r \
* ${cols}u + c]);
    }
  }
}`);
    }
    return `${fn}(`;
  });
  const m = shape(left).rows;
  const k = shape(left).cols;
  const n = shape(right).cols;
  prelude.push(`fn sgMma(a: ${typeName(left)}, b: ${typeName(right)}, c: ${typeName(result)}) -> ${typeName(result)} {
  var out = c;
  for (var r = 0u; r < ${m}u; r++) {
    for (var col = 0u; col < ${n}u; col++) {
      var s = out.v[r * ${n}u + col];
      for (var i = 0u; i < ${k}u; i++) {
        s += ${storageOf(result.element)}(a.v[r * ${k}u + i]) * ${storageOf(result.element)}(b.v[i * ${n}u + col]);
      }
      out.v[r * ${n}u + col] = s;
    }
  }
  return out;
}`);
  code = code.replace(/subgroupMatrixMultiplyAccumulate\(/g, 'sgMma(');
  code = code.replace(TYPE, (all) => {
    const match = /subgroup_matrix_(left|right|result)<(\w+), (\d+), (\d+)>/.exec(all) as RegExpExecArray;
    return typeName({
      kind: match[1] as MatrixType['kind'],
      element: match[2] as string,
      a: Number(match[3]),
      b: Number(match[4]),
    });
  });
  // The prelude goes after the enable lines and module-scope declarations it reads.
  return `${code}\n\n// Subgroup-matrix emulation (tests only).\n${prelude.join('\n\n')}\n`;
}

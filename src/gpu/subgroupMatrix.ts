import type { DeviceInfo } from './adapterInfo.js';

/** A subgroup-matrix config's shape: M×N results from M×K and K×N operands. */
export interface MatrixShape {
  M: number;
  N: number;
  K: number;
}

/** The shapes the adapter lists for these component and result types, in its order. */
export function matrixShapesFor(
  info: Pick<DeviceInfo, 'subgroupMatrixConfigs'>,
  component: string,
  result: string,
): MatrixShape[] {
  return info.subgroupMatrixConfigs
    .filter((c) => c['componentType'] === component && c['resultComponentType'] === result)
    .map((c) => ({ M: Number(c['M']), N: Number(c['N']), K: Number(c['K']) }));
}

/** Whether the adapter lists an M×N×K subgroup-matrix config for these component types. */
export function listsMatrixShape(
  info: Pick<DeviceInfo, 'subgroupMatrixConfigs'>,
  component: string,
  result: string,
  shape: MatrixShape,
): boolean {
  return matrixShapesFor(info, component, result).some((m) => m.M === shape.M && m.N === shape.N && m.K === shape.K);
}

/** Whether the adapter lists a 16×16×K subgroup-matrix config for these component types. */
export function hasMatrixConfig(
  info: Pick<DeviceInfo, 'subgroupMatrixConfigs'>,
  component: string,
  result: string,
  K: number,
): boolean {
  return listsMatrixShape(info, component, result, { M: 16, N: 16, K });
}

/**
 * Why a kernel that sizes its workgroup in subgroups cannot trust the subgroup size; null when
 * the adapter reports one fixed size.
 */
export function variableSubgroupSize(info: Pick<DeviceInfo, 'subgroupMinSize' | 'subgroupMaxSize'>): string | null {
  const { subgroupMinSize: min, subgroupMaxSize: max } = info;
  if (min === null || max === null || min !== max)
    return (
      `the kernel sizes its workgroup in subgroups and needs one fixed subgroup size (the adapter reports ` +
      `${String(min)}–${String(max)})`
    );
  return null;
}

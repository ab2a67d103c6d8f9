import type { DeviceInfo } from './adapterInfo.js';

/** Whether the adapter lists a 16×16×K subgroup-matrix config for these component types. */
export function hasMatrixConfig(info: Pick<DeviceInfo, 'subgroupMatrixConfigs'>, component: string, result: string, K: number): boolean {
  return info.subgroupMatrixConfigs.some((c) => c['componentType'] === component && c['resultComponentType'] === result && c['M'] === 16 && c['N'] === 16 && c['K'] === K);
}

/**
 * Why a kernel that sizes its workgroup in subgroups cannot trust the subgroup size; null when
 * the adapter reports one fixed size.
 */
export function variableSubgroupSize(info: Pick<DeviceInfo, 'subgroupMinSize' | 'subgroupMaxSize'>): string | null {
  const { subgroupMinSize: min, subgroupMaxSize: max } = info;
  if (min === null || max === null || min !== max) return `the kernel sizes its workgroup in subgroups and needs one fixed subgroup size (the adapter reports ${String(min)}–${String(max)})`;
  return null;
}

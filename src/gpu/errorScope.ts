/** The result of work run inside WebGPU error scopes: its value, or the errors the device reported. */
export type Scoped<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const FILTERS: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/**
 * Runs `work` with validation, out-of-memory and internal error scopes pushed, so a bad shader or
 * an allocation the device refuses becomes a message for this case instead of an uncaptured error.
 */
export async function withErrorScopes<T>(device: GPUDevice, work: () => Promise<T>): Promise<Scoped<T>> {
  for (const f of FILTERS) device.pushErrorScope(f);
  let value: T | undefined;
  let thrown: unknown = undefined;
  let threw = false;
  try {
    value = await work();
  } catch (e) {
    thrown = e;
    threw = true;
  }
  const errors: string[] = [];
  for (const f of [...FILTERS].reverse()) {
    const err = await device.popErrorScope();
    if (err !== null) errors.push(`${f} error: ${err.message}`);
  }
  if (threw) errors.unshift(thrown instanceof Error ? thrown.message : String(thrown));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: value as T };
}

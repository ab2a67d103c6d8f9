import { inject } from 'vitest';

/**
 * A test's time limit scaled by the adapter's measured speed (test/helpers/adapterSlowness.ts,
 * measured when vitest loads its config): what takes 20 s on lavapipe takes minutes on Mesa 22's
 * GL compiler or on a busy machine.
 */
export function scaled(baseMs: number): number {
  const factor = inject('adapterSlowness');
  return Math.round(baseMs * (typeof factor === 'number' && Number.isFinite(factor) ? Math.max(1, factor) : 4));
}

declare module 'vitest' {
  export interface ProvidedContext {
    adapterSlowness: number;
  }
}

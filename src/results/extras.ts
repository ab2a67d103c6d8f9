import { z } from 'zod';

/**
 * The suite-specific data a case carries in `extras`. Every key a reporter reads has a schema here,
 * so a hostile or damaged file is refused with the field named (exit 2, HTTP 400) instead of
 * crashing a reader; keys no reader uses stay free-form, within the depth limit below.
 */
const num = z.number();
const numOrNull = z.number().nullable();
const latency = z.looseObject({ p50: num, p99: num, count: num }).nullable();

const llmMetricsSchema = z.looseObject({
  requests: num,
  completed: num,
  windowMs: num,
  tokensPerSecond: numOrNull,
  requestsPerSecond: numOrNull,
  decodeTokensPerSecond: numOrNull,
  goodputRequestsPerSecond: numOrNull,
  ttftMs: latency,
  tpotMs: latency,
  e2eMs: latency,
  itlMs: latency,
});

const kvCacheSchema = z.looseObject({
  hitRate: numOrNull,
  prefixHitRate: numOrNull,
  reuseRatio: numOrNull,
  blockTokens: numOrNull,
  migrationCount: num,
  migrations: z.array(z.looseObject({ from: z.string(), to: z.string(), count: num, bytes: num })),
});

const layoutSchema = z.record(z.string(), numOrNull);

export const caseExtrasSchema = z.looseObject({
  metrics: llmMetricsSchema.optional(),
  kvCache: kvCacheSchema.optional(),
  pass: z.looseObject({ dispatches: num, attentionSplits: num, normsFolded: z.boolean() }).optional(),
  layouts: z.looseObject({ colocated: layoutSchema, disaggregated: layoutSchema }).optional(),
  fit: z.looseObject({ slopeNs: num, interceptNs: num, r2: num, points: num }).optional(),
  overSizes: z.looseObject({ fixedNs: num, gbps: numOrNull, r2: num }).optional(),
  overhead: z
    .looseObject({
      dispatches: num,
      perDispatchNs: numOrNull,
      estimatedNs: numOrNull,
      shareOfStep: numOrNull,
      bound: z.string().nullable(),
    })
    .optional(),
  timerNote: z.string().nullable().optional(),
  item: z.string().nullable().optional(),
  peaksFrom: z.string().nullable().optional(),
  linearKernels: z.string().nullable().optional(),
  migrationMsPerRequest: numOrNull.optional(),
  servingPrefillMfu: numOrNull.optional(),
  servingDecodeMbu: numOrNull.optional(),
  vsPlainDispatch: numOrNull.optional(),
});

/** A case's extras as the schema reads them (every key a reader uses). */
export type CaseExtras = z.infer<typeof caseExtrasSchema>;

/** Deeper than any file wgbench writes (its deepest is about 8); JSON.stringify recurses, so depth is bounded. */
export const MAX_DOCUMENT_DEPTH = 64;

/**
 * The path of the first value nested deeper than `max`, or null. Iterative: a 200,000-deep document
 * must be measured without the recursion it would overflow.
 */
export function tooDeep(doc: unknown, max = MAX_DOCUMENT_DEPTH): string | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: doc, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    if (value === null || typeof value !== 'object') continue;
    if (depth >= max) return path;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (const [k, v] of entries) {
      if (v === null || typeof v !== 'object') continue;
      stack.push({ value: v, depth: depth + 1, path: path === '' ? k : `${path}.${k}` });
    }
  }
  return null;
}

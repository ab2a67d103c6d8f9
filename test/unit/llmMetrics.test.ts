import { describe, expect, it } from 'vitest';
import { llmMetrics, type RequestRecord, type StepRecord } from '../../src/llm/metrics.js';
import { planRequests } from '../../src/llm/serve.js';

// Two requests stamped by hand (ms): A arrives at 0, is scheduled at 0, first token at 100, then
// tokens at 120 and 150; B arrives at 10, waits until 100, first token at 200, then 230.
const records: RequestRecord[] = [
  {
    id: 0,
    promptTokens: 8,
    outputTokens: 3,
    arrivalMs: 0,
    scheduledMs: 0,
    prefillDoneMs: 100,
    tokenTimesMs: [100, 120, 150],
  },
  {
    id: 1,
    promptTokens: 4,
    outputTokens: 2,
    arrivalMs: 10,
    scheduledMs: 100,
    prefillDoneMs: 200,
    tokenTimesMs: [200, 230],
  },
];
const steps: StepRecord[] = [
  { kind: 'prefill', startMs: 0, endMs: 100, rows: 8, flops: 2e9, bytes: 0 },
  { kind: 'prefill', startMs: 100, endMs: 200, rows: 4, flops: 1e9, bytes: 0 },
  { kind: 'decode', startMs: 200, endMs: 230, rows: 2, flops: 1e6, bytes: 3e6 },
];

describe('LLM serving metrics from recorded token timestamps', () => {
  it('TTFT, TPOT, E2E, ITL, throughput, decode throughput and goodput per docs/metrics.md', () => {
    const m = llmMetrics(records, steps, { ttftMs: 150 });
    expect(m.perRequest.map((r) => [r.ttftMs, r.tpotMs, r.e2eMs, r.queueMs, r.prefillMs])).toEqual([
      [100, 25, 150, 0, 100],
      [190, 30, 220, 90, 100],
    ]);
    expect(m.itlMs?.count).toBe(3);
    expect(m.itlMs?.p50).toBe(30);
    // Window: first arrival (0) to last token (230): 5 tokens, 2 requests.
    expect(m.windowMs).toBe(230);
    expect(m.tokensPerSecond).toBeCloseTo(5 / 0.23, 9);
    expect(m.requestsPerSecond).toBeCloseTo(2 / 0.23, 9);
    // Decode: Σ(n − 1) = 3 tokens over first first-token (100) to last token (230).
    expect(m.decodeTokensPerSecond).toBeCloseTo(3 / 0.13, 9);
    // Only A meets TTFT ≤ 150 ms.
    expect(m.sloMet).toBe(1);
    expect(m.goodputRequestsPerSecond).toBeCloseTo(1 / 0.23, 9);
    expect(m.ttftMs?.p50).toBe(145);
    expect(m.ttftMs?.count).toBe(2);
    expect(m.prefillTflops).toBeCloseTo(3e9 / 0.2 / 1e12, 12);
    expect(m.decodeGBps).toBeCloseTo(3e6 / 0.03 / 1e9, 12);
  });

  it('plans seeded workloads: all at once, or Poisson arrivals', () => {
    const all = planRequests(
      { requests: 5, arrival: 'all-at-once', promptTokens: [4, 8], outputTokens: [2, 3], seed: 1 },
      100,
    );
    expect(
      all.every(
        (r) => r.arrivalMs === 0 && r.prompt.length >= 4 && r.prompt.length <= 8 && r.output >= 2 && r.output <= 3,
      ),
    ).toBe(true);
    const poisson = planRequests(
      { requests: 200, arrival: { poissonPerSecond: 50 }, promptTokens: [1, 1], outputTokens: [1, 1], seed: 1 },
      100,
    );
    const gaps = poisson.map((r, i) => r.arrivalMs - (poisson[i - 1]?.arrivalMs ?? 0));
    expect(gaps.every((g) => g >= 0)).toBe(true);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(mean).toBeGreaterThan(14);
    expect(mean).toBeLessThan(26);
    expect(
      planRequests({ requests: 5, arrival: 'all-at-once', promptTokens: [4, 8], outputTokens: [2, 3], seed: 1 }, 100),
    ).toEqual(all);
  });
});

describe('serving metrics in the Markdown report', () => {
  it('adds a serving table with TTFT, TPOT, ITL (with its count), tokens/s and goodput', async () => {
    const { renderRunMarkdown } = await import('../../src/reporters/markdown.js');
    const { sampleRun } = await import('../helpers/sampleRun.js');
    const run = sampleRun();
    const base = run.cases[0];
    if (base === undefined) throw new Error('fixture');
    run.cases.push({
      ...base,
      id: 'llm/serve/model=tiny',
      suite: 'llm',
      name: 'serve tiny',
      bandwidth: null,
      extras: { metrics: llmMetrics(records, steps, { ttftMs: 1e9 }), servingPrefillMfu: 0.05, servingDecodeMbu: null },
    });
    const md = renderRunMarkdown(run);
    expect(md).toContain('### llm');
    expect(md).toMatch(/\| serve tiny \| 145\.0 ms \| .* \| 27\.5 ms \| .* \(3\) \| 21\.7 \| 8\.70 \| 5\.00% \| — \|/);
  });
});

describe('goodput (docs/metrics.md)', () => {
  const silent: RequestRecord = {
    id: 2,
    promptTokens: 4,
    outputTokens: 2,
    arrivalMs: 5,
    scheduledMs: 5,
    prefillDoneMs: Number.NaN,
    tokenTimesMs: [],
  };

  it('is null with no SLO, not every request', () => {
    const m = llmMetrics(records, steps, {});
    expect(m.goodputRequestsPerSecond).toBeNull();
    expect(m.sloMet).toBeNull();
    expect(m.requestsPerSecond).toBeCloseTo(2 / 0.23, 9);
  });

  it('never counts a request that produced no token, even under a TPOT-only SLO, and never exceeds requests/s', () => {
    const m = llmMetrics([...records, silent], steps, { tpotMs: 1000 });
    expect(m.completed).toBe(2);
    expect(m.sloMet).toBe(2);
    expect(m.goodputRequestsPerSecond).toBeCloseTo(m.requestsPerSecond ?? NaN, 12);
    for (const slo of [{ tpotMs: 1000 }, { ttftMs: 1e9 }, { e2eMs: 1e9 }, { ttftMs: 150, tpotMs: 26 }]) {
      const x = llmMetrics([...records, silent], steps, slo);
      expect(x.goodputRequestsPerSecond ?? 0).toBeLessThanOrEqual(x.requestsPerSecond ?? NaN);
    }
    expect(llmMetrics([...records, silent], steps, { ttftMs: 150, tpotMs: 26 }).sloMet).toBe(1);
  });

  it('gives no rate, never ±Infinity or NaN, when no request completed or the window has no length', () => {
    const none = llmMetrics([silent], [], { ttftMs: 100 });
    expect(none).toMatchObject({
      completed: 0,
      windowMs: 0,
      tokensPerSecond: null,
      requestsPerSecond: null,
      decodeTokensPerSecond: null,
      goodputRequestsPerSecond: null,
    });
    // One request whose only token lands the moment it arrives: a window of zero length.
    const instant: RequestRecord = {
      ...silent,
      id: 9,
      arrivalMs: 5,
      scheduledMs: 5,
      prefillDoneMs: 5,
      tokenTimesMs: [5],
    };
    const zero = llmMetrics([instant], [], {});
    expect(zero.completed).toBe(1);
    expect([zero.windowMs, zero.tokensPerSecond, zero.requestsPerSecond]).toEqual([0, null, null]);
    for (const v of Object.values(llmMetrics(records, steps, {})))
      if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  });
});

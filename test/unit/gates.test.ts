import { describe, expect, it } from 'vitest';
import { GateFailedError, GateStatus, PerformanceGate } from '../../src/ci/gates.js';

describe('PerformanceGate (ported from the original tests)', () => {
  it('passes a throughput above the minimum', () => {
    expect(new PerformanceGate({ minThroughputTps: 100 }).checkThroughput(150).passed).toBe(true);
  });

  it('fails a throughput below the minimum', () => {
    const r = new PerformanceGate({ minThroughputTps: 100 }).checkThroughput(50);
    expect(r.passed).toBe(false);
    expect(r.status).toBe(GateStatus.FAILED);
    expect(r.message).toBe('Throughput 50.0 TPS < 100.0 TPS');
  });

  it('regression check: 3% passes, 10% fails at the default 5%', () => {
    const gate = new PerformanceGate({ maxRegressionPct: 5 });
    expect(gate.checkRegression('throughput', 100, 97).passed).toBe(true);
    expect(gate.checkRegression('throughput', 100, 90).passed).toBe(false);
    expect(new PerformanceGate().checkRegression('throughput', 100, 94).passed).toBe(false);
  });
});

describe('PerformanceGate checks', () => {
  it('latency gates compare against maxima, with one message per check', () => {
    const gate = new PerformanceGate({ maxTtftMs: 200, maxTpotMs: 20, maxP99LatencyMs: 500 });
    const [ttft, tpot, p99] = gate.checkLatency({ ttftMs: 150, tpotMs: 25, p99Ms: 500 });
    expect(ttft?.message).toBe('TTFT 150.0 ms <= 200.0 ms');
    expect(tpot?.passed).toBe(false);
    expect(tpot?.message).toBe('TPOT 25.0 ms > 20.0 ms');
    expect(p99?.passed).toBe(true);
  });

  it('memory, KV hit rate and MFU gates', () => {
    const gate = new PerformanceGate({ maxMemoryGb: 40, minKvHitRate: 0.5, minMfu: 0.3 });
    expect(gate.checkMemory(41).passed).toBe(false);
    expect(gate.checkKvHitRate(0.7).passed).toBe(true);
    expect(gate.checkMfu(0.25).message).toBe('MFU 0.250 < 0.300');
  });

  it('lower-is-better regressions count an increase as worse', () => {
    const gate = new PerformanceGate();
    expect(gate.checkRegression('ttft', 100, 104, false).passed).toBe(true);
    const r = gate.checkRegression('ttft', 100, 110, false);
    expect(r.passed).toBe(false);
    expect(r.message).toBe('ttft regression 10.0% > 5.0%');
    expect(gate.checkRegression('ttft', 100, 50, false).passed).toBe(true);
  });

  it('unconfigured gates and zero baselines are recorded as skipped', () => {
    const gate = new PerformanceGate();
    expect(gate.checkThroughput(10).status).toBe('SKIPPED');
    expect(gate.checkRegression('x', 0, 10).status).toBe('SKIPPED');
    expect(gate.getSummary()).toMatchObject({ totalChecks: 2, skipped: 2, passed: 0, failed: 0, allPassed: true });
  });

  it('a NaN measurement fails rather than passing silently', () => {
    const gate = new PerformanceGate({ minThroughputTps: 1 });
    expect(gate.checkThroughput(Number.NaN).status).toBe('FAILED');
    expect(gate.checkRegression('x', 10, Number.NaN).status).toBe('FAILED');
  });

  it('getSummary counts every check and assertAllPassed throws with the failures', () => {
    const gate = new PerformanceGate({ minThroughputTps: 100, maxTtftMs: 10 });
    gate.checkThroughput(150);
    gate.checkLatency({ ttftMs: 20 });
    const s = gate.getSummary();
    expect(s).toMatchObject({ totalChecks: 2, passed: 1, failed: 1, skipped: 0, allPassed: false });
    expect(s.results.map((r) => r.status)).toEqual(['PASSED', 'FAILED']);
    expect(() => {
      gate.assertAllPassed();
    }).toThrow(GateFailedError);
    expect(() => {
      gate.assertAllPassed();
    }).toThrow(/TTFT 20.0 ms > 10.0 ms/);
    expect(gate.getResults()).toHaveLength(2);
  });

  it('assertAllPassed is quiet when everything passed', () => {
    const gate = new PerformanceGate({ minMfu: 0.1 });
    gate.checkMfu(0.2);
    expect(() => {
      gate.assertAllPassed();
    }).not.toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { renderRunTable, shouldUseColor, describeTimer } from '../../src/reporters/console.js';
import { formatBytes, formatNs } from '../../src/reporters/format.js';
import { renderJson } from '../../src/reporters/json.js';
import { parseRunResult } from '../../src/results/schema.js';
import { sampleRun } from '../helpers/sampleRun.js';

describe('results schema', () => {
  it('accepts a well-formed run and survives a JSON round trip unchanged', () => {
    const run = sampleRun();
    expect(parseRunResult(JSON.parse(renderJson(run)))).toEqual(run);
  });

  it('names the bad field by its path', () => {
    const run = sampleRun() as unknown as { cases: { bandwidth: { medianGBps: unknown } }[] };
    const bad = structuredClone(run);
    (bad.cases[0] as { bandwidth: { medianGBps: unknown } }).bandwidth.medianGBps = 'fast';
    expect(() => parseRunResult(bad, 'out.json')).toThrow(/out.json: invalid at "cases.0.bandwidth.medianGBps"/);
  });

  it('refuses a newer schema version with advice to upgrade', () => {
    expect(() => parseRunResult({ ...sampleRun(), schemaVersion: 99 }, 'new.json')).toThrow(
      /schemaVersion 99 is newer.*upgrade wgbench/,
    );
  });
});

describe('console reporter', () => {
  it('colour only on a TTY and never with NO_COLOR', () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({}, {})).toBe(false);
  });

  it('prints the device and timer on top and a row per case, with no escapes when colour is off', () => {
    const text = renderRunTable(sampleRun(), { color: false });
    expect(text.includes('\u001b[')).toBe(false);
    expect(text).toContain('device: llvmpipe');
    expect(text).toContain('timer:  timestamp-query (resolution 1 ns)');
    expect(text).toContain('copy 1 MiB');
    expect(text).toMatch(/copy 1 MiB .* 5\.2 GB\/s/);
    expect(text).toContain('GB/s counts bytes as read+write for copy');
    expect(text).toMatch(/failed memcopy\/read\/bytes=1048576: output does not match/);
  });

  it('says when timestamps are quantized', () => {
    expect(
      describeTimer({
        kind: 'timestamp-query',
        method: '',
        resolutionNs: 65536,
        quantized: true,
        rawTimestampsSeen: 16,
      }),
    ).toMatch(/QUANTIZED to 65.54 µs/);
  });

  it('formats bytes and durations', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(1024 ** 3)]).toEqual(['512 B', '1.5 KiB', '1 GiB']);
    expect([formatNs(12), formatNs(1500), formatNs(2.5e6), formatNs(3e9)]).toEqual([
      '12 ns',
      '1.50 µs',
      '2.500 ms',
      '3.000 s',
    ]);
  });
});

import { memcopySuite } from './memcopy.js';
import { attentionSuite } from './attention.js';
import { kvTierSuite } from './kvtier.js';
import { llmSuite } from './llm.js';
import { matmulSuite } from './matmul.js';
import { overheadSuite } from './overhead.js';
import { peakSuite } from './peak.js';
import { createPeersSuite } from './peers.js';
import type { Suite } from './types.js';

/** Every suite this build knows, in the order a run takes them. */
export const ALL_SUITES: readonly Suite[] = [
  memcopySuite,
  peakSuite,
  matmulSuite,
  attentionSuite,
  overheadSuite,
  llmSuite,
  kvTierSuite,
  createPeersSuite(),
];

export class UnknownSuiteError extends Error {
  constructor(name: string) {
    super(`unknown suite "${name}"; available: ${ALL_SUITES.map((s) => s.name).join(', ')}`);
    this.name = 'UnknownSuiteError';
  }
}

/** Parses "a,b" into suites, keeping the order given and dropping repeats. */
export function resolveSuites(list: string): Suite[] {
  const names = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (names.length === 0) throw new UnknownSuiteError(list);
  return names.map((n) => {
    const suite = ALL_SUITES.find((s) => s.name === n);
    if (suite === undefined) throw new UnknownSuiteError(n);
    return suite;
  });
}

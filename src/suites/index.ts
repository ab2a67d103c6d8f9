import { memcopySuite } from './memcopy.js';
import { attentionSuite } from './attention.js';
import { kvTierSuite } from './kvtier.js';
import { llmSuite } from './llm.js';
import { matmulSuite } from './matmul.js';
import { overheadSuite } from './overhead.js';
import { peakSuite } from './peak.js';
import { createPeersSuite } from './peers.js';
import type { Suite } from './types.js';

/**
 * The suites built in, in the order a run takes them. A new suite is one module in this folder
 * (and its kernel in kernels/) plus one line here; everything else — the CLI's `suites` and
 * `--suite`, the page's list, reports, compare — reads the registry (docs/adding-a-suite.md).
 */
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

const registry: Suite[] = [...ALL_SUITES];

/**
 * Adds a suite defined outside this folder (a test's fixture, a lab's own kernels) to the
 * registry, after the built-in ones. A second suite under a taken name is refused: results name
 * their suite, and two suites under one name would mix their cases.
 */
export function registerSuite(suite: Suite): void {
  if (registry.includes(suite)) return;
  if (registry.some((s) => s.name === suite.name))
    throw new Error(`a suite named "${suite.name}" is already registered; give the new suite another name`);
  registry.push(suite);
}

/** Every suite a run can take: the built-in ones, then the registered ones. */
export function registeredSuites(): readonly Suite[] {
  return registry;
}

export class UnknownSuiteError extends Error {
  constructor(name: string) {
    super(`unknown suite "${name}"; available: ${registry.map((s) => s.name).join(', ')}`);
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
    const suite = registry.find((s) => s.name === n);
    if (suite === undefined) throw new UnknownSuiteError(n);
    return suite;
  });
}

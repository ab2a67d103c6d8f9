import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../platform/atomicFile.js';
import type { PlannedOutput } from './outputs.js';
import { InputError, parseGateConfig, type GateConfig } from '../ci/gateConfig.js';
import { reportAssets } from '../platform/node.js';
import { renderGithubBenchmark } from '../reporters/githubBenchmark.js';
import { renderHtml } from '../reporters/html.js';
import { renderJson } from '../reporters/json.js';
import { renderRunJUnit } from '../reporters/junit.js';
import { renderRunMarkdown } from '../reporters/markdown.js';
import { renderTrace } from '../reporters/trace.js';
import type { RunResult } from '../results/schema.js';
import { validateRunDocument } from '../results/validate.js';

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, '', `cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(file, '', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * A results file, validated against the schema and for consistency (unique ids, summaries that
 * follow from the samples); the error names the file and the field. Every command reads through it.
 */
export function readRunFile(file: string): RunResult {
  return validateRunDocument(readJson(file), file);
}

export function readGateConfig(file: string): GateConfig {
  return parseGateConfig(readJson(file), file);
}

/** The report flags `run` and `report` share. */
export interface ReportFlags {
  json?: string;
  md?: string;
  html?: string;
  junit?: string;
  trace?: string;
  ghBench?: string;
  ghBenchTime?: string;
}

/** The report files asked for, by flag, for the output guard. */
export function reportOutputs(flags: ReportFlags): PlannedOutput[] {
  return [
    { flag: '--json', path: flags.json },
    { flag: '--md', path: flags.md },
    { flag: '--html', path: flags.html },
    { flag: '--junit', path: flags.junit },
    { flag: '--trace', path: flags.trace },
    { flag: '--gh-bench', path: flags.ghBench },
    { flag: '--gh-bench-time', path: flags.ghBenchTime },
  ];
}

/** Writes every report asked for, each atomically; returns what was written, for the console. */
export async function writeReports(run: RunResult, flags: ReportFlags): Promise<string[]> {
  const outputs: [string | undefined, string, () => string][] = [
    [flags.json, 'results JSON', () => renderJson(run)],
    [flags.md, 'Markdown report', () => renderRunMarkdown(run)],
    [flags.html, 'HTML report', () => renderHtml(run, reportAssets())],
    [flags.junit, 'JUnit XML', () => renderRunJUnit(run)],
    [flags.trace, 'trace (open in Perfetto)', () => renderTrace(run)],
    [flags.ghBench, 'github-action-benchmark JSON (customBiggerIsBetter)', () => renderGithubBenchmark(run, 'bigger')],
    [
      flags.ghBenchTime,
      'github-action-benchmark JSON (customSmallerIsBetter)',
      () => renderGithubBenchmark(run, 'smaller'),
    ],
  ];
  const written: string[] = [];
  for (const [file, what, render] of outputs) {
    if (file === undefined) continue;
    await writeFileAtomic(file, render());
    written.push(`${what} written to ${file}`);
  }
  return written;
}

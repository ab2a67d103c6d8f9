// Soak test of the signal and atomic-write paths (issue: no command loses or overwrites a result).
// N runs of `wgbench run --suite memcopy --quick --json run.json`, each killed at a random moment
// by SIGKILL, SIGTERM or SIGINT in turn. After each: the results file, if one was written, must
// parse and pass the schema and the consistency check (it is copied aside); a temp file or a
// scratch file the previous run left must be gone after this one; at the end every surviving
// file must go into the history. Usage (after `npm run build`):
//   node bench/kill-soak.mjs [runs=100] [maxDelayMs=9000]   prints JSON counts; exit 1 on a defect
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 100);
const maxDelayMs = Number(process.argv[3] ?? 9000);
const bin = join(import.meta.dirname, '..', 'bin', 'wgbench.js');
const { parseRunResult } = await import('../dist/results/schema.js');
const { checkRunConsistency } = await import('../dist/results/consistency.js');
const dir = mkdtempSync(join(tmpdir(), 'wgbench-soak-'));
const scratch = join(dir, 'scratch');
const kept = join(dir, 'survivors');
mkdirSync(scratch);
mkdirSync(kept);
const file = join(dir, 'run.json');
const signals = ['SIGKILL', 'SIGTERM', 'SIGINT'];
const counts = {
  runs: 0,
  bySignal: { SIGKILL: 0, SIGTERM: 0, SIGINT: 0 },
  exitCodes: {},
  noFile: 0,
  valid: 0,
  invalid: 0,
  statuses: {},
  tempsLeftByAKill: 0,
  tempsSurvivingTheNextRun: 0,
  scratchSurvivingTheNextRun: 0,
  historyAdded: 0,
  historyFailed: 0,
};
const defects = [];
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const temps = () => readdirSync(dir).filter((n) => /^run\.json\.\d+$/.test(n));
const scratchFiles = () => readdirSync(scratch);

function runOnce(signal, delay) {
  const child = spawn(
    process.execPath,
    [bin, 'run', '--suite', 'memcopy', '--quick', '--json', file, '--no-progress', '--scratch-dir', scratch],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? `signal ${sig}`)));
  const timer = signal === null ? null : setTimeout(() => child.kill(signal), delay);
  return exited.finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}

let before = { temps: [], scratch: [] };
for (let i = 0; i < runs; i++) {
  rmSync(file, { force: true });
  const signal = signals[i % 3];
  const delay = Math.floor(random() * maxDelayMs);
  const code = await runOnce(signal, delay);
  counts.runs++;
  counts.bySignal[signal]++;
  counts.exitCodes[code] = (counts.exitCodes[code] ?? 0) + 1;
  const survivingTemps = before.temps.filter((n) => existsSync(join(dir, n)));
  const survivingScratch = before.scratch.filter((n) => existsSync(join(scratch, n)));
  counts.tempsSurvivingTheNextRun += survivingTemps.length;
  counts.scratchSurvivingTheNextRun += survivingScratch.length;
  if (survivingTemps.length + survivingScratch.length > 0)
    defects.push(`run ${i} left ${[...survivingTemps, ...survivingScratch].join(', ')} of the run before in place`);
  before = { temps: temps(), scratch: scratchFiles() };
  counts.tempsLeftByAKill += before.temps.length;
  if (!existsSync(file)) {
    counts.noFile++;
    continue;
  }
  try {
    const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
    checkRunConsistency(run, file);
    counts.valid++;
    counts.statuses[run.status] = (counts.statuses[run.status] ?? 0) + 1;
    copyFileSync(file, join(kept, `run-${i}.json`));
  } catch (e) {
    counts.invalid++;
    defects.push(`run ${i} (${signal} at ${delay} ms): ${e.message}`);
  }
}
// A last, complete run: what the last killed one left must go too.
const last = await runOnce(null, 0);
if (last !== 0) defects.push(`the final complete run exited ${last}`);
const leftover = [
  ...before.temps.filter((n) => existsSync(join(dir, n))),
  ...before.scratch.filter((n) => existsSync(join(scratch, n))),
];
counts.tempsSurvivingTheNextRun += leftover.length;
if (leftover.length > 0) defects.push(`the final run left ${leftover.join(', ')}`);
const db = join(dir, 'history.sqlite');
for (const name of readdirSync(kept)) {
  const r = spawnSync(process.execPath, [bin, 'history', 'add', join(kept, name), '--db', db], { encoding: 'utf8' });
  if (r.status === 0) counts.historyAdded++;
  else {
    counts.historyFailed++;
    defects.push(`history add ${name}: ${r.stderr.trim()}`);
  }
}
console.log(JSON.stringify({ ...counts, defects }, null, 2));
process.exit(defects.length === 0 ? 0 : 1);

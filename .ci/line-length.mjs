// Fails on a source line over 120 characters (Prettier wraps code but never splits a string, a
// comment or a WGSL kernel): `npm run lint` runs it over what git tracks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const patterns = ['*.ts', '*.js', '*.mjs', '*.wgsl'];
const files = execFileSync('git', ['ls-files', '--', ...patterns], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && !f.startsWith('bench/results/'));
const long = [];
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      // Characters, not bytes or UTF-16 units: "→" is one column.
      const width = [...line].length;
      if (width > MAX) long.push(`${file}:${i + 1}: ${width} characters`);
    });
}
if (long.length > 0) {
  const fix = 'wrap them (npm run format does code, not strings or comments)';
  process.stderr.write(`${long.join('\n')}\n${long.length} lines over ${MAX} characters: ${fix}\n`);
  process.exit(1);
}

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaled } from '../helpers/timeouts.js';

/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a scratch project
 * (dependencies from the npm cache that `npm ci` filled, the registry otherwise), imported by
 * name there, and its bin run with npx.
 */
describe('the published package', () => {
  it(
    'installs from its tarball, imports as "wgbench", "wgbench/node" and "wgbench/lab", and runs `npx wgbench probe`',
    () => {
      const root = resolve('.');
      const scratch = mkdtempSync(join(tmpdir(), 'wgbench-pack-'));
      execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
      expect(tarball).toBeDefined();
      const project = join(scratch, 'project');
      execFileSync('mkdir', ['-p', project]);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'uses-wgbench', version: '1.0.0', type: 'module', private: true }),
      );
      execFileSync(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          '--loglevel=error',
          join(scratch, tarball as string),
        ],
        { cwd: project, stdio: ['ignore', 'inherit', 'inherit'] },
      );

      // Each entry point by name, as a user writes it; the lab's and Node's each hold their own part.
      const script = [
        "const [m, n, l] = await Promise.all([import('wgbench'), import('wgbench/node'), import('wgbench/lab')]);",
        'console.log(JSON.stringify({',
        '  count: Object.keys(m).length, summary: typeof m.MetricSummary.fromValues, runSuites: typeof m.runSuites,',
        '  rootHasDawn: "createNodeGpuProvider" in m, node: typeof n.createNodeGpuProvider,',
        '  nodeHasRoot: typeof n.runSuites, lab: typeof l.openHistory, server: typeof l.buildServer,',
        '}));',
      ].join('\n');
      const imported = spawnSync('node', ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
      expect(imported.status, imported.stderr).toBe(0);
      const entries = JSON.parse(imported.stdout.trim()) as Record<string, unknown>;
      expect(entries['count']).toBeGreaterThan(20);
      expect(entries).toMatchObject({
        summary: 'function',
        runSuites: 'function',
        rootHasDawn: false,
        node: 'function',
        nodeHasRoot: 'function',
        lab: 'function',
        server: 'function',
      });

      const probe = spawnSync('npx', ['--no-install', 'wgbench', 'probe', '--json'], {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(probe.status, probe.stderr).toBe(0);
      const report = JSON.parse(probe.stdout) as { device: { backend: string }; timer: { kind: string } };
      expect(report.device.backend).toMatch(/vulkan|opengles/);
      expect(report.timer.kind).toMatch(/timestamp-query|cpu/);
    },
    scaled(600_000),
  );
});

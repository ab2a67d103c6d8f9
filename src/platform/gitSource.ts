import { execFileSync } from 'node:child_process';

/** The git commit and branch of a working directory, null where it is not a repository (or git is absent). */
export interface GitSource {
  commit: string | null;
  branch: string | null;
}

function git(args: readonly string[], cwd: string): string | null {
  try {
    const out = execFileSync('git', args, {
      cwd,
      timeout: 3000,
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    });
    const line = out.trim();
    return line === '' ? null : line;
  } catch {
    return null;
  }
}

/**
 * What code a run measures: `git rev-parse HEAD` and the branch checked out (null when detached),
 * else the commit and branch a CI names in its environment (GitHub Actions, GitLab CI).
 */
export function gitSource(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): GitSource {
  const commit = git(['rev-parse', '--verify', '--quiet', 'HEAD'], cwd);
  const fromEnv = (...names: string[]): string | null =>
    names.map((n) => env[n]).find((v): v is string => v !== undefined && v !== '') ?? null;
  if (commit !== null && /^[0-9a-f]{40,64}$/.test(commit))
    return { commit, branch: git(['symbolic-ref', '--short', '--quiet', 'HEAD'], cwd) };
  return {
    commit: fromEnv('GITHUB_SHA', 'CI_COMMIT_SHA'),
    branch: fromEnv('GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'CI_COMMIT_REF_NAME'),
  };
}

/** The full commit a revision names here (a branch, a tag, `origin/main`, an abbreviated hash), or null. */
export function resolveRevision(rev: string, cwd: string = process.cwd()): string | null {
  if (rev.startsWith('-')) return null;
  return git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], cwd);
}

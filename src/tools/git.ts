import { run, runSync, type RunOptions } from '../exec.js';

/** The git wrapper: every git call vvehicle makes goes through here. */
export async function gitVersion(): Promise<string> {
  const { stdout } = await run('git', ['--version']);
  return stdout.replace(/^git version /, '').trim();
}

export async function git(args: string[], options: RunOptions = {}): Promise<string> {
  const { stdout } = await run('git', args, { ...options, env: { GIT_TERMINAL_PROMPT: '0', ...options.env } });
  return stdout;
}

/** Like git() but returns the result instead of throwing: for probes such as "is this commit here?". */
export async function gitProbe(args: string[], options: RunOptions = {}): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const r = await run('git', args, { ...options, allowFailure: true, env: { GIT_TERMINAL_PROMPT: '0', ...options.env } });
  return { ok: !r.failed, stdout: r.stdout, stderr: r.stderr };
}

/** True when `commit` is a commit object in the repository at `dir` (alternates included). */
export async function hasCommit(dir: string, commit: string, options: RunOptions = {}): Promise<boolean> {
  return (await gitProbe(['-C', dir, 'cat-file', '-e', `${commit}^{commit}`], options)).ok;
}

export async function headCommit(dir: string, options: RunOptions = {}): Promise<string | undefined> {
  const r = await gitProbe(['-C', dir, 'rev-parse', '--verify', '-q', 'HEAD^{commit}'], options);
  return r.ok ? r.stdout.trim() : undefined;
}

/** Paths with local changes (tracked modifications and untracked files), as `git status --porcelain` lists them. */
export async function localChanges(dir: string, options: RunOptions = {}): Promise<string[]> {
  const out = await git(['-C', dir, 'status', '--porcelain', '--ignore-submodules=none'], options);
  return out.split('\n').filter((l) => l.trim() !== '');
}

export async function detachedCheckout(dir: string, commit: string, force: boolean, options: RunOptions = {}): Promise<void> {
  await git(['-C', dir, '-c', 'advice.detachedHead=false', 'checkout', '-q', ...(force ? ['--force'] : []), '--detach', commit], options);
  if (force) await git(['-C', dir, 'clean', '-q', '-fdx'], options);
}

/**
 * Synchronous probes of a local work tree (a `path:` repository), read while the configuration loads:
 * stdout (untrimmed) when git succeeds, undefined when it fails (not a work tree, no commit yet).
 */
export function gitSyncProbe(dir: string, args: string[]): string | undefined {
  const r = runSync('git', ['-C', dir, ...args], { allowFailure: true, env: { GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } });
  return r.failed ? undefined : r.stdout;
}

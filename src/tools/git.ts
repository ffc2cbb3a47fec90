import { run, type RunOptions } from '../exec.js';

/** The git wrapper: every git call vvehicle makes goes through here. */
export async function gitVersion(): Promise<string> {
  const { stdout } = await run('git', ['--version']);
  return stdout.replace(/^git version /, '').trim();
}

export async function git(args: string[], options: RunOptions = {}): Promise<string> {
  const { stdout } = await run('git', args, { ...options, env: { GIT_TERMINAL_PROMPT: '0', ...options.env } });
  return stdout;
}

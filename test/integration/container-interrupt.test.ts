import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersNamed } from '../../src/tools/engine.js';
import { leftoverContainers, loggedContainerNames, makeBuildProject, STUB_ENV } from '../helpers/build-project.js';
import { ensureBuilt } from '../helpers/built-cli.js';
import { startCli } from '../helpers/cli-process.js';
import { ENGINES, testEngine } from '../helpers/engines.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(() => ensureBuilt(), 300_000);

describe.each(ENGINES)('Ctrl-C during bitbake in %s', (engineName) => {
  const root = mkdtempSync(join(tmpdir(), `vvehicle-interrupt-${engineName}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('stops the container, exits 130 and leaves no vvehicle container behind', { timeout: 300_000 }, async () => {
    const project = await makeBuildProject(root, await testEngine(engineName));
    const work = join(root, 'work');
    // a real `vvehicle build` process; Ctrl-C reaches its whole process group, the engine client included
    const cli = startCli(['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '1', '--until', 'bitbake'], {
      cwd: root,
      env: { ...Object.fromEntries(STUB_ENV.map((k) => [k, undefined])), STUB_DELAY: '0.5' },
    });
    const name = await until('the bitbake container', async () => {
      const logs = existsSync(join(work, 'logs')) ? readdirSync(join(work, 'logs')).filter((f) => f.startsWith('bitbake-')) : [];
      const names = logs.length ? loggedContainerNames(work) : [];
      if (!names.length) return undefined;
      const live = await containersNamed(project.engine, names[0]!);
      return live.length ? names[0] : undefined;
    });
    cli.ctrlC();
    expect(await cli.exited).toBe(130);
    expect(cli.output().stderr).toContain('interrupted by SIGINT');
    expect(await leftoverContainers(project.engine, [name])).toEqual([]);
    expect(existsSync(join(work, '.state/bitbake.json'))).toBe(false);
  });
});

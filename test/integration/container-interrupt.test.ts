import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installSignalHandlers } from '../../src/signals.js';
import { containersNamed } from '../../src/tools/engine.js';
import { runCli } from '../helpers/cli.js';
import { leftoverContainers, loggedContainerNames, makeBuildProject, withEnv } from '../helpers/build-project.js';
import { TEST_ENGINE } from '../helpers/stub-builder.js';

// its own file: SIGINT aborts the run-wide signal for good, as it does in the real CLI
const root = mkdtempSync(join(tmpdir(), 'vvehicle-interrupt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('Ctrl-C during bitbake', () => {
  it('stops the container, exits 130 and leaves no vvehicle container behind', { timeout: 300_000 }, async () => {
    const project = await makeBuildProject(root);
    const work = join(root, 'work');
    installSignalHandlers();
    const running = withEnv({ STUB_DELAY: '0.5' }, () => runCli(['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '1', '--until', 'bitbake']));
    const name = await until('the bitbake container', async () => {
      const logs = existsSync(join(work, 'logs')) ? readdirSync(join(work, 'logs')).filter((f) => f.startsWith('bitbake-')) : [];
      const names = logs.length ? loggedContainerNames(work) : [];
      if (!names.length) return undefined;
      const live = await containersNamed(TEST_ENGINE, names[0]!);
      return live.length ? names[0] : undefined;
    });
    process.kill(process.pid, 'SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted by SIGINT');
    expect(await leftoverContainers([name])).toEqual([]);
    expect(existsSync(join(work, '.state/bitbake.json'))).toBe(false);
  });
});

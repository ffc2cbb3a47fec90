import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersNamed, removeContainer } from '../../src/tools/engine.js';
import { cliJs, ensureBuilt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { leftoverContainers, makeBuildProject } from '../helpers/build-project.js';
import { ensureContainersConf, TEST_ENGINE } from '../helpers/stub-builder.js';
import { waitFor } from '../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'vvehicle-killed-container-'));
let orphan: string | undefined;
afterAll(async () => {
  if (orphan) await removeContainer(TEST_ENGINE, orphan); // only if the test failed before the rerun removed it
  rmSync(root, { recursive: true, force: true });
});

/**
 * vvehicle SIGKILLed while bitbake runs in its container: no cleanup can run, so the container goes on
 * (it would fight the next run for TOPDIR). The next run on the work dir removes it, saying so.
 */
describe('a build killed during bitbake', () => {
  beforeAll(() => {
    ensureBuilt();
    ensureContainersConf();
  }, 300_000);

  it('leaves its container running; the next run removes it with a note and builds', { timeout: 400_000 }, async () => {
    const project = await makeBuildProject(root);
    const work = join(root, 'work');
    const args = ['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '0', '--until', 'bitbake'];
    const child = spawn(process.execPath, [cliJs, ...args], { cwd: root, stdio: 'ignore', env: { ...process.env, CI: 'true', STUB_DELAY: '0.5' } });
    const exited = new Promise((r) => child.on('exit', r));
    const record = join(work, '.state/container.json');
    const name = await waitFor('the bitbake container', () => (existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { name: string }).name : undefined), 300_000, 200);
    for (let i = 0; i < 100 && !(await containersNamed(TEST_ENGINE, name)).length; i++) await new Promise((r) => setTimeout(r, 300));
    orphan = name;
    child.kill('SIGKILL');
    await exited;
    expect(await leftoverContainers([name])).toEqual([name]); // the orphan

    const rerun = vvehicle(args, root, { STUB_DELAY: '' });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`note: removed container ${name}, left running by an interrupted run`);
    expect(rerun.stdout).toMatch(/^note: took over the lock .* left by a run that is gone/m);
    expect(await leftoverContainers([name])).toEqual([]);
    expect(existsSync(record)).toBe(false);
  });
});

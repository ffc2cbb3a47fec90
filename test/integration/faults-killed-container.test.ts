import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersNamed, removeContainer, type Engine } from '../../src/tools/engine.js';
import { cliJs, ensureBuilt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { leftoverContainers, makeBuildProject } from '../helpers/build-project.js';
import { ENGINES, testEngine } from '../helpers/engines.js';
import { waitFor } from '../helpers/wait.js';

/**
 * vvehicle SIGKILLed while bitbake runs in its container: no cleanup can run, so the container goes on
 * (it would fight the next run for TOPDIR). The next run on the work dir removes it, saying so.
 */
describe.each(ENGINES)('a build killed during bitbake in %s', (engineName) => {
  const root = mkdtempSync(join(tmpdir(), `vvehicle-killed-container-${engineName}-`));
  let engine: Engine;
  let orphan: string | undefined;
  beforeAll(async () => {
    ensureBuilt();
    engine = await testEngine(engineName);
  }, 300_000);
  afterAll(async () => {
    if (orphan) await removeContainer(engine, orphan); // only if the test failed before the rerun removed it
    rmSync(root, { recursive: true, force: true });
  });

  it('leaves its container running; the next run removes it with a note and builds', { timeout: 400_000 }, async () => {
    const project = await makeBuildProject(root, engine);
    const work = join(root, 'work');
    const args = ['build', '-c', project.config, '-w', work, ...project.rewriteArgs, '--min-free-gib', '0', '--until', 'bitbake'];
    const child = spawn(process.execPath, [cliJs, ...args], { cwd: root, stdio: 'ignore', env: { ...process.env, CI: 'true', STUB_DELAY: '0.5' } });
    const exited = new Promise((r) => child.on('exit', r));
    const record = join(work, '.state/container.json');
    const name = await waitFor('the bitbake container', () => (existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { name: string }).name : undefined), 300_000, 200);
    for (let i = 0; i < 100 && !(await containersNamed(engine, name)).length; i++) await new Promise((r) => setTimeout(r, 300));
    orphan = name;
    child.kill('SIGKILL');
    await exited;
    expect(await leftoverContainers(engine, [name])).toEqual([name]); // the orphan

    const rerun = vvehicle(args, root, { STUB_DELAY: '' });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`note: removed container ${name}, left running by an interrupted run`);
    expect(rerun.stdout).toMatch(/^note: took over the lock .* left by a run that is gone/m);
    expect(await leftoverContainers(engine, [name])).toEqual([]);
    expect(existsSync(record)).toBe(false);
  });
});

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Issue 11, point 6: `-c base.yml -c ci.yml` (or `base.yml:ci.yml`) merges the files in order, as kas does. */
interface PlanJson {
  name: string;
  version: string;
  managedConf: string[];
  components: { name: string; version?: string }[];
}

function files(texts: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(texts)) writeFileSync(join(dir, name), text);
  return dir;
}

async function plan(dir: string, ...args: string[]): Promise<PlanJson> {
  const r = await runCli(['plan', '--json', ...args.flatMap((a) => ['-c', join(dir, a)])]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as PlanJson;
}

const BASE = 'extends: gateway-qemuarm64\nname: lab-image\nversion: 1.0.0\nbuild:\n  threads: 8\n';
// ci.yml extends the same profile: the profile must not be applied again over base.yml's values
const CI = 'extends: gateway-qemuarm64\nversion: 1.0.1-ci.7\nbuild:\n  parallelMake: 2\n';

describe('composition of project files', () => {
  it('merges -c base.yml -c ci.yml in order: later keys win, earlier keys stay, the shared profile is applied once', async () => {
    const dir = files({ 'base.yml': BASE, 'ci.yml': CI });
    const p = await plan(dir, 'base.yml', 'ci.yml');
    expect(p).toMatchObject({ name: 'lab-image', version: '1.0.1-ci.7' });
    expect(p.managedConf).toContain('BB_NUMBER_THREADS = "8"');
    expect(p.managedConf).toContain('PARALLEL_MAKE = "-j 2"');
    const reversed = await plan(dir, 'ci.yml', 'base.yml');
    expect(reversed.version).toBe('1.0.0');
  });

  it('base.yml:ci.yml (kas style) is the same as two -c', async () => {
    const dir = files({ 'base.yml': BASE, 'ci.yml': CI });
    const joined = await runCli(['plan', '--json', '-c', `${join(dir, 'base.yml')}:${join(dir, 'ci.yml')}`]);
    expect(joined.code).toBe(0);
    expect(JSON.parse(joined.stdout)).toEqual(await plan(dir, 'base.yml', 'ci.yml'));
  });

  it('an overlay without extends adds to the files before it', async () => {
    const dir = files({ 'base.yml': BASE, 'ci.yml': 'version: 2.0.0\n' });
    expect((await plan(dir, 'base.yml', 'ci.yml')).version).toBe('2.0.0');
  });

  it('errors point at the file that wrote the bad value (file:line:col), exit 2, nothing written', async () => {
    const dir = files({ 'base.yml': BASE, 'ci.yml': 'extends: gateway-qemuarm64\nbuild:\n  threads: many\n', 'bad-base.yml': `${BASE}machine: x86\n` });
    const work = join(dir, 'work');
    const inCi = await runCli(['layer', '-w', work, '-c', join(dir, 'base.yml'), '-c', join(dir, 'ci.yml')]);
    expect(inCi.code).toBe(2);
    expect(inCi.stderr).toContain(`${join(dir, 'ci.yml')}:3:12: build.threads:`);
    const inBase = await runCli(['layer', '-w', work, '-c', `${join(dir, 'bad-base.yml')}:${join(dir, 'ci.yml')}`]);
    expect(inBase.code).toBe(2);
    expect(inBase.stderr).toContain(`${join(dir, 'bad-base.yml')}:6:10: machine: must be one of`);
    const missing = await runCli(['plan', '-c', join(dir, 'base.yml'), '-c', join(dir, 'nope.yml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yml:1:1: (root): cannot read: file not found');
    expect(existsSync(work)).toBe(false);
  });

  it('a version bump in the later file drops the earlier file\'s pin of another release', async () => {
    const dir = files({ 'base.yml': `${BASE}components:\n  nodeExporter:\n    version: 1.9.0\n    sha256: ${'c'.repeat(64)}\n`, 'ci.yml': 'components:\n  nodeExporter:\n    version: 1.8.0\n' });
    const r = await runCli(['plan', '-c', join(dir, 'base.yml'), '-c', join(dir, 'ci.yml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'ci.yml')}:3:14: components.nodeExporter.version: 1.8.0 needs components.nodeExporter.sha256`);
  });

  it('the lock file belongs to the first file, as with kas (base.lock.yml)', async () => {
    const dir = files({
      'base.yml': `${BASE}sources:\n  repos:\n    meta-agl:\n      commit: null\n`,
      'ci.yml': CI,
      'base.lock.yml': 'lockVersion: 1\nrepos:\n  meta-agl:\n    url: https://gerrit.automotivelinux.org/gerrit/AGL/meta-agl\n    branch: unagi\n    commit: "0123456789abcdef0123456789abcdef01234567"\n',
    });
    const r = await runCli(['plan', '--json', '-c', join(dir, 'base.yml'), '-c', join(dir, 'ci.yml')]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { repos: { name: string; commit: string }[] }).repos.find((x) => x.name === 'meta-agl')!.commit).toBe('0123456789abcdef0123456789abcdef01234567');
  });
});

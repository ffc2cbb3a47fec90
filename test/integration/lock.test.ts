import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeFakeSources, makeRepo, writeProjectFile } from '../helpers/git-repos.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/** Issue 11, point 4: lock files as kas users know them, with real git repositories. */
const rewrites = (flags: string[]) => flags.flatMap((f) => ['--rewrite', f]);

describe('vvehicle lock (kas-style lock files)', () => {
  it('writes <file>.lock.yml next to the project file, keeps pins until --update moves them, and --check says whether it fits', async () => {
    const fake = await makeFakeSources(tempDir());
    const project = tempDir();
    const written = writeProjectFile(project, fake, undefined, ['meta-agl', 'meta-clang']);
    const config = join(project, 'ci.yml');
    writeFileSync(config, readFileSync(written));
    const lockFile = join(project, 'ci.lock.yml');
    const [agl, clang] = [fake.repos['meta-agl']!, fake.repos['meta-clang']!];

    // before any lock: plan previews the branches, marked unpinned; check fails; nothing is written
    const preview = await runCli(['plan', '-c', config]);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/meta-agl +UNPINNED +main .*unpinned: follows the branch tip/);
    const json = JSON.parse((await runCli(['plan', '-c', config, '--json'])).stdout) as { repos: { name: string; commit: string | null; pinnedBy: string }[] };
    expect(json.repos.find((r) => r.name === 'meta-agl')).toMatchObject({ commit: null, pinnedBy: 'unpinned' });
    const before = listTree(project);
    const check = await runCli(['lock', '-c', config, '--check']);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('ci.lock.yml does not fit the configuration');
    expect(check.stderr).toContain('meta-agl: branch main is not pinned by the lock file');
    expect(listTree(project)).toEqual(before);

    const first = await runCli(['lock', '-c', config, ...rewrites(fake.rewriteFlags)]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(`meta-agl    main → ${agl.commits[0]}  (new)`);
    expect(existsSync(lockFile)).toBe(true);
    expect(existsSync(join(project, 'vvehicle.lock.yml'))).toBe(false);
    expect((await runCli(['lock', '-c', config, '--check'])).stdout).toContain('ci.lock.yml fits the configuration (2 pinned branches)');
    expect((await runCli(['plan', '-c', config])).stdout).toContain(`${agl.commits[0]!.slice(0, 12)}  main`);

    // upstream moves: a plain `lock` keeps the pins, `--update REPO` moves only that one
    const aglNext = await agl.commit({ 'meta-agl-core/x': '1\n' });
    const clangNext = await clang.commit({ 'x': '1\n' });
    const kept = await runCli(['lock', '-c', config, ...rewrites(fake.rewriteFlags)]);
    expect(kept.stdout).toContain(`meta-agl    main → ${agl.commits[0]}  (kept)`);
    const one = await runCli(['lock', '-c', config, '--update', 'meta-agl', ...rewrites(fake.rewriteFlags)]);
    expect(one.stderr).toBe('');
    expect(one.stdout).toContain(`meta-agl    main → ${aglNext}  (updated from ${agl.commits[0]!.slice(0, 12)})`);
    expect(one.stdout).toContain(`meta-clang  main → ${clang.commits[0]}  (kept)`);
    const all = await runCli(['lock', '-c', config, '--update', ...rewrites(fake.rewriteFlags)]);
    expect(all.stdout).toContain(`meta-clang  main → ${clangNext}  (updated from`);
    expect(all.stdout).toContain(`meta-agl    main → ${aglNext}  (unchanged)`);
  });

  it('refuses --update of unknown or config-pinned repositories, names without --update, and a stale lock in --check (exit 2, nothing written)', async () => {
    const fake = await makeFakeSources(tempDir());
    const project = tempDir();
    const config = writeProjectFile(project, fake, undefined, ['meta-agl']);
    await runCli(['lock', '-c', config, ...rewrites(fake.rewriteFlags)]);
    const lockFile = join(project, 'vvehicle.lock.yml');
    const lockText = readFileSync(lockFile, 'utf8');
    const cases: [string[], string][] = [
      [['--update', 'nope'], 'lock --update nope: no repository of that name'],
      [['--update', 'poky'], 'lock --update poky: it is pinned by a commit in the config'],
      [['poky'], 'lock poky: naming repositories needs --update'],
      [['--check', '--update'], '--check and --update exclude each other'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['lock', '-c', config, ...args, ...rewrites(fake.rewriteFlags)]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(readFileSync(lockFile, 'utf8')).toBe(lockText);
    }
    // the lock file pins a repository the config now pins itself: --check names it
    writeFileSync(lockFile, `${lockText}  poky:\n    url: https://git.yoctoproject.org/poky\n    branch: main\n    commit: "${'0'.repeat(40)}"\n`);
    const stale = await runCli(['lock', '-c', config, '--check']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('poky: in the lock file, but pinned by a commit in the config');
  });

  it('`commit: null` in a project file lifts the profile pin: the branch is followed and pinned by the lock file', async () => {
    const upstream = await makeRepo(tempDir(), 'meta-agl', { 'meta-agl-core/conf/layer.conf': '#\n', 'meta-agl-bsp/conf/layer.conf': '#\n' }, 'unagi');
    const project = tempDir();
    const config = join(project, 'vvehicle.yml');
    writeFileSync(config, 'extends: gateway-qemuarm64\nsources:\n  repos:\n    meta-agl:\n      commit: null\n');
    const preview = await runCli(['plan', '-c', config]);
    expect(preview.stderr).toBe('');
    expect(preview.stdout).toMatch(/meta-agl +UNPINNED +unagi/);
    const sources = await runCli(['sources', '-c', config, '-w', join(project, 'work')]);
    expect(sources.code).toBe(2);
    expect(sources.stderr).toContain('sources.repos.meta-agl.branch: branch "unagi" is not pinned');
    expect(existsSync(join(project, 'work'))).toBe(false);

    const lock = await runCli(['lock', '-c', config, '--rewrite', `https://gerrit.automotivelinux.org/gerrit/AGL/meta-agl=${upstream.url}`]);
    expect(lock.stderr).toBe('');
    expect(lock.stdout).toContain(`meta-agl  unagi → ${upstream.commits[0]}  (new)`);
    const plan = JSON.parse((await runCli(['plan', '-c', config, '--json'])).stdout) as { repos: { name: string; commit: string; pinnedBy: string }[] };
    expect(plan.repos.find((r) => r.name === 'meta-agl')).toMatchObject({ commit: upstream.commits[0], pinnedBy: 'lock' });
    expect(plan.repos.find((r) => r.name === 'poky')).toMatchObject({ commit: '1d54d1c4736a114e1cecbe85a0306e3814d5ce70', pinnedBy: 'config' });
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { PlannedGitRepo } from '../../src/plan/types.js';
import { syncRepo, type SyncOptions } from '../../src/sources/checkout.js';
import { referenceName } from '../../src/sources/reference.js';
import { git, headCommit } from '../../src/tools/git.js';
import { runCli } from '../helpers/cli.js';
import { makeFakeSources, makeRepo, writeProjectFile } from '../helpers/git-repos.js';
import { listTree, tempDir } from '../helpers/tmp.js';

const CANONICAL = 'https://git.example.invalid/poky';

function planned(commit: string, url = CANONICAL): PlannedGitRepo {
  return { kind: 'git', name: 'poky', url, branch: 'main', commit, path: 'sources/poky', layers: ['meta'], pinnedBy: 'config' };
}

function options(work: string, upstream: string, extra: Partial<SyncOptions> = {}): SyncOptions {
  return { workDir: work, rules: [{ from: CANONICAL, to: upstream }], force: false, git: {}, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => undefined, (error: unknown) => error);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

describe('pinned sources with real git', () => {
  it('checks out the pinned commit detached, verifies HEAD, and moves only when the pin moves', async () => {
    const root = tempDir();
    const upstream = await makeRepo(root, 'poky', { 'meta/conf/layer.conf': 'one\n' });
    const second = await upstream.commit({ 'meta/conf/layer.conf': 'two\n' });
    const first = upstream.commits[0]!;
    const work = tempDir();
    const dest = join(work, 'sources/poky');

    expect(await syncRepo(planned(first), options(work, upstream.url))).toMatchObject({ status: 'cloned', commit: first, fetchUrl: upstream.url });
    expect(await headCommit(dest)).toBe(first);
    expect((await git(['-C', dest, 'symbolic-ref', '-q', 'HEAD']).catch(() => 'detached'))).toBe('detached');
    expect(readFileSync(join(dest, 'meta/conf/layer.conf'), 'utf8')).toBe('one\n');

    expect((await syncRepo(planned(first), options(work, upstream.url))).status).toBe('unchanged');
    expect((await syncRepo(planned(second), options(work, upstream.url))).status).toBe('updated');
    expect(readFileSync(join(dest, 'meta/conf/layer.conf'), 'utf8')).toBe('two\n');
  });

  it('fetches through rewrite rules only: the canonical URL is never contacted', async () => {
    const root = tempDir();
    const upstream = await makeRepo(root, 'poky', { README: 'x\n' });
    const work = tempDir();
    const e = await rejection(syncRepo(planned(upstream.commits[0]!), { ...options(work, upstream.url), rules: [] }));
    expect(e.message).toMatch(/^poky: cannot fetch from https:\/\/git\.example\.invalid\/poky: /);
    expect(e.hint).toContain('--rewrite');
    expect(listTree(work)).toEqual(['sources/']);
  });

  it('fails loudly, naming repo and commit, when the mirror lacks the pinned commit, and leaves no half checkout', async () => {
    const root = tempDir();
    const upstream = await makeRepo(root, 'poky', { README: 'x\n' });
    const missing = 'deadbeef'.repeat(5);
    const work = tempDir();
    const e = await rejection(syncRepo(planned(missing), options(work, upstream.url)));
    expect(e.message).toBe(`poky: commit ${missing} is not in ${upstream.url} (rewritten from ${CANONICAL})`);
    expect(existsSync(join(work, 'sources/poky'))).toBe(false);
    expect(listTree(work)).toEqual(['sources/']);
  });

  it('refuses to move a checkout with local changes unless --force, which discards them', async () => {
    const root = tempDir();
    const upstream = await makeRepo(root, 'poky', { 'meta/a.bb': 'one\n' });
    const second = await upstream.commit({ 'meta/a.bb': 'two\n' });
    const work = tempDir();
    const dest = join(work, 'sources/poky');
    await syncRepo(planned(upstream.commits[0]!), options(work, upstream.url));
    writeFileSync(join(dest, 'meta/a.bb'), 'my fix\n');
    writeFileSync(join(dest, 'meta/new.bbappend'), 'mine\n');

    const e = await rejection(syncRepo(planned(second), options(work, upstream.url)));
    expect(e.message).toMatch(/^sources\/poky has local changes \(M meta\/a\.bb, \?\? meta\/new\.bbappend\); refusing to move it to [0-9a-f]{12}$/);
    expect(readFileSync(join(dest, 'meta/a.bb'), 'utf8')).toBe('my fix\n');
    // same pin, still modified: building from it would not be the pinned commit
    await rejection(syncRepo(planned(upstream.commits[0]!), options(work, upstream.url)));

    const forced = await syncRepo(planned(second), options(work, upstream.url, { force: true }));
    expect(forced.notes).toEqual(['discarded local changes in sources/poky (--force)']);
    expect(readFileSync(join(dest, 'meta/a.bb'), 'utf8')).toBe('two\n');
    expect(existsSync(join(dest, 'meta/new.bbappend'))).toBe(false);
  });

  it('uses a reference dir: creates a clone named after the URL, refreshes it, borrows its objects', async () => {
    const root = tempDir();
    const upstream = await makeRepo(root, 'poky', { README: 'one\n' });
    const refDir = tempDir();
    const work = tempDir();
    await syncRepo(planned(upstream.commits[0]!), options(work, upstream.url, { referenceDir: refDir }));
    const reference = join(refDir, referenceName(CANONICAL));
    expect(existsSync(join(reference, 'HEAD'))).toBe(true);
    expect(readFileSync(join(work, 'sources/poky/.git/objects/info/alternates'), 'utf8').trim()).toBe(join(reference, 'objects'));

    // upstream moves on: the next run refreshes the reference (a fetch), so the new pin is found there
    const next = await upstream.commit({ README: 'two\n' });
    const work2 = tempDir();
    expect((await syncRepo(planned(next), options(work2, upstream.url, { referenceDir: refDir }))).notes).toEqual([]);
    expect(await git(['-C', reference, 'cat-file', '-t', next])).toBe('commit');
  });

  it('never uses a reference silently stale: unreachable source → used only if it has the commit, with a note', async () => {
    const root = tempDir();
    const upstream = await makeRepo(root, 'poky', { README: 'one\n' });
    const refDir = tempDir();
    await syncRepo(planned(upstream.commits[0]!), options(tempDir(), upstream.url, { referenceDir: refDir }));
    const gone = `file://${join(root, 'nowhere.git')}`;

    const ok = await syncRepo(planned(upstream.commits[0]!), options(tempDir(), gone, { referenceDir: refDir }));
    expect(ok.notes).toHaveLength(1);
    expect(ok.notes[0]).toMatch(/could not be refreshed from file:\/\/.*nowhere\.git .*; it holds [0-9a-f]{12}, so it is used$/);

    const newer = await upstream.commit({ README: 'two\n' });
    const e = await rejection(syncRepo(planned(newer), options(tempDir(), gone, { referenceDir: refDir })));
    expect(e.message).toContain(`poky: reference clone ${join(refDir, referenceName(CANONICAL))} lacks commit ${newer} and cannot be refreshed from ${gone}`);
  });
});

describe('vvehicle sources and lock (CLI)', () => {
  it('checks out all five profile repositories through --rewrite flags', async () => {
    const root = tempDir();
    const fake = await makeFakeSources(root);
    const project = tempDir();
    const config = writeProjectFile(project, fake);
    const work = join(project, 'work');
    const r = await runCli(['sources', '-c', config, '-w', work, ...fake.rewriteFlags.flatMap((f) => ['--rewrite', f])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.includes(' cloned '))).toHaveLength(5);
    for (const [name, repo] of Object.entries(fake.repos)) expect(await headCommit(join(work, 'sources', name))).toBe(repo.commits[0]);
    const again = await runCli(['sources', '-c', config, '-w', work, ...fake.rewriteFlags.flatMap((f) => ['--rewrite', f])]);
    expect(again.stdout.split('\n').filter((l) => l.includes(' unchanged '))).toHaveLength(5);
  });

  it('lock resolves branch-only repos with ls-remote through the rewrites, then plan uses the lock', async () => {
    const root = tempDir();
    const fake = await makeFakeSources(root);
    const project = tempDir();
    // meta-agl pinned by branch only: the lock must supply the commit
    const config = writeProjectFile(project, fake, undefined, ['meta-agl']);
    const before = await runCli(['sources', '-c', config, '-w', join(project, 'work')]);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('branch "main" is not pinned');
    const lock = await runCli(['lock', '-c', config, ...fake.rewriteFlags.flatMap((f) => ['--rewrite', f])]);
    expect(lock.stderr).toBe('');
    expect(lock.stdout).toContain(`meta-agl  main → ${fake.repos['meta-agl']!.commits[0]}`);
    expect(readFileSync(join(project, 'vvehicle.lock.yml'), 'utf8')).toContain(`commit: ${fake.repos['meta-agl']!.commits[0]}`);
    const after = await runCli(['plan', '-c', config, '--json']);
    expect(after.code).toBe(0);
  });
});

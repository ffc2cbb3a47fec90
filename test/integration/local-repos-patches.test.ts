import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { packageRoot } from '../../src/package-paths.js';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/image/manifest-schema.js';
import { runCli } from '../helpers/cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { manifestValidator } from '../helpers/manifest-schema.js';
import { gitOut, makePatch, patchedProject as project } from '../helpers/patched-project.js';
import { listTree, tempDir } from '../helpers/tmp.js';
import { testEngine } from '../helpers/engines.js';
import { stubBuilderImage } from '../helpers/stub-builder.js';

/**
 * Issue 11, point 2: `path:` repositories (used in place) and `patches:` on checked-out repositories, with real
 * git: a patch made by `git format-patch` (applied with git am), a quilt directory of plain diffs (git apply),
 * and a patch that does not apply.
 */
const head = (dir: string) => gitOut(['-C', dir, 'rev-parse', 'HEAD']);

describe('path repositories and patches', () => {
  it('applies patches after checkout, once; reapplies a changed one; uses the path repository in place, untouched', { timeout: 120_000 }, async () => {
    const p = await project();
    const work = join(p.root, 'work');
    const sources = (...more: string[]) => runCli(['sources', '-c', p.config, '-w', work, ...p.rewrite, ...more]);
    const first = await sources();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/meta-inhouse\s+used in place: .*layers\/meta-inhouse \(git [0-9a-f]{12}\)/);
    expect(first.stdout).toMatch(/poky\s+[0-9a-f]{12}\s+cloned .*\(\+ 1 patch → [0-9a-f]{12}\)/);

    const poky = join(work, 'sources/poky');
    const pinned = p.fake.repos.poky!.commits.at(-1)!;
    expect(readFileSync(join(poky, 'meta/conf/layer.conf'), 'utf8')).toBe('# poky/meta patched by 0001\n');
    // git am kept the patch's author and message, on top of the pinned commit
    expect(gitOut(['-C', poky, 'log', '-1', '--format=%an|%s'])).toBe('Patch Author|change meta/conf/layer.conf');
    expect(gitOut(['-C', poky, 'rev-parse', 'HEAD^'])).toBe(pinned);
    const agl = join(work, 'sources/meta-agl');
    expect(readFileSync(join(agl, 'meta-agl-core/conf/layer.conf'), 'utf8')).toBe('# meta-agl-core patched by the series\n');
    expect(gitOut(['-C', agl, 'log', '-1', '--format=%s'])).toBe('20-series: meta-agl-core-conf-layer-conf.diff');
    expect(gitOut(['-C', agl, 'status', '--porcelain'])).toBe('');

    // a rerun with nothing changed applies nothing: same HEAD, no new reflog entry
    const patchedHead = head(poky);
    const reflog = gitOut(['-C', poky, 'reflog']).split('\n').length;
    const second = await sources();
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/poky\s+[0-9a-f]{12}\s+unchanged/);
    expect(second.stdout).toMatch(/meta-agl\s+[0-9a-f]{12}\s+unchanged/);
    expect(head(poky)).toBe(patchedHead);
    expect(gitOut(['-C', poky, 'reflog']).split('\n').length).toBe(reflog);

    // a changed patch is applied afresh on the pinned commit
    makePatch(p.fake, 'poky', 'meta/conf/layer.conf', '# poky/meta patched by 0001, second version\n', join(p.dir, 'patches/poky'));
    const third = await sources();
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/poky\s+[0-9a-f]{12}\s+patched/);
    expect(readFileSync(join(poky, 'meta/conf/layer.conf'), 'utf8')).toBe('# poky/meta patched by 0001, second version\n');
    expect(gitOut(['-C', poky, 'rev-parse', 'HEAD^'])).toBe(pinned);

    // --force discards changes in checkouts, never in a path repository
    writeFileSync(join(p.inhouse, 'notes.txt'), 'work in progress\n');
    writeFileSync(join(poky, 'stray.txt'), 'x\n');
    const forced = await sources('--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(join(poky, 'stray.txt'))).toBe(false);
    expect(readFileSync(join(poky, 'meta/conf/layer.conf'), 'utf8')).toBe('# poky/meta patched by 0001, second version\n');
    expect(readFileSync(join(p.inhouse, 'notes.txt'), 'utf8')).toBe('work in progress\n');
    expect(forced.stdout).toMatch(/meta-inhouse\s+used in place: .*\(git [0-9a-f]{12}, dirty\)/);

    // configure: the path repository's layer in BBLAYERS, in config order, at its own path
    const configured = await runCli(['configure', '-c', p.config, '-w', work]);
    expect(configured.code, configured.stderr).toBe(0);
    const bblayers = readFileSync(join(work, 'build/project/conf/bblayers.conf'), 'utf8');
    expect(bblayers).toContain(`${join(work, 'sources/meta-agl/meta-agl-bsp')} \\\n  ${p.inhouse} \\\n  ${join(work, 'layers/meta-vvehicle')}`);
  });

  it('the config digest covers the path repository and the patches; plan shows both; the manifest records them', { timeout: 120_000 }, async () => {
    const p = await project();
    const plan = async () => JSON.parse((await runCli(['plan', '--json', '-c', p.config])).stdout);
    const before = await plan();
    const inhouse = before.repos.find((r: { name: string }) => r.name === 'meta-inhouse');
    expect(inhouse).toMatchObject({ kind: 'local', path: p.inhouse, layers: ['.'], content: { kind: 'git', commit: head(p.inhouse), dirty: false } });
    const poky = before.repos.find((r: { name: string }) => r.name === 'poky');
    expect(poky.patches).toEqual([{ id: '10-layer-conf', declaredAt: expect.stringMatching(/vvehicle\.yml:\d+:\d+$/), entry: p.mail, series: false, files: [{ path: p.mail, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] }]);
    expect(before.bblayers.slice(-2)).toEqual([p.inhouse, 'layers/meta-vvehicle']);

    const text = (await runCli(['plan', '-c', p.config])).stdout;
    expect(text).toMatch(/meta-inhouse\s+local\s+\S+layers\/meta-inhouse\s+\(used in place: git work tree at [0-9a-f]{12}, clean; content sha256:/);
    expect(text).toMatch(/\+ patch 10-layer-conf: \S+\.patch\s+sha256:[0-9a-f]{12}\s+\(\S*vvehicle\.yml:\d+:\d+\)/);
    expect(text).toMatch(/\+ patch 20-series: \S+patches\/agl\/series \(1 patch\)/);
    expect(text).toContain('path: layers/meta-inhouse'); // the resolved configuration (kas dump's part)

    // an uncommitted edit in the path repository changes the digest; so does a changed patch
    writeFileSync(join(p.inhouse, 'conf/layer.conf'), 'BBFILE_COLLECTIONS += "inhouse2"\n');
    const edited = await plan();
    expect(edited.configDigest).not.toBe(before.configDigest);
    expect(edited.repos.find((r: { name: string }) => r.name === 'meta-inhouse').content.dirty).toBe(true);
    writeFileSync(p.mail, readFileSync(p.mail, 'utf8').replace('Subject:', 'Subject: [v2]'));
    expect((await plan()).configDigest).not.toBe(edited.configDigest);

    // the manifest: patches with their sha256 per source, the path repository in localSources
    const deploy = makeDeployDir(join(p.root, 'build'), {});
    const out = join(p.root, 'out');
    const work = join(p.root, 'work');
    expect((await runCli(['convert', '-c', p.config, '-w', work, '--deploy-dir', deploy.deployDir, '--out', out])).code).toBe(0);
    const written = await runCli(['manifest', '-c', p.config, '-w', work, '--from', out]);
    expect(written.code, written.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifestValidator()(m)).toEqual([]);
    expect(m.schemaVersion).toBe(3);
    expect(m.configDigest).toBe((await plan()).configDigest);
    expect(m.sources.find((s) => s.name === 'poky')!.patches).toEqual([{ id: '10-layer-conf', files: [{ name: p.mail.split('/').pop(), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] }]);
    expect(m.sources.find((s) => s.name === 'meta-agl')!.patches![0]!.files.map((f) => f.name)).toEqual(['meta-agl-core-conf-layer-conf.diff']);
    expect(m.sources.find((s) => s.name === 'meta-clang')!.patches).toBeUndefined();
    expect(m.localSources).toEqual([{ name: 'meta-inhouse', path: p.inhouse, kind: 'git', commit: head(p.inhouse), dirty: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });

  it('a plain directory is hashed by content', { timeout: 60_000 }, async () => {
    const p = await project();
    const plain = join(p.dir, 'plain-layer');
    mkdirSync(join(plain, 'conf'), { recursive: true });
    writeFileSync(join(plain, 'conf/layer.conf'), '# plain\n');
    const yml = readFileSync(p.config, 'utf8').replace('path: layers/meta-inhouse', 'path: plain-layer');
    writeFileSync(p.config, yml);
    const plan = async () => JSON.parse((await runCli(['plan', '--json', '-c', p.config])).stdout);
    const a = await plan();
    expect(a.repos.find((r: { name: string }) => r.name === 'meta-inhouse').content).toEqual({ kind: 'dir', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await plan()).configDigest).toBe(a.configDigest);
    writeFileSync(join(plain, 'conf/extra.conf'), '# new file\n');
    expect((await plan()).configDigest).not.toBe(a.configDigest);
  });

  it('a patch that does not apply: exit 2 at its file:line:col with git\'s line, the checkout left clean at the pinned commit', { timeout: 120_000 }, async () => {
    const p = await project();
    const work = join(p.root, 'work');
    // made against other content than the pinned commit has: its context does not match
    const broken = join(p.dir, 'patches/broken/0001-broken.patch');
    mkdirSync(join(p.dir, 'patches/broken'), { recursive: true });
    writeFileSync(broken, [
      'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
      'From: Someone <someone@example.invalid>',
      'Date: Mon, 30 Nov 2026 00:00:00 +0000',
      'Subject: [PATCH] change a line that is not there',
      '',
      '---',
      ' meta/conf/layer.conf | 2 +-',
      ' 1 file changed, 1 insertion(+), 1 deletion(-)',
      '',
      'diff --git a/meta/conf/layer.conf b/meta/conf/layer.conf',
      'index 1111111..2222222 100644',
      '--- a/meta/conf/layer.conf',
      '+++ b/meta/conf/layer.conf',
      '@@ -1 +1 @@',
      '-# a line this file never had',
      '+# replaced',
      '-- ',
      '2.39.5',
      '',
    ].join('\n'));
    const yml = readFileSync(p.config, 'utf8').replace(/( +)10-layer-conf:\n/, '$130-broken:\n$1  path: patches/broken/0001-broken.patch\n$110-layer-conf:\n');
    writeFileSync(p.config, yml);
    const line = yml.split('\n').findIndex((l) => l.includes('patches/broken/0001-broken.patch')) + 1;
    // as on a fresh CI machine: no git identity configured (git am --abort needs one unless we give it)
    const globalConfig = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = '/dev/null';
    const r = await runCli(['sources', '-c', p.config, '-w', work, ...p.rewrite]).finally(() => {
      if (globalConfig === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = globalConfig;
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`vvehicle\\.yml:${line}:\\d+: sources\\.repos\\.poky\\.patches\\.30-broken: \\S+0001-broken\\.patch does not apply to poky at [0-9a-f]{12}: error: patch failed: meta/conf/layer\\.conf:1`));
    const poky = join(work, 'sources/poky');
    expect(head(poky)).toBe(p.fake.repos.poky!.commits.at(-1));
    expect(gitOut(['-C', poky, 'status', '--porcelain'])).toBe('');
    expect(existsSync(join(poky, '.git/rebase-apply'))).toBe(false);
    // the pinned commit's own file (test/helpers/git-repos.ts), untouched by either patch
    expect(readFileSync(join(poky, 'meta/conf/layer.conf'), 'utf8')).toMatch(/^# poky\/meta placeholder\nBBFILE_COLLECTIONS/);

    // fixed (the broken one removed): the same checkout is patched on the next run
    writeFileSync(p.config, yml.replace(/ +30-broken:\n +path: patches\/broken\/0001-broken\.patch\n/, ''));
    const fixed = await runCli(['sources', '-c', p.config, '-w', work, ...p.rewrite]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(readFileSync(join(poky, 'meta/conf/layer.conf'), 'utf8')).toBe('# poky/meta patched by 0001\n');
  });

  it('refuses bad path repositories and patches with exit 2 at file:line:col, writing nothing', { timeout: 60_000 }, async () => {
    const p = await project();
    const work = join(p.root, 'work-bad');
    const base = readFileSync(p.config, 'utf8');
    const cases: [string, (yml: string) => string, RegExp][] = [
      ['path missing', (y) => y.replace('path: layers/meta-inhouse', 'path: layers/meta-nowhere'), /vvehicle\.yml:\d+:\d+: sources\.repos\.meta-inhouse\.path: directory \S+layers\/meta-nowhere does not exist/],
      ['path and url', (y) => y.replace('path: layers/meta-inhouse', 'path: layers/meta-inhouse\n      url: https://example.invalid/meta-inhouse.git'), /vvehicle\.yml:\d+:\d+: sources\.repos\.meta-inhouse\.path: a repository is either a git url \(checked out\) or a local path \(used in place\), not both/],
      ['patch missing', (y) => y.replace('path: patches/agl', 'path: patches/agl-gone'), /vvehicle\.yml:\d+:\d+: sources\.repos\.meta-agl\.patches\.20-series\.path: patch \S+patches\/agl-gone does not exist/],
      ['patch on a path repo', (y) => y.replace('path: layers/meta-inhouse', 'path: layers/meta-inhouse\n      patches: { x: { path: patches/agl } }'), /vvehicle\.yml:\d+:\d+: sources\.repos\.meta-inhouse\.patches: vvehicle never modifies a path repository/],
      ['series names a missing file', (y) => { writeFileSync(join(p.dir, 'patches/agl/series'), 'gone.diff\n'); return y; }, /vvehicle\.yml:\d+:\d+: sources\.repos\.meta-agl\.patches\.20-series\.path: \S+series line 1 names gone\.diff, which is not a file/],
      ['patch repo not a path repository', (y) => y.replace('path: patches/agl', 'path: patches/agl\n          repo: poky'), /vvehicle\.yml:\d+:\d+: sources\.repos\.meta-agl\.patches\.20-series\.repo: "poky" is checked out from git: a patch may only come from a path repository or from next to the project file/],
      ['not a layer', (y) => y.replace(/(meta-inhouse:\n\s+path: layers\/meta-inhouse\n\s+layers:\n\s+- )\./, '$1nope'), /vvehicle\.yml:\d+:\d+: sources\.repos\.meta-inhouse\.layers\.0: \S+meta-inhouse\/nope is not a layer/],
    ];
    const series = readFileSync(join(p.dir, 'patches/agl/series'), 'utf8');
    for (const [what, edit, message] of cases) {
      writeFileSync(p.config, edit(base));
      for (const command of [['sources', ...p.rewrite], ['plan'], ['export', 'kas', '-o', join(work, 'kas/k.yml')]]) {
        const r = await runCli([...command, '-c', p.config, '-w', work]);
        expect(r.code, `${what}: ${command[0]}`).toBe(2);
        expect(r.stderr, what).toMatch(message);
      }
      writeFileSync(join(p.dir, 'patches/agl/series'), series);
    }
    expect(existsSync(work)).toBe(false);

    // kas's patch `repo`: relative to a path repository
    mkdirSync(join(p.inhouse, 'patches'), { recursive: true });
    writeFileSync(join(p.inhouse, 'patches/agl.diff'), readFileSync(join(p.dir, 'patches/agl/meta-agl-core-conf-layer-conf.diff')));
    writeFileSync(p.config, base.replace('path: patches/agl', 'path: patches/agl.diff\n          repo: meta-inhouse'));
    const viaRepo = await runCli(['plan', '--json', '-c', p.config]);
    expect(viaRepo.code, viaRepo.stderr).toBe(0);
    expect(JSON.parse(viaRepo.stdout).repos.find((r: { name: string }) => r.name === 'meta-agl').patches[0].entry).toBe(join(p.inhouse, 'patches/agl.diff'));
    rmSync(join(p.inhouse, 'patches'), { recursive: true });
    expect(listTree(p.inhouse).filter((f) => !f.startsWith('.git/'))).toEqual(['conf/', 'conf/layer.conf']);
  });
});

describe('in the build container', () => {
  it('a path repository is mounted read-only at its own path; the checkouts carry their patches', { timeout: 300_000 }, async () => {
    const p = await project();
    if (!existsSync(join(packageRoot, 'dist/commands/shell.js'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: packageRoot, stdio: 'pipe' });
    const engine = await testEngine('podman');
    const image = await stubBuilderImage(engine);
    const poky = p.fake.repos.poky!;
    const before = poky.commits.at(-1)!;
    const pin = await poky.commit({ 'oe-init-build-env': 'BUILDDIR="$1"; export BUILDDIR; cd "$BUILDDIR"\n' });
    const yml = readFileSync(p.config, 'utf8').replace(before, pin).replace('  engine: auto\n', `  engine: podman\n  image: ${image}\n`).replace('  engineArgs: []\n', `  engineArgs: [${engine.globalArgs.join(', ')}]\n`);
    writeFileSync(p.config, yml);
    const work = join(p.root, 'work');
    const script = `cat ${p.inhouse}/conf/layer.conf ../../sources/poky/meta/conf/layer.conf; touch ${p.inhouse}/written 2>/dev/null && echo writable || echo read-only`;
    // a child process: the shell's output is the terminal's, not the CLI's
    const r = spawnSync('node', [join(packageRoot, 'dist/cli.js'), 'shell', '-c', p.config, '-w', work, ...p.rewrite, '--', 'sh', '-c', script], { encoding: 'utf8', input: '' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('BBFILE_COLLECTIONS += "inhouse"\n# poky/meta patched by 0001\nread-only\n');
    expect(existsSync(join(p.inhouse, 'written'))).toBe(false);
    const log = readFileSync(join(work, 'logs', readdirSync(join(work, 'logs')).find((f) => f.startsWith('bitbake-'))!), 'utf8');
    expect(log).toContain(` --volume ${p.inhouse}:${p.inhouse}:ro `);
  });
});

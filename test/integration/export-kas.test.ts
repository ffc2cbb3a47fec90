import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeFakeSources, PROFILE_REPOS, writeProjectFile } from '../helpers/git-repos.js';
import { tempDir } from '../helpers/tmp.js';
import { gitOut, patchedProject } from '../helpers/patched-project.js';

/**
 * Issue 11, point 10: `vvehicle export kas` read by real kas (Debian's kas 3.1, installed by
 * scripts/install-host-deps.sh) against local file:// repositories reached through KAS_PREMIRRORS.
 * kas 3.1 has no `dump` command (it came with a later kas); `kas checkout` parses the file, clones every
 * repository at its refspec and writes the build dir's conf, which is what is compared.
 */
function bblayers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const body = /BBLAYERS \?= "([^"]*)"/.exec(text)![1]!;
  return body.split(/\s+/).map((l) => l.replace(/\\$/, '')).filter((l) => l && l !== '\\');
}

/** "…/sources/poky/meta" (vvehicle) and "${TOPDIR}/../01-poky/meta" (kas) both become "poky/meta". */
function layerId(path: string): string {
  const m = /(?:sources\/|\.\.\/\d\d-)([^/]+)(\/.*)?$/.exec(path) ?? /\/(meta-vvehicle)$/.exec(path);
  return m ? `${m[1]}${m[2] ?? ''}` : path;
}

describe('vvehicle export kas', () => {
  it('kas 3.1 checks the export out; its bblayers.conf lists the layers of vvehicle configure, in the same order', { timeout: 300_000 }, async () => {
    const fake = await makeFakeSources(tempDir());
    // kas sources poky's oe-init-build-env to learn the build environment: the stand-in does what kas needs of it
    await fake.repos.poky!.commit({ 'oe-init-build-env': 'BUILDDIR="$1"; export BUILDDIR; mkdir -p "$BUILDDIR/conf"; cd "$BUILDDIR"\n' });
    const project = tempDir();
    const config = writeProjectFile(project, fake, (c) => {
      c.sources.rewrite = Object.entries(PROFILE_REPOS).map(([name, { url }]) => ({ from: url, to: fake.repos[name]!.url }));
      c.localConfHeader = { '50-extra': 'BB_GENERATE_MIRROR_TARBALLS = "1"\n' };
    });
    const kasDir = join(project, 'kas');
    const exported = await runCli(['export', 'kas', '-c', config, '-o', join(kasDir, 'vvehicle.kas.yml')]);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const text = readFileSync(join(kasDir, 'vvehicle.kas.yml'), 'utf8');
    expect(text).toContain('header:\n  version: 1\n');
    expect(existsSync(join(kasDir, '09-meta-vvehicle/conf/layer.conf'))).toBe(true);
    const premirrors = /KAS_PREMIRRORS='([^']*)'/.exec(exported.stdout)![1]!;

    const kas = spawnSync('kas', ['checkout', join(kasDir, 'vvehicle.kas.yml')], {
      encoding: 'utf8',
      env: { ...process.env, KAS_WORK_DIR: kasDir, KAS_PREMIRRORS: premirrors },
    });
    expect(kas.stderr).not.toMatch(/ERROR/);
    expect(kas.status).toBe(0);
    // every checkout at the pinned commit
    for (const [dir, name] of [['01-poky', 'poky'], ['02-meta-lts-mixins', 'meta-lts-mixins'], ['05-meta-openembedded', 'meta-openembedded'], ['08-meta-agl', 'meta-agl']] as const) {
      const repo = fake.repos[name]!;
      expect(spawnSync('git', ['-C', join(kasDir, dir), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim()).toBe(repo.commits[repo.commits.length - 1]);
    }

    const configured = await runCli(['configure', '-c', config, '-w', join(project, 'work')]);
    expect(configured.code).toBe(0);
    const ours = bblayers(join(project, 'work/build/project/conf/bblayers.conf')).map(layerId);
    const theirs = bblayers(join(kasDir, 'build/conf/bblayers.conf')).map(layerId);
    expect(ours).toEqual([
      'poky/meta', 'poky/meta-poky', 'meta-lts-mixins', 'meta-openembedded/meta-oe', 'meta-openembedded/meta-python',
      'meta-openembedded/meta-networking', 'meta-openembedded/meta-filesystems', 'meta-clang', 'meta-agl/meta-agl-core', 'meta-agl/meta-agl-bsp', 'meta-vvehicle',
    ]);
    expect(theirs).toEqual(ours);

    const localConf = readFileSync(join(kasDir, 'build/conf/local.conf'), 'utf8');
    for (const line of ['DISTRO = "agl"', 'require conf/include/base-agl.inc', 'require conf/include/agl_qemuarm64.inc', 'require conf/include/vvehicle.inc', 'BB_GENERATE_MIRROR_TARBALLS = "1"']) {
      expect(localConf).toContain(`${line}\n`);
    }
    expect(localConf).not.toMatch(/^DL_DIR/m);
    expect(localConf).toContain('MACHINE ??= "qemuarm64"');
  });

  it('carries path repositories (linked) and patches (copied, header version 8); kas 3.1 applies them and keeps BBLAYERS order', { timeout: 300_000 }, async () => {
    const p = await patchedProject();
    const poky = p.fake.repos.poky!;
    const before = poky.commits.at(-1)!;
    const pin = await poky.commit({ 'oe-init-build-env': 'BUILDDIR="$1"; export BUILDDIR; mkdir -p "$BUILDDIR/conf"; cd "$BUILDDIR"\n' });
    writeFileSync(p.config, readFileSync(p.config, 'utf8').replace(before, pin).replace(/  rewrite: \[\]\n/, `  rewrite:\n${Object.entries(PROFILE_REPOS).map(([name, { url }]) => `    - { from: "${url}", to: "${p.fake.repos[name]!.url}" }\n`).join('')}`));
    const kasDir = join(p.root, 'kas');
    const exported = await runCli(['export', 'kas', '-c', p.config, '-o', join(kasDir, 'vvehicle.kas.yml')]);
    expect(exported.code, exported.stderr).toBe(0);
    const text = readFileSync(join(kasDir, 'vvehicle.kas.yml'), 'utf8');
    expect(text).toContain('header:\n  version: 8\n');
    expect(text).toContain('  09-meta-inhouse:\n    path: 09-meta-inhouse\n');
    expect(text).toContain('    patches:\n      10-layer-conf:\n        repo: vvehicle-patches\n        path: poky/10-layer-conf/0001-change-meta-conf-layer.conf.patch\n');
    expect(lstatSync(join(kasDir, '09-meta-inhouse')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(kasDir, '09-meta-inhouse'))).toBe(p.inhouse);
    // kas takes a series line whole: the copy lists bare file names (the original had "-p1" after the name)
    expect(readFileSync(join(kasDir, 'vvehicle-patches/meta-agl/20-series/series'), 'utf8')).toBe('meta-agl-core-conf-layer-conf.diff\n');
    const premirrors = /KAS_PREMIRRORS='([^']*)'/.exec(exported.stdout)![1]!;

    const kas = spawnSync('kas', ['checkout', join(kasDir, 'vvehicle.kas.yml')], { encoding: 'utf8', env: { ...process.env, KAS_WORK_DIR: kasDir, KAS_PREMIRRORS: premirrors } });
    expect(kas.stderr).not.toMatch(/ERROR/);
    expect(kas.status).toBe(0);
    expect(kas.stderr).toContain('Patch applied. (patch path: ' + join(kasDir, 'vvehicle-patches/poky/10-layer-conf/0001-change-meta-conf-layer.conf.patch'));
    expect(readFileSync(join(kasDir, '01-poky/meta/conf/layer.conf'), 'utf8')).toBe('# poky/meta patched by 0001\n');
    expect(readFileSync(join(kasDir, '07-meta-agl/meta-agl-core/conf/layer.conf'), 'utf8')).toBe('# meta-agl-core patched by the series\n');
    expect(gitOut(['-C', join(kasDir, '01-poky'), 'rev-parse', 'HEAD^'])).toBe(pin);

    const configured = await runCli(['configure', '-c', p.config, '-w', join(p.root, 'work')]);
    expect(configured.code, configured.stderr).toBe(0);
    const ours = bblayers(join(p.root, 'work/build/project/conf/bblayers.conf')).map((l) => (l === p.inhouse ? 'meta-inhouse' : layerId(l)));
    const theirs = bblayers(join(kasDir, 'build/conf/bblayers.conf')).map((l) => l.replace(/^.*\/\d\d-meta-inhouse$/, 'meta-inhouse')).map(layerId);
    expect(ours.slice(-2)).toEqual(['meta-inhouse', 'meta-vvehicle']);
    expect(theirs).toEqual(ours);
  });

  it('prints to stdout without -o, and refuses a bad configuration with exit 2, writing nothing', async () => {
    const project = tempDir();
    const r = await runCli(['export', 'kas', '-c', join(project, 'nope.yml'), '-o', join(project, 'out/k.yml')]);
    expect(r.code).toBe(2);
    expect(existsSync(join(project, 'out'))).toBe(false);
    const plain = await runCli(['export', 'kas']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('target: vvehicle-image');
    expect(plain.stdout).toContain('refspec: 1d54d1c4736a114e1cecbe85a0306e3814d5ce70');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeFakeSources, writeProjectFile } from '../helpers/git-repos.js';
import { tempDir } from '../helpers/tmp.js';
import type { Config } from '../../src/config/schema.js';

/**
 * Issue 11, point 8: agl.release/agl.codename are checked against the pinned meta-agl, and agl.features
 * select its feature templates as aglsetup.sh does. meta-agl here is a local git repo laid out like AGL's
 * (meta-agl-core/conf/distro/agl.conf, templates/feature/<name>/50_*.inc), reached through --rewrite.
 */
async function project(edit: (c: Config) => void) {
  const fake = await makeFakeSources(tempDir());
  await fake.repos['meta-agl']!.commit({
    'meta-agl-core/conf/distro/agl.conf': 'DISTRO_CODENAME = "unagi"\nAGLVERSION = "21.0.2"\n',
    'templates/feature/agl-buildstats/50_local.conf.inc': 'INHERIT += "buildstats"\nINHERIT += "buildstats-summary"\n',
    'templates/feature/agl-pipewire/50_bblayers.conf.inc': 'AGL_META_MULTIMEDIA = "${METADIR}/external/meta-openembedded/meta-multimedia"\n\nBBLAYERS =+ " \\\n    ${METADIR}/meta-agl/meta-pipewire \\\n"\n',
    'templates/feature/agl-pipewire/50_local.conf.inc': 'require conf/include/agl-pipewire.inc\n',
    'meta-pipewire/conf/layer.conf': '#\n',
  });
  await fake.repos['meta-openembedded']!.commit({ 'meta-multimedia/conf/layer.conf': '#\n' });
  const dir = tempDir();
  const config = writeProjectFile(dir, fake, edit);
  const work = join(dir, 'work');
  const run = () => runCli(['build', '-c', config, '-w', work, '--until', 'configure', '--min-free-gib', '0', ...fake.rewriteFlags.flatMap((f) => ['--rewrite', f])]);
  return { work, run, conf: (name: string) => readFileSync(join(work, 'build/project/conf', name), 'utf8') };
}

describe('AGL keys against the pinned meta-agl', () => {
  it('features add their local.conf and bblayers fragments, ${METADIR} resolved to the checkouts; the release is checked', { timeout: 120_000 }, async () => {
    const p = await project((c) => (c.agl.features = ['agl-vvehicle', 'agl-buildstats', 'agl-pipewire']));
    const r = await p.run();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('note: agl 21.0.2 "unagi" matches meta-agl at');
    const managed = p.conf('vvehicle.conf');
    expect(managed).toMatch(/# agl feature agl-buildstats \(.*templates\/feature\/agl-buildstats\/50_local.conf.inc\)\nINHERIT \+= "buildstats"\nINHERIT \+= "buildstats-summary"\n/);
    expect(managed).toContain('require conf/include/agl-pipewire.inc\n');
    const bblayers = p.conf('bblayers.conf');
    expect(bblayers).toContain(`BBLAYERS =+ " \\\n    ${p.work}/sources/meta-agl/meta-pipewire \\\n"`);
    expect(bblayers).toContain(`AGL_META_MULTIMEDIA = "${p.work}/sources/meta-openembedded/meta-multimedia"`);
  });

  it('refuses a release or codename the pinned meta-agl is not, and a feature it does not have (exit 2)', { timeout: 120_000 }, async () => {
    const wrong = await project((c) => {
      c.agl.release = '22.0.0';
      c.agl.codename = 'vimba';
    });
    const r = await wrong.run();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agl.release is 22.0.0, but meta-agl at');
    expect(r.stderr).toContain('is AGLVERSION 21.0.2');
    expect(r.stderr).toContain('agl.codename is vimba, but meta-agl at');
    const unknown = await project((c) => (c.agl.features = ['agl-vvehicle', 'agl-nope']));
    const u = await unknown.run();
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('agl.features: "agl-nope" is not an AGL feature of the pinned checkouts');
    expect(u.stderr).toContain('available: agl-buildstats, agl-pipewire');
  });
});

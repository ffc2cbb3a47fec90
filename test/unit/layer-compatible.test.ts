import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderLayer, type RenderedFile } from '../../src/layer/render.js';
import { goldenDir, loadForLayer } from '../helpers/layer.js';

/**
 * What poky's yocto-check-layer demands of meta-vvehicle, checked on the rendered text so a regression
 * shows in seconds (the real run, `scripts/real-bitbake-check.sh --yocto-check-layer`, takes most of an
 * hour): adding the layer to BBLAYERS changes no other recipe (test_signatures), and a distro without
 * systemd skips the packagegroup and the image instead of failing world (test_world).
 */
const configs = { default: undefined, 'variant-no-ebpf': join(goldenDir, 'variant-no-ebpf.yml') };

const text = (f: RenderedFile) => Buffer.from(f.content).toString('utf8');
/** Logical lines: backslash continuations joined, comments dropped. */
const lines = (f: RenderedFile) =>
  text(f)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'));
const recipes = (files: RenderedFile[]) => files.filter((f) => /\.bb(append)?$/.test(f.path));
const requiresSystemd = (f: RenderedFile) => lines(f).some((l) => /^REQUIRED_DISTRO_FEATURES\s*[+:.?]*=\s*"[^"]*\bsystemd\b/.test(l));
const inherits = (f: RenderedFile, cls: string) => lines(f).some((l) => new RegExp(`^inherit\\b.*\\s${cls}(\\s|$)`).test(l));

/** Variables a layer.conf may set without touching other layers' recipes: only its own registration. */
const LAYER_REGISTRATION = /^(BBPATH|BBFILES|BBFILES_DYNAMIC|BBFILE_COLLECTIONS|BBFILE_PATTERN_vvehicle|BBFILE_PRIORITY_vvehicle|LAYERVERSION_vvehicle|LAYERDEPENDS_vvehicle|LAYERRECOMMENDS_vvehicle|LAYERSERIES_COMPAT_vvehicle)$/;

describe.each(Object.entries(configs))('meta-vvehicle as a Yocto Project Compatible layer (%s)', (_name, projectFile) => {
  const { config, plan } = loadForLayer(projectFile);
  const files = renderLayer(config, plan);
  const file = (path: string) => {
    const found = files.find((f) => f.path === path);
    if (!found) throw new Error(`${path} not rendered`);
    return found;
  };

  it('conf/layer.conf only registers the layer (no USERADD_*_TABLES or other global setting)', () => {
    const assigned = lines(file('conf/layer.conf')).map((l) => l.match(/^([A-Za-z0-9_${}-]+)(:[a-z]+)?\s*(\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)/)?.[1] ?? `unparsed: ${l}`);
    expect(assigned.length).toBeGreaterThan(5);
    expect(assigned.filter((v) => !LAYER_REGISTRATION.test(v))).toEqual([]);
  });

  it('every recipe that adds users gets the static ids through vvehicle-useradd, scoped to itself', () => {
    const adding = recipes(files).filter((f) => lines(f).some((l) => /^USERADD_PACKAGES\b/.test(l)));
    expect(adding.map((f) => f.path)).toEqual(expect.arrayContaining([expect.stringMatching(/node-exporter/), expect.stringMatching(/otelcol-contrib/)]));
    for (const f of adding) {
      expect(inherits(f, 'vvehicle-useradd'), `${f.path} must inherit vvehicle-useradd`).toBe(true);
      expect(inherits(f, 'useradd'), `${f.path} must not inherit plain useradd (the tables would not reach it)`).toBe(false);
    }
    const cls = lines(file('classes-recipe/vvehicle-useradd.bbclass'));
    expect(cls).toContain('USERADD_UID_TABLES:prepend = "files/vvehicle-passwd "');
    expect(cls).toContain('USERADD_GID_TABLES:prepend = "files/vvehicle-group "');
    expect(cls).toContain('inherit useradd');
  });

  it('every user and group our recipes add has a static id in the tables', () => {
    const names = (table: string) => new Set(text(file(`files/${table}`)).split('\n').filter((l) => /^[a-z]/.test(l)).map((l) => l.split(':')[0]));
    const users = names('vvehicle-passwd');
    const groups = names('vvehicle-group');
    for (const f of recipes(files)) {
      for (const l of lines(f)) {
        const param = l.match(/^(USERADD|GROUPADD)_PARAM:\$\{PN\}\s*=\s*"(.*)"$/);
        if (!param) continue;
        const [, kind, args = ''] = param;
        const name = args.trim().split(/\s+/).pop() ?? '';
        expect(kind === 'USERADD' ? users.has(name) : groups.has(name), `${f.path}: ${name} has no static id`).toBe(true);
      }
    }
  });

  it("a bbappend of another layer's recipe assigns nothing unless an opt-in require brings it in", () => {
    // The kernel's bbappend once appended `${@... VVEHICLE_KERNEL_FW_CFG ...}` to SRC_URI: inline Python adds the
    // variable to linux-yocto's signatures even when it expands to nothing, and the real test_signatures
    // failed with 247 changed signatures. The condition belongs on the require (as in meta-virtualization).
    const ours = new Set(recipes(files).filter((f) => f.path.endsWith('.bb')).map((f) => f.path.split('/').pop()!.replace(/(_[^_]*)?\.bb$/, '')));
    const foreign = recipes(files).filter((f) => f.path.endsWith('.bbappend') && !ours.has(f.path.split('/').pop()!.replace(/(_[^_]*)?\.bbappend$/, '')));
    expect(foreign.map((f) => f.path)).toContain('recipes-kernel/linux/linux-yocto_%.bbappend');
    for (const f of foreign) {
      expect(lines(f), `${f.path}: only a conditional require`).toEqual([expect.stringMatching(/^require \$\{@.* else ''\}$/)]);
    }
  });

  it('without the systemd distro feature the packagegroup and the image skip like the recipes they pull in', () => {
    const needing = recipes(files).filter((f) => !/packagegroup-vvehicle|images\//.test(f.path) && requiresSystemd(f));
    expect(needing.length).toBeGreaterThan(0);
    for (const path of ['recipes-core/packagegroups/packagegroup-vvehicle.bb', 'recipes-core/images/vvehicle-image.bb']) {
      expect(requiresSystemd(file(path)), `${path}: REQUIRED_DISTRO_FEATURES systemd`).toBe(true);
      expect(inherits(file(path), 'features_check'), `${path}: inherit features_check`).toBe(true);
    }
  });
});

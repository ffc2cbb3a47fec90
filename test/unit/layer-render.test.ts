import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { renderLayer, writeLayer, type RenderedFile } from '../../src/layer/render.js';
import { TEMPLATED_FILES } from '../../src/layer/files.js';
import { bitbakeGitUri } from '../../src/layer/view.js';
import { templatesDir } from '../../src/package-paths.js';
import { runCli } from '../helpers/cli.js';
import { loadForLayer } from '../helpers/layer.js';
import { listTree, tempDir } from '../helpers/tmp.js';

const byteList = (files: RenderedFile[]) => files.map((f) => [f.path, f.mode, Buffer.from(f.content).toString('base64')]);

function hbsUnder(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) => {
    const rel = base ? `${base}/${e.name}` : e.name;
    return e.isDirectory() ? hbsUnder(dir, rel) : rel.endsWith('.hbs') ? [rel] : [];
  });
}

describe('renderLayer', () => {
  it('is deterministic: two renders are byte-identical and sorted by path', () => {
    const { config, plan } = loadForLayer();
    const a = renderLayer(config, plan);
    const b = renderLayer(structuredClone(config), structuredClone(plan));
    expect(byteList(a)).toEqual(byteList(b));
    const paths = a.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
  });

  it('uses every layer template it ships (no dead template files)', () => {
    const used = new Set(TEMPLATED_FILES.map((t) => t.template));
    const shipped = [...hbsUnder(join(templatesDir, 'layer')).map((p) => `layer/${p}`), ...hbsUnder(join(templatesDir, 'feature')).map((p) => `feature/${p}`)];
    expect(shipped.sort()).toEqual([...used].sort());
  });

  it('puts the runtime files where the smoke fixture copies them from', () => {
    const { config, plan } = loadForLayer();
    const files = new Map(renderLayer(config, plan).map((f) => [f.path, f]));
    for (const path of [
      'recipes-connectivity/vvehicle-network/files/10-vvehicle-wired.network',
      'recipes-core/vvehicle-health/files/vvehicle-health.service',
      'recipes-core/vvehicle-health/files/vvehicle-health',
      'recipes-core/vvehicle-health/files/vvehicle-release',
      'recipes-monitoring/node-exporter/files/node_exporter.socket',
      'recipes-monitoring/node-exporter/files/node_exporter.service',
      'recipes-monitoring/otelcol-contrib/files/otelcol-contrib.service',
      'recipes-monitoring/otelcol-contrib/files/config.yaml',
      'recipes-connectivity/ueransim/files/nr-ue.service',
      'recipes-connectivity/ueransim/files/ue.yaml.in',
      'recipes-core/vvehicle-identity/files/vvehicle-identity',
      'recipes-core/vvehicle-identity/files/vvehicle-identity.service',
    ]) {
      expect(files.has(path), path).toBe(true);
    }
    expect(files.get('recipes-core/vvehicle-health/files/vvehicle-health')!.mode).toBe(0o755);
    expect(files.get('recipes-core/vvehicle-identity/files/vvehicle-identity')!.mode).toBe(0o755);
    // a template without subscriber: nothing secret in the layer
    expect(files.get('recipes-connectivity/ueransim/files/ue.yaml.in')!.mode).toBe(0o644);
    const release = String(files.get('recipes-core/vvehicle-health/files/vvehicle-release')!.content);
    expect(release).toBe(`NAME=vvehicle-gateway\nVERSION=0.1.0\nBUILD_ID=${plan.configDigest.slice('sha256:'.length, 'sha256:'.length + 12)}\n`);
  });

  it('drops disabled components from the packagegroup, the health report and the layer', () => {
    const { config, plan } = loadForLayer();
    config.components.ueransim.enabled = false;
    config.components.ebpf.enabled = false;
    const files = renderLayer(config, plan);
    const paths = files.map((f) => f.path);
    expect(paths.some((p) => p.includes('ueransim'))).toBe(false);
    expect(paths.some((p) => p.startsWith('dynamic-layers/'))).toBe(false);
    const group = String(files.find((f) => f.path.endsWith('packagegroup-vvehicle.bb'))!.content);
    expect(group).not.toMatch(/ueransim|bpftool/);
    expect(group).toMatch(/node-exporter/);
    const script = String(files.find((f) => f.path.endsWith('files/vvehicle-health'))!.content);
    expect(script).toContain("UNITS='node_exporter.socket otelcol-contrib.service'");
  });

  it('chooses the UERANSIM licence by version: GPL-3.0-only up to 3.2.7, AGPL-3.0-only from 3.2.8', () => {
    const { config, plan } = loadForLayer();
    const recipe = () => String(renderLayer(config, plan).find((f) => f.path.includes('ueransim_'))!.content);
    expect(recipe()).toContain('LICENSE = "AGPL-3.0-only"');
    expect(recipe()).toContain('md5=4ae09d45eac4aa08d013b5f2e01c67f6');
    config.components.ueransim.version = '3.2.7';
    config.components.ueransim.srcrev = '1d1e154f869260b5e98f6905827b1bd9b8663afc';
    expect(recipe()).toContain('LICENSE = "GPL-3.0-only"');
    expect(recipe()).toContain('md5=1ebbd3e34237af26da5dc08a4e440464');
  });

  it('turns git URLs into BitBake git fetcher URIs', () => {
    expect(bitbakeGitUri('https://github.com/aligungr/UERANSIM.git', 'master')).toBe('git://github.com/aligungr/UERANSIM.git;protocol=https;branch=master');
    expect(bitbakeGitUri('git@gitlab.lab:mirrors/UERANSIM.git', 'master')).toBe('git://git@gitlab.lab/mirrors/UERANSIM.git;protocol=ssh;branch=master');
    expect(bitbakeGitUri('file:///srv/git/UERANSIM.git', 'master')).toBe('git:///srv/git/UERANSIM.git;protocol=file;branch=master');
  });
});

describe('bad values are refused before rendering', () => {
  // the schema refuses these at load time; the renderer refuses them again should a caller bypass it
  const cases: [string, (c: ReturnType<typeof loadForLayer>['config']) => void][] = [
    ['a quote in the exporter endpoint', (c) => (c.components.otelcolContrib.exporterEndpoint = 'gw:4317" ; evil="')],
    ['a newline in a gNB address', (c) => (c.components.ueransim.ue.gnbSearchList = ['10.0.0.1\nKEY = "x"'])],
    ['"${" in an extra package', (c) => (c.image.extraPackages = ['${@os.system(1)}'])],
    ['a backslash in the image name', (c) => (c.name = 'a\\b')],
  ];
  for (const [what, spoil] of cases) {
    it(`${what}: UserError, nothing written`, async () => {
      const { config, plan } = loadForLayer();
      spoil(config);
      expect(() => renderLayer(config, plan)).toThrow(UserError);
      expect(() => renderLayer(config, plan)).toThrow(/must not contain quotes/);
    });
  }

  it('an unknown base image is a user error', () => {
    const { config, plan } = loadForLayer();
    config.image.base = 'agl-image-nonexistent';
    expect(() => renderLayer(config, plan)).toThrow(/does not know how to extend/);
  });

  it('`vvehicle layer` with a bad config exits 2 and writes nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), 'extends: gateway-qemuarm64\ncomponents:\n  otelcolContrib:\n    exporterEndpoint: \'gw:4317"\'\n');
    const out = join(dir, 'out', 'meta-vvehicle');
    const { code, stderr } = await runCli(['layer', '-c', join(dir, 'vvehicle.yml'), '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/exporterEndpoint/);
    expect(listTree(dir)).toEqual(['vvehicle.yml']);
  });
});

describe('writeLayer', () => {
  it('writes the files with their modes, and a rerun leaves identical bytes', async () => {
    const { config, plan } = loadForLayer();
    const files = renderLayer(config, plan);
    const out = join(tempDir(), 'layers', 'meta-vvehicle');
    await writeLayer(out, files);
    const first = listTree(out).map((p) => [p, p.endsWith('/') ? '' : readFileSync(join(out, p)).toString('base64')]);
    for (const f of files) {
      expect(readFileSync(join(out, f.path)).equals(Buffer.from(f.content)), f.path).toBe(true);
      expect(statSync(join(out, f.path)).mode & 0o777, f.path).toBe(f.mode);
    }
    await writeLayer(out, renderLayer(config, plan));
    expect(listTree(out).map((p) => [p, p.endsWith('/') ? '' : readFileSync(join(out, p)).toString('base64')])).toEqual(first);
  });

  it('replaces a previous layer completely (stale files go) and leaves no temporary directory', async () => {
    const { config, plan } = loadForLayer();
    const parent = tempDir();
    const out = join(parent, 'meta-vvehicle');
    await writeLayer(out, renderLayer(config, plan));
    writeFileSync(join(out, 'recipes-core', 'stale.bb'), 'stale');
    config.components.ueransim.enabled = false;
    await writeLayer(out, renderLayer(config, plan));
    expect(existsSync(join(out, 'recipes-core', 'stale.bb'))).toBe(false);
    expect(existsSync(join(out, 'recipes-connectivity', 'ueransim'))).toBe(false);
    expect(readdirSync(parent)).toEqual(['meta-vvehicle']);
  });

  it('a failed write keeps the previous layer intact and cleans up', async () => {
    const { config, plan } = loadForLayer();
    const parent = tempDir();
    const out = join(parent, 'meta-vvehicle');
    await writeLayer(out, renderLayer(config, plan));
    const before = listTree(out);
    // a file whose parent path is taken by a file: the write fails half-way
    const broken: RenderedFile[] = [{ path: 'a', content: 'x', mode: 0o644 }, { path: 'a/b', content: 'y', mode: 0o644 }];
    await expect(writeLayer(out, broken)).rejects.toThrow();
    expect(listTree(out)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['meta-vvehicle']);
  });

  it('refuses to replace a directory that is not a meta-vvehicle layer', async () => {
    const out = tempDir();
    mkdirSync(join(out, 'precious'));
    writeFileSync(join(out, 'precious', 'thesis.tex'), 'years of work');
    await expect(writeLayer(out, [{ path: 'conf/layer.conf', content: '', mode: 0o644 }])).rejects.toThrow(UserError);
    expect(readFileSync(join(out, 'precious', 'thesis.tex'), 'utf8')).toBe('years of work');
  });

  it('refuses paths that leave the layer', async () => {
    const out = join(tempDir(), 'meta-vvehicle');
    await expect(writeLayer(out, [{ path: '../escape', content: 'x', mode: 0o644 }])).rejects.toThrow(/outside the layer/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('vvehicle layer', () => {
  it('writes <work-dir>/layers/meta-vvehicle, whose UE config is a template without subscriber', async () => {
    const dir = tempDir();
    const { code, stdout, stderr } = await runCli(['layer', '-w', join(dir, 'work')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = join(dir, 'work', 'layers', 'meta-vvehicle');
    expect(stdout).toContain(out);
    expect(stdout).toMatch(/\d+ files/);
    const template = readFileSync(join(out, 'recipes-connectivity', 'ueransim', 'files', 'ue.yaml.in'), 'utf8');
    expect(template).toMatch(/^supi: '@SUPI@'$/m);
    expect(template).toMatch(/^key: '@KEY@'$/m);
    expect(template).toMatch(/^op: '@OPC@'$/m);
    expect(existsSync(join(out, 'recipes-connectivity', 'ueransim', 'files', 'ue.yaml'))).toBe(false);
  });
});

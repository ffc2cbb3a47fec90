import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUILDER_BASE } from '../../src/container/builder-image.js';
import { formatCheckReport, judge } from '../../src/bitbake/check.js';
import { bblayersOf, collectionsOf, configuredLayerNames } from '../../src/bitbake/configured-layers.js';
import { openContext } from '../../src/context.js';
import { runSignal } from '../../src/signals.js';
import type { PipelineState } from '../../src/pipeline/stages/types.js';
import { recipesInTaskGraph } from '../../src/tools/bitbake.js';
import { tempDir } from '../helpers/tmp.js';

const fixtures = join(import.meta.dirname, '../fixtures/bitbake');

function state(): PipelineState {
  return { context: openContext({ workDir: tempDir() }, tempDir()), rules: [], force: false, builderBase: DEFAULT_BUILDER_BASE, signal: runSignal, notes: [] };
}

describe('check: judging the task graph', () => {
  it('on AGL\'s own agl-image-minimal graph: connman and connman-conf present, our recipes missing', () => {
    const recipes = recipesInTaskGraph(readFileSync(join(fixtures, 'agl-image-minimal.task-depends.dot'), 'utf8'));
    const report = judge(state(), recipes, [], [], '/log');
    expect(report.forbiddenPresent).toEqual(['connman', 'connman-conf']);
    expect(report.missing.map((m) => m.recipe)).toEqual([
      'ueransim', 'otelcol-contrib', 'node-exporter', 'bpftool', 'bcc', 'bpftrace', 'vvehicle-network', 'packagegroup-vvehicle', 'vvehicle-image',
    ]);
    expect(report.present).toEqual([{ component: 'systemd-networkd', recipe: 'systemd' }]);
  });

  it('prints the layers it is given and the components found', () => {
    const report = judge(state(), new Set(['ueransim', 'systemd']), [], ['core', 'aglcore'], '/log');
    const text = formatCheckReport(report);
    expect(text).toContain('layers (2): core aglcore\n');
    expect(text).toContain('  ok  ueransim          ueransim\n');
    expect(text).toContain('  ok  connman is not in the task graph (no recipe matches /^connman(-|$)/)');
  });
});

describe('check: the configured layers, read from conf/bblayers.conf and each conf/layer.conf', () => {
  it('applies BBLAYERS assignments in order: ?= only when unset, =+ prepends, += appends, continued lines', () => {
    const text = [
      'LCONF_VERSION = "7"',
      'BBLAYERS ?= " \\',
      '  /s/poky/meta \\',
      '  /s/poky/meta-poky \\',
      '  "',
      'BBLAYERS ?= "/ignored"',
      'BBLAYERS =+ " \\',
      '   /w/layers/meta-vvehicle \\',
      '"',
      'BBLAYERS += "/s/meta-agl/meta-agl-core"',
      'BBLAYERS_NON_REMOVABLE ?= "/not/a/layer"',
    ].join('\n');
    expect(bblayersOf(text)).toEqual(['/w/layers/meta-vvehicle', '/s/poky/meta', '/s/poky/meta-poky', '/s/meta-agl/meta-agl-core']);
    expect(bblayersOf('BBLAYERS ?= "/a"\nBBLAYERS = "/b /c"\n')).toEqual(['/b', '/c']);
  });

  it('names each layer by its BBFILE_COLLECTIONS, as show-layers does (poky meta-poky\'s layer.conf lines)', () => {
    expect(collectionsOf('# We have a conf and classes directory, add to BBPATH\nBBPATH =. "${LAYERDIR}:"\nBBFILE_COLLECTIONS += "yocto"\nBBFILE_PATTERN_yocto = "^${LAYERDIR}/"\n')).toEqual(['yocto']);
    expect(collectionsOf('# no collection\n')).toEqual([]);
  });

  it('lists the collection names of a build dir in BBLAYERS order', () => {
    const root = tempDir();
    for (const [dir, name] of [['meta', 'core'], ['meta-agl-core', 'aglcore']] as const) {
      mkdirSync(join(root, dir, 'conf'), { recursive: true });
      writeFileSync(join(root, dir, 'conf/layer.conf'), `BBFILE_COLLECTIONS += "${name}"\n`);
    }
    mkdirSync(join(root, 'build/conf'), { recursive: true });
    writeFileSync(join(root, 'build/conf/bblayers.conf'), `BBLAYERS ?= " \\\n  ${root}/meta \\\n  ${root}/meta-agl-core \\\n  "\n`);
    expect(configuredLayerNames(join(root, 'build/conf'))).toEqual(['core', 'aglcore']);
    expect(configuredLayerNames(join(root, 'missing/conf'))).toEqual([]);
  });
});

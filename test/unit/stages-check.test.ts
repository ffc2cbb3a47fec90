import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCheckReport, judge } from '../../src/build/check.js';
import { openContext } from '../../src/context.js';
import { runSignal } from '../../src/signals.js';
import type { PipelineState } from '../../src/stages/types.js';
import { recipesInTaskGraph } from '../../src/tools/bitbake.js';
import { tempDir } from '../helpers/tmp.js';

const fixtures = join(import.meta.dirname, '../fixtures/bitbake');

function state(): PipelineState {
  return { context: openContext({ workDir: tempDir() }, tempDir()), rules: [], force: false, signal: runSignal, notes: [] };
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

  it('reads layer names from show-layers output and prints the components found', () => {
    const layers = readFileSync(join(fixtures, 'show-layers.log'), 'utf8').split('\n');
    const report = judge(state(), new Set(['ueransim', 'systemd']), [], layers, '/log');
    expect(report.layers).toEqual(['core', 'yocto', 'scarthgap-rust-mixin', 'openembedded-layer', 'meta-python', 'networking-layer', 'filesystems-layer', 'clang-layer', 'aglcore', 'aglbsp']);
    const text = formatCheckReport(report);
    expect(text).toContain('  ok  ueransim          ueransim\n');
    expect(text).toContain('  ok  connman is not in the task graph (no recipe matches /^connman(-|$)/)');
  });
});

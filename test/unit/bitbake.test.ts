import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BitbakeOutput, bitbakeArgv, parseTaskId, recipeFromPf, recipesInTaskGraph, unexpectedWarnings } from '../../src/tools/bitbake.js';

const fixtures = join(import.meta.dirname, '../fixtures/bitbake');

/** The recorded output without the recorder's `$ command` and `[exit N]` lines. */
function recorded(name: string): { lines: string[]; exit: number } {
  const all = readFileSync(join(fixtures, name), 'utf8').trimEnd().split('\n');
  const exit = Number(/^\[exit (\d+)\]$/.exec(all[all.length - 1]!)![1]);
  return { lines: all.slice(1, -1), exit };
}

function replay(name: string): { parser: BitbakeOutput; progress: string[] } {
  const parser = new BitbakeOutput();
  const progress: string[] = [];
  for (const line of recorded(name).lines) if (parser.feed(line)) progress.push(parser.progressText()!);
  return { parser, progress };
}

describe('bitbake progress parser on recorded real output', () => {
  it('follows "Running task N of M" and the recipe/task that started', () => {
    const { parser, progress } = replay('bitbake-success.log');
    expect(progress[0]).toBe('bitbake  1/5 tasks · base-files do_recipe_qa');
    expect(progress).toContain('bitbake  3/5 tasks · base-files do_unpack');
    expect(progress[progress.length - 1]).toBe('bitbake  5/5 tasks · base-files do_populate_lic');
    const s = parser.summary();
    expect(s).toMatchObject({ current: 5, total: 5, failed: [], errors: [] });
    expect(s.warnings).toEqual(['WARNING: Buildfile specified, dependencies will not be handled. If this is not what you want, do not use -b / --buildfile.']);
  });

  it('names the failed task, its exit code and the logfile bitbake gives', () => {
    const s = replay('bitbake-failure.log').parser.summary();
    expect(s.failed).toEqual([
      {
        task: '/work/lab/throwaway-layer/recipes-lab/lab-broken/lab-broken_1.0.bb:do_compile',
        recipe: 'lab-broken',
        taskName: 'do_compile',
        exitCode: 1,
        logfile: '/work/lab/build-throwaway/tmp/work/aarch64-agl-linux/lab-broken/1.0/temp/log.do_compile.11958',
      },
    ]);
    expect(s.current).toBe(8);
    expect(s.logfiles).toHaveLength(1);
  });

  it('keeps the QA failure of a wrong LIC_FILES_CHKSUM as an error line', () => {
    const s = replay('bitbake-failure-licchksum.log').parser.summary();
    expect(s.failed.map((f) => `${f.recipe} ${f.taskName}`)).toEqual(['lab-badlic do_populate_lic']);
    expect(s.failed[0]!.logfile).toMatch(/log\.do_populate_lic\.12724$/);
    expect(s.errors.some((e) => e.includes('LIC_FILES_CHKSUM does not match'))).toBe(true);
  });

  it('reports a failure without a failed task through its ERROR line', () => {
    const s = replay('bitbake-failure-no-pseudo.log').parser.summary();
    expect(s.failed).toEqual([]);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatch(/^ERROR: Failed to spawn fakeroot worker/);
  });

  it('parses nothing as progress from show-layers, -p and -g output', () => {
    for (const name of ['show-layers.log', 'parse.log', 'graph.log']) {
      const parser = new BitbakeOutput();
      const text = readFileSync(join(fixtures, name), 'utf8').trimEnd().split('\n');
      expect(text.map((l) => parser.feed(l)).some(Boolean)).toBe(false);
      expect(parser.summary()).toMatchObject({ failed: [], errors: [], warnings: [] });
    }
  });

  it('formats big counts with thousands separators and shows setscene tasks apart', () => {
    const parser = new BitbakeOutput();
    parser.feed('NOTE: Running setscene task 12 of 3120 (virtual:native:/p/meta/recipes-support/attr/acl_2.3.2.bb:do_populate_sysroot_setscene)');
    expect(parser.progressText()).toBe('bitbake  12/3,120 setscene tasks · acl-native do_populate_sysroot_setscene');
    parser.feed('NOTE: Running task 2314 of 4060 (/p/meta-vvehicle/recipes-connectivity/ueransim/ueransim_3.3.0.bb:do_compile)');
    parser.feed('NOTE: recipe ueransim-3.3.0-r0: task do_compile: Started');
    expect(parser.progressText()).toBe('bitbake  2,314/4,060 tasks · ueransim do_compile');
  });
});

describe('bitbake names', () => {
  it('derives PN from PF and from task ids', () => {
    expect(recipeFromPf('base-files-3.0.14-r0')).toBe('base-files');
    expect(recipeFromPf('otelcol-contrib-0.161.0-r0')).toBe('otelcol-contrib');
    expect(parseTaskId('virtual:native:/p/acl_2.3.2.bb:do_compile')).toEqual({ recipe: 'acl-native', taskName: 'do_compile' });
    expect(parseTaskId('virtual:nativesdk:/p/zlib_1.3.1.bb:do_install')).toEqual({ recipe: 'nativesdk-zlib', taskName: 'do_install' });
    expect(parseTaskId('/p/vvehicle-network.bb:do_install')).toEqual({ recipe: 'vvehicle-network', taskName: 'do_install' });
  });

  it('builds the argv of each command', () => {
    expect(bitbakeArgv({ kind: 'show-layers' })).toEqual(['bitbake-layers', 'show-layers']);
    expect(bitbakeArgv({ kind: 'parse' })).toEqual(['bitbake', '--parse-only']);
    expect(bitbakeArgv({ kind: 'graph', target: 'vvehicle-image' })).toEqual(['bitbake', '--graphviz', 'vvehicle-image']);
    expect(bitbakeArgv({ kind: 'build', target: 'vvehicle-image' })).toEqual(['bitbake', 'vvehicle-image']);
  });

  it('lists recipes of a recorded task graph (connman is in AGL\'s own)', () => {
    const recipes = recipesInTaskGraph(readFileSync(join(fixtures, 'agl-image-minimal.task-depends.dot'), 'utf8'));
    expect(recipes.has('connman')).toBe(true);
    expect(recipes.has('agl-image-minimal')).toBe(true);
    expect(recipes.has('acl-native')).toBe(true);
    expect(recipes.has('ueransim')).toBe(false);
  });

  it('treats every warning as unexpected unless listed', () => {
    expect(unexpectedWarnings(['WARNING: x'])).toEqual(['WARNING: x']);
    expect(unexpectedWarnings(['WARNING: x'], [{ pattern: /^WARNING: x$/, why: 'test' }])).toEqual([]);
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBuildConf } from '../../src/bitbake/configure.js';
import { confBlockProblems } from '../../src/config/conf-block.js';
import { openContext } from '../../src/context.js';
import { localConfRecord } from '../../src/image/local-conf.js';
import { sha256Hex } from '../../src/plan/digest.js';
import { runCli } from '../helpers/cli.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/** Issue 11, point 2: tracked kas-style conf blocks, and local.conf recorded in the manifest. */
const E = 'extends: gateway-qemuarm64\n';
const HEADERS = `${E}localConfHeader:
  20-debug: |
    EXTRA_IMAGE_FEATURES:append = " debug-tweaks"
    INHERIT += "rm_work"
  10-mirrors: |
    BB_GENERATE_MIRROR_TARBALLS = "1"
    CONNECTIVITY_CHECK_URIS = \\
        ""
bblayersConfHeader:
  standard: |
    POKY_BBLAYERS_CONF_VERSION = "2"
`;

function project(yml: string): { dir: string; file: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'vvehicle.yml'), yml);
  return { dir, file: join(dir, 'vvehicle.yml') };
}

describe('localConfHeader / bblayersConfHeader', () => {
  it('land in vvehicle.conf after the managed settings and in bblayers.conf before BBLAYERS, blocks in name order, and change the digest', () => {
    const p = project(HEADERS);
    const { plan } = openContext({ config: p.file }, p.dir, {});
    const plain = openContext({ config: project(E).file }, p.dir, {}).plan;
    expect(plan.configDigest).not.toBe(plain.configDigest);
    expect(plan.managedConf.slice(plain.managedConf.length)).toEqual([
      '# localConfHeader.10-mirrors',
      'BB_GENERATE_MIRROR_TARBALLS = "1"',
      'CONNECTIVITY_CHECK_URIS = \\',
      '    ""',
      '# localConfHeader.20-debug',
      'EXTRA_IMAGE_FEATURES:append = " debug-tweaks"',
      'INHERIT += "rm_work"',
    ]);
    const work = tempDir();
    writeBuildConf(plan, work);
    const conf = join(work, 'build/gateway-qemuarm64/conf');
    const managed = readFileSync(join(conf, 'vvehicle.conf'), 'utf8');
    expect(managed.indexOf('BB_HASHSERVE')).toBeLessThan(managed.indexOf('# localConfHeader.10-mirrors'));
    const bblayers = readFileSync(join(conf, 'bblayers.conf'), 'utf8');
    expect(bblayers).toContain('BBFILES ?= ""\n# bblayersConfHeader.standard\nPOKY_BBLAYERS_CONF_VERSION = "2"\n\nBBLAYERS ?= ');
  });

  it('a later file replaces a block by name (kas semantics) and null removes it', async () => {
    const p = project(HEADERS);
    const ci = join(p.dir, 'ci.yml');
    writeFileSync(ci, 'localConfHeader:\n  20-debug: null\n  10-mirrors: |\n    BB_GENERATE_MIRROR_TARBALLS = "0"\n');
    const { plan } = openContext({ config: [p.file, ci] }, p.dir, {});
    const tail = plan.managedConf.slice(plan.managedConf.indexOf('# localConfHeader.10-mirrors'));
    expect(tail).toEqual(['# localConfHeader.10-mirrors', 'BB_GENERATE_MIRROR_TARBALLS = "0"']);
  });

  it('refuses what would break or subvert the conf file: exit 2 at the block, with the line in it, nothing written', async () => {
    const cases: [string, string][] = [
      ['FOO = "unclosed\n', 'line 1: the value of FOO must be one quoted string'],
      ['IMAGE_INSTALL:append = " a" b"\n', 'line 1: the value of IMAGE_INSTALL:append has an unescaped " inside'],
      ['# fine\nthis is not bitbake\n', 'line 2: "this is not bitbake" is not a BitBake conf statement'],
      ['X = "${@os.system(\'id\')}"\n', 'line 1: inline python (${@…}) is not allowed'],
      ['MACHINE = "qemux86-64"\n', 'line 1: MACHINE is set by vvehicle from the configuration'],
      ['inherit rm_work\n', 'line 1: "inherit" does not work in a conf file'],
      ['A = "1" \\\n', 'line 1: ends with a line continuation'],
    ];
    for (const [block, message] of cases) {
      const indented = block.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
      const p = project(`${E}localConfHeader:\n  bad: |\n${indented}\n`);
      const work = join(p.dir, 'work');
      const r = await runCli(['configure', '-c', p.file, '-w', work]);
      expect(r.code, block).toBe(2);
      expect(r.stderr).toContain(`${p.file}:3:8: localConfHeader.bad: ${message}`);
      expect(existsSync(work)).toBe(false);
    }
    const badName = project(`${E}bblayersConfHeader:\n  Bad_Name: |\n    A = "1"\n`);
    const r = await runCli(['plan', '-c', badName.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${badName.file}:3:3: bblayersConfHeader.Bad_Name: must be a lower-case name`);
  });

  it('accepts the statement forms conf files use', () => {
    expect(confBlockProblems('require conf/distro/include/yocto-uninative.inc\ninclude mine.inc\nexport http_proxy\nunset FOO\nFOO[doc] = "x"\nA:append:qemuarm64 = " y"\nB ??= \'z\'\nC .= "\\"q\\""\n')).toEqual([]);
  });
});

describe('local.conf in the manifest', () => {
  it('records its sha256 and whether it holds settings of its own', () => {
    const { plan } = openContext({ config: project(E).file }, tempDir(), {});
    const work = tempDir();
    writeBuildConf(plan, work);
    const file = join(work, 'build/gateway-qemuarm64/conf/local.conf');
    const created = readFileSync(file, 'utf8');
    expect(localConfRecord(file)).toEqual({ sha256: sha256Hex(created), userSettings: false });
    writeFileSync(file, `${created}# only a comment\n\n`);
    expect(localConfRecord(file)!.userSettings).toBe(false);
    writeFileSync(file, `${created}BB_NUMBER_THREADS = "2"\n`);
    expect(localConfRecord(file)).toEqual({ sha256: sha256Hex(`${created}BB_NUMBER_THREADS = "2"\n`), userSettings: true });
    expect(localConfRecord(join(work, 'nope.conf'))).toBeNull();
    expect(listTree(work)).toContain('build/gateway-qemuarm64/conf/local.conf');
  });
});

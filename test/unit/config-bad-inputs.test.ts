import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/**
 * Every bad input is one clear message at its file:line:col, exit 2, and nothing written.
 * `at` is `<file>:<line>:<col>` relative to the project dir; the project file is vvehicle.yml.
 */
interface BadInput {
  name: string;
  yml: string;
  files?: Record<string, string>;
  at: string;
  message: string | RegExp;
}

const E = 'extends: gateway-qemuarm64\n';

const cases: BadInput[] = [
  { name: 'YAML syntax error', yml: `${E}name: [unclosed\nversion: 1.0.0\n`, at: 'vvehicle.yml:3:1', message: /YAML: Flow sequence/ },
  { name: 'duplicate key', yml: `${E}name: a\nname: b\n`, at: 'vvehicle.yml:3:1', message: /YAML: Map keys must be unique/ },
  { name: 'tab indentation', yml: `${E}image:\n\ttarget: x\n`, at: 'vvehicle.yml:3:1', message: /YAML: / },
  { name: 'unknown top-level key', yml: `${E}colour: red\n`, at: 'vvehicle.yml:2:1', message: 'colour: unknown key "colour"' },
  { name: 'unknown nested key', yml: `${E}components:\n  ueransim:\n    flavour: vanilla\n`, at: 'vvehicle.yml:4:5', message: 'components.ueransim.flavour: unknown key "flavour"' },
  { name: 'wrong type (number for string)', yml: `${E}version: 1\n`, at: 'vvehicle.yml:2:10', message: 'version: must be string, got number' },
  { name: 'wrong type (string for list)', yml: `${E}image:\n  extraPackages: htop\n`, at: 'vvehicle.yml:3:18', message: 'image.extraPackages: must be array, got string' },
  { name: 'bad semver', yml: `${E}version: "1.0"\n`, at: 'vvehicle.yml:2:10', message: 'version: must be a semantic version' },
  { name: 'unknown machine', yml: `${E}machine: raspberrypi4\n`, at: 'vvehicle.yml:2:10', message: 'machine: must be one of: "qemuarm64"' },
  { name: 'bad image name', yml: `${E}name: Vehicle_Image\n`, at: 'vvehicle.yml:2:7', message: 'name: must be a lower-case name' },
  { name: 'layer path with ..', yml: `${E}sources:\n  repos:\n    meta-agl:\n      layers: [meta-agl-core, ../../etc]\n`, at: 'vvehicle.yml:5:31', message: 'sources.repos.meta-agl.layers.1: must not contain ".."' },
  { name: 'absolute layer path', yml: `${E}sources:\n  repos:\n    poky:\n      layers: [/opt/meta]\n`, at: 'vvehicle.yml:5:16', message: 'must be a relative path' },
  { name: 'quote in a recipe value', yml: `${E}build:\n  dlDir: 'dl"x'\n`, at: 'vvehicle.yml:3:10', message: 'build.dlDir: must not contain quotes' },
  { name: 'newline in a recipe value', yml: `${E}build:\n  sstateDir: "a\\nb"\n`, at: 'vvehicle.yml:3:14', message: 'build.sstateDir: must not contain quotes, backslashes, backticks, newlines' },
  { name: '${ in a recipe value', yml: `${E}build:\n  sstateMirrors: ['\${HOME}/sstate']\n`, at: 'vvehicle.yml:3:19', message: 'build.sstateMirrors.0: must not contain' },
  { name: 'engine client without a named engine', yml: `${E}build:\n  engineClient: /usr/bin/docker\n`, at: 'vvehicle.yml:3:17', message: 'build.engineClient: names one engine\'s client: set build.engine to docker or podman as well' },
  { name: 'builder base that is neither an image nor a mirror', yml: `${E}build:\n  builderBase: { debootstrapMirror: deb.debian.org }\n`, at: 'vvehicle.yml:3:37', message: 'build.builderBase.debootstrapMirror: must be an http(s):// or file:// Debian mirror URL' },
  { name: 'non-40-hex commit', yml: `${E}sources:\n  repos:\n    poky:\n      commit: abc123\n`, at: 'vvehicle.yml:5:15', message: 'sources.repos.poky.commit: must be a full 40-character' },
  { name: 'upper-case commit', yml: `${E}sources:\n  repos:\n    poky:\n      commit: 1D54D1C4736A114E1CECBE85A0306E3814D5CE70\n`, at: 'vvehicle.yml:5:15', message: 'must be a full 40-character lower-case hex commit id' },
  {
    name: 'lock made for another branch',
    yml: `${E}sources:\n  repos:\n    meta-extra:\n      url: https://example.org/meta-extra.git\n      branch: main\n      layers: [.]\n`,
    files: { 'vvehicle.lock.yml': 'lockVersion: 1\nrepos:\n  meta-extra:\n    url: https://example.org/meta-extra.git\n    branch: next\n    commit: "0123456789abcdef0123456789abcdef01234567"\n' },
    at: 'vvehicle.yml:6:15',
    message: 'sources.repos.meta-extra.branch: the lock file pins branch next; rerun `vvehicle lock --update meta-extra`',
  },
  { name: 'null for a required key', yml: `${E}sources:\n  repos:\n    poky:\n      layers: null\n`, at: 'vvehicle.yml:5:15', message: 'sources.repos.poky.layers: is required' },
  {
    // "billion laughs": 9 levels of 9 aliases would expand to 387 million nodes
    name: 'YAML alias bomb',
    yml: `${E}${['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n')}\n`,
    at: 'vvehicle.yml:5:8',
    message: /YAML: aliases here expand to more than 100 nodes .*alias bomb/,
  },
  { name: 'repo without layers', yml: `${E}sources:\n  repos:\n    meta-extra:\n      url: https://example.org/meta-extra.git\n      commit: 1d54d1c4736a114e1cecbe85a0306e3814d5ce70\n`, at: 'vvehicle.yml:5:7', message: 'sources.repos.meta-extra.layers: is required' },
  { name: 'bad repo URL', yml: `${E}sources:\n  repos:\n    poky:\n      url: not a url\n`, at: 'vvehicle.yml:5:12', message: 'sources.repos.poky.url: must be a git URL' },
  { name: 'bad repo name', yml: `${E}sources:\n  repos:\n    Meta_Extra:\n      url: https://example.org/x.git\n      commit: 1d54d1c4736a114e1cecbe85a0306e3814d5ce70\n      layers: [.]\n`, at: 'vvehicle.yml:4:5', message: 'sources.repos.Meta_Extra: must be a lower-case name' },
  { name: 'short sha256', yml: `${E}components:\n  otelcolContrib:\n    sha256: deadbeef\n`, at: 'vvehicle.yml:4:13', message: 'components.otelcolContrib.sha256: must be a 64-character' },
  { name: 'MCC 000 (nr-ue refuses it)', yml: `${E}components:\n  ueransim:\n    ue:\n      mcc: '000'\n`, at: 'vvehicle.yml:5:12', message: "components.ueransim.ue.mcc: must not be 000: nr-ue refuses it" },
  { name: 'a DNN with an underscore', yml: `${E}components:\n  ueransim:\n    ue:\n      sessions: [{ apn: bad_dnn, sst: 1 }]\n`, at: 'vvehicle.yml:5:25', message: 'components.ueransim.ue.sessions.0.apn: must be a DNN' },
  { name: 'MCC as a YAML number', yml: `${E}components:\n  ueransim:\n    ue:\n      mcc: 208\n`, at: 'vvehicle.yml:5:12', message: 'components.ueransim.ue.mcc: must be string, got number' },
  // the subscriber moved to boot-time credentials: an old config that still bakes it in is refused, with the way out
  { name: 'SUPI in the image', yml: `${E}components:\n  ueransim:\n    ue:\n      supi: imsi-208930000000001\n`, at: 'vvehicle.yml:5:13', message: 'components.ueransim.ue.supi: the subscriber is no longer baked into the image: remove this key and pass it to each vehicle at boot as the systemd credential vvehicle.ue.supi' },
  { name: 'K in the image', yml: `${E}components:\n  ueransim:\n    ue:\n      key: 8baf473f2f8fd09487cccbd7097c6862\n`, at: 'vvehicle.yml:5:12', message: 'components.ueransim.ue.key: the subscriber is no longer baked into the image: remove this key and pass it to each vehicle at boot as the systemd credential vvehicle.ue.key' },
  { name: 'OPc in the image', yml: `${E}components:\n  ueransim:\n    ue:\n      op: 8e27b6af0e692e750f32667a3b14605d\n`, at: 'vvehicle.yml:5:11', message: 'systemd credential vvehicle.ue.opc' },
  { name: 'OP instead of OPc', yml: `${E}components:\n  ueransim:\n    ue:\n      opType: OP\n`, at: 'vvehicle.yml:5:15', message: 'components.ueransim.ue.opType: must be one of: "OPC"' },
  { name: 'empty gNB search list', yml: `${E}components:\n  ueransim:\n    ue:\n      gnbSearchList: []\n`, at: 'vvehicle.yml:5:22', message: 'components.ueransim.ue.gnbSearchList' },
  { name: 'network match "*"', yml: `${E}components:\n  network:\n    match: ['*']\n`, at: 'vvehicle.yml:4:12', message: "networkd would take over UERANSIM's uesimtun" },
  { name: 'bad KeepConfiguration', yml: `${E}components:\n  network:\n    keepConfiguration: maybe\n`, at: 'vvehicle.yml:4:24', message: 'must be one of: "no", "yes", "static", "dhcp-on-stop", "dhcp"' },
  { name: 'unknown eBPF tool', yml: `${E}components:\n  ebpf:\n    tools: [bpftool, perf]\n`, at: 'vvehicle.yml:4:22', message: 'components.ebpf.tools.1: must be one of' },
  { name: 'cluster size not a power of two', yml: `${E}output:\n  qcow2:\n    clusterSize: 1000\n`, at: 'vvehicle.yml:4:18', message: 'must be a power of two' },
  { name: 'unknown engine', yml: `${E}build:\n  engine: lxc\n`, at: 'vvehicle.yml:3:11', message: 'build.engine: must be one of: "auto", "docker", "podman"' },
  { name: 'bad hash equivalence server', yml: `${E}build:\n  hashEquivalence: somewhere\n`, at: 'vvehicle.yml:3:20', message: 'build.hashEquivalence' },
  { name: 'image target equals base', yml: `${E}image:\n  target: agl-image-minimal\n`, at: 'vvehicle.yml:3:11', message: 'image.target: must differ from image.base' },
  { name: 'missing profile', yml: 'extends: no-such-profile\n', at: 'vvehicle.yml:1:10', message: 'extends: profile "no-such-profile" not found' },
  { name: 'extends not a string', yml: 'extends: [a, b]\n', at: 'vvehicle.yml:1:10', message: 'extends: must be a profile name' },
  {
    name: 'extends cycle',
    yml: 'extends: ./a.yml\n',
    files: { 'a.yml': 'extends: ./b.yml\n', 'b.yml': 'extends: ./a.yml\n' },
    at: 'b.yml:1:10',
    message: 'extends cycle: vvehicle -> a -> b -> a',
  },
  {
    name: 'bad commit in the lock file',
    yml: E,
    files: { 'vvehicle.lock.yml': 'lockVersion: 1\nrepos:\n  poky:\n    url: https://git.yoctoproject.org/poky\n    commit: xyz\n' },
    at: 'vvehicle.lock.yml:5:13',
    message: 'repos.poky.commit: must be a full 40-character',
  },
  {
    name: 'lock disagrees with config',
    yml: E,
    files: { 'vvehicle.lock.yml': 'lockVersion: 1\nrepos:\n  poky:\n    url: https://git.yoctoproject.org/poky\n    commit: "0000000000000000000000000000000000000000"\n' },
    at: 'profiles/gateway-qemuarm64.yml',
    message: 'sources.repos.poky.commit: the lock file pins 0000000000000000000000000000000000000000',
  },
];

describe('bad inputs: one located message, exit 2, nothing written', () => {
  it('has at least 25 cases', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each(cases)('$name', async ({ yml, files, at, message }) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), yml);
    for (const [name, text] of Object.entries(files ?? {})) writeFileSync(join(dir, name), text);
    const before = listTree(dir);
    const work = join(dir, 'work');

    const { code, stderr, stdout } = await runCli(['plan', '-c', join(dir, 'vvehicle.yml'), '-w', work]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    const located = stderr.split('\n').find((l) => l.includes(typeof message === 'string' ? message : '')) ?? '';
    if (typeof message === 'string') expect(stderr).toContain(message);
    else expect(stderr).toMatch(message);
    // the location names the file the problem is in, relative where possible
    const expectedFile = at.startsWith('profiles/') ? 'profiles/gateway-qemuarm64.yml' : join(dir, at.split(':')[0]!);
    const line = stderr.split('\n').find((l) => l.includes(expectedFile) && (typeof message === 'string' ? l.includes(message) : message.test(l)));
    expect(line, `no line in:\n${stderr}`).toBeDefined();
    if (!at.startsWith('profiles/')) expect(line).toContain(`${join(dir, at)}:`);
    expect(located.length).toBeGreaterThan(0);
    expect(existsSync(work)).toBe(false);
    expect(listTree(dir)).toEqual(before);
  });

  it('reports every problem of a file at once', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), `${E}version: nope\nmachine: x86\ncolour: red\n`);
    const { code, stderr } = await runCli(['plan', '-c', join(dir, 'vvehicle.yml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('vvehicle.yml:2:10: version:');
    expect(stderr).toContain('vvehicle.yml:3:10: machine:');
    expect(stderr).toContain('vvehicle.yml:4:1: colour: unknown key');
  });

  it('a missing config file is one message', async () => {
    const dir = tempDir();
    const { code, stderr } = await runCli(['plan', '-c', join(dir, 'nope.yml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('nope.yml:1:1: (root): cannot read: file not found');
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const { code } = await runCli(['plan', '--frobnicate']);
    expect(code).toBe(2);
  });
});

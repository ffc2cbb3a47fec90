import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_PROFILE, embeddedProfilesDir } from '../../src/package-paths.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const defaultPlan = () => {
  const loaded = loadConfig({ cwd: tempDir() });
  return buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock });
};

describe('the default plan', () => {
  it('is stable (snapshot)', () => {
    expect(defaultPlan()).toMatchSnapshot();
  });

  it('pins five repositories to 40-hex commits and includes meta-agl-core', () => {
    const plan = defaultPlan();
    expect(plan.repos).toHaveLength(5);
    for (const repo of plan.repos) expect(repo.kind === 'git' && repo.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(plan.bblayers).toContain('sources/meta-agl/meta-agl-core');
    expect(plan.bblayers.at(-1)).toBe('layers/meta-vvehicle');
    expect(plan.image).toEqual({ target: 'vvehicle-image', base: 'agl-image-minimal' });
  });

  it('is pure: the same config gives the same digest, a change gives another', () => {
    expect(defaultPlan().configDigest).toBe(defaultPlan().configDigest);
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), 'extends: gateway-qemuarm64\nversion: 0.2.0\n');
    const loaded = loadConfig({ cwd: dir });
    const other = buildPlan({ config: loaded.config, profile: loaded.profile });
    expect(other.configDigest).not.toBe(defaultPlan().configDigest);
    expect(other.configDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('manages the conf lines vvehicle owns', () => {
    const conf = defaultPlan().managedConf;
    expect(conf).toContain('MACHINE = "qemuarm64"');
    expect(conf).toContain('DISTRO = "agl"');
    expect(conf).toContain('require conf/include/vvehicle.inc');
    expect(conf).toContain('INHERIT += "buildhistory"');
  });
});

describe('profiles and the lock file', () => {
  it('a project file overrides the profile key by key; arrays are replaced', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), 'extends: gateway-qemuarm64\ncomponents:\n  ebpf:\n    tools: [bpftool]\n  ueransim:\n    ue:\n      mcc: "001"\n');
    const { config, profile, files } = loadConfig({ cwd: dir });
    expect(config.components.ebpf.tools).toEqual(['bpftool']);
    expect(config.components.ebpf.btf).toBe(true);
    expect(config.components.ueransim.ue.mcc).toBe('001');
    expect(config.components.ueransim.ue.mnc).toBe('93');
    expect(profile).toBe('gateway-qemuarm64');
    expect(files).toHaveLength(2);
  });

  it('a project file without extends that is not complete: one message saying to add extends, exit 2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), 'version: 1.2.3\nmachine: qemuarm64\n');
    const r = await runCli(['plan', '-c', join(dir, 'vvehicle.yml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`error: ${join(dir, 'vvehicle.yml')}:1:1: extends: no "extends", and not a complete profile (missing name, agl, image, components, sources, build, output, smoke, publish): add "extends: gateway-qemuarm64" as the first line to change only what differs from the default profile`);
    expect(r.stderr).not.toContain('is required');
  });

  it('a complete project file without extends is a profile of its own: nothing from the default is merged in', () => {
    const dir = tempDir();
    const config = readFileSync(join(embeddedProfilesDir, `${DEFAULT_PROFILE}.yml`), 'utf8').replace(/^(\s+)commit: 1d54d1c4736a114e1cecbe85a0306e3814d5ce70\n/m, '');
    writeFileSync(join(dir, 'vvehicle.yml'), config);
    // poky's commit was deleted: with the default merged in it would come back; alone, poky is pinned by branch only
    expect(() => loadConfig({ cwd: dir })).toThrow(/sources\.repos\.poky\.branch: branch "scarthgap" is not pinned/);
  });

  it('a profile reached by extends that has no extends of its own is a root: nothing is added to it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), 'extends: mine\n');
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(join(dir, 'profiles', 'mine.yml'), 'name: mine\n');
    expect(() => loadConfig({ cwd: dir })).toThrow(/version: is required/);
  });

  it('a profile next to the project file wins over the embedded one of the same name', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), 'extends: lab\n');
    const profiles = join(dir, 'profiles');
    mkdirSync(profiles);
    writeFileSync(join(profiles, 'lab.yml'), 'extends: gateway-qemuarm64\nname: lab-image\n');
    const { config, profile } = loadConfig({ cwd: dir });
    expect(config.name).toBe('lab-image');
    expect(profile).toBe('gateway-qemuarm64');
  });

  it('a branch pinned by the lock file resolves to the locked commit', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), 'extends: gateway-qemuarm64\nsources:\n  repos:\n    meta-extra:\n      url: https://example.org/meta-extra.git\n      branch: main\n      layers: [.]\n');
    writeFileSync(join(dir, 'vvehicle.lock.yml'), 'lockVersion: 1\nrepos:\n  meta-extra:\n    url: https://example.org/meta-extra.git\n    branch: main\n    commit: "0123456789abcdef0123456789abcdef01234567"\n');
    const loaded = loadConfig({ cwd: dir });
    const plan = buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock });
    const extra = plan.repos.find((r) => r.name === 'meta-extra');
    expect(extra).toMatchObject({ commit: '0123456789abcdef0123456789abcdef01234567', pinnedBy: 'lock' });
    expect(plan.bblayers).toContain('sources/meta-extra');
  });
});

describe('vvehicle plan', () => {
  it('with no config file uses the embedded default and prints a summary', async () => {
    const { code, stdout } = await runCli(['plan', '-w', join(tempDir(), 'w')]);
    expect(code).toBe(0);
    expect(stdout).toContain('vvehicle-gateway 0.1.0  (profile gateway-qemuarm64');
    expect(stdout).toContain('AGL 21.0.2 "unagi" on Yocto scarthgap, MACHINE=qemuarm64');
  });

  it('--json is valid JSON: the pure plan, plus the files merged and the masked configuration', async () => {
    const { code, stdout } = await runCli(['plan', '--json']);
    expect(code).toBe(0);
    const { files: _files, config: _config, ...plan } = JSON.parse(stdout) as Record<string, unknown>;
    expect(plan).toEqual(JSON.parse(JSON.stringify(defaultPlan())));
  });

  it('holds no subscriber: the UE identity arrives per vehicle at boot', async () => {
    const { stdout } = await runCli(['plan', '--json']);
    expect(stdout).not.toMatch(/imsi-|"supi"|"key"|"op"/);
  });
});

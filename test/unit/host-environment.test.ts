import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runArgv } from '../../src/container/container-argv.js';
import { attachedRunSpec, NO_TERMINAL_SCREENDIR, runSpec, type ContainerSetup } from '../../src/container/container.js';
import { hostMounts, hostPathOverrides, passedVariables } from '../../src/container/host-environment.js';
import { loadConfig } from '../../src/config/load.js';
import { openContext } from '../../src/context.js';
import { checkDisks } from '../../src/doctor/checks.js';
import { runCli } from '../helpers/cli.js';
import { withEnv } from '../helpers/build-project.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/** Issue 11, point 7: environment and host paths. */
function project(yml: string): { dir: string; file: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'vvehicle.yml'), `extends: gateway-qemuarm64\n${yml}`);
  return { dir, file: join(dir, 'vvehicle.yml') };
}

describe('DL_DIR, SSTATE_DIR and VVEHICLE_WORK_DIR from the environment', () => {
  it('move the caches and the work dir, show in the plan, and leave the config digest alone', () => {
    const p = project('');
    const plain = openContext({ config: p.file }, p.dir, {});
    const env = openContext({ config: p.file }, p.dir, { DL_DIR: '/srv/yocto/downloads/', SSTATE_DIR: '/srv/yocto/sstate', VVEHICLE_WORK_DIR: '/srv/work' });
    expect(env.plan.dirs).toMatchObject({ downloads: '/srv/yocto/downloads', sstate: '/srv/yocto/sstate' });
    expect(env.plan.managedConf).toContain('DL_DIR = "/srv/yocto/downloads"');
    expect(env.plan.managedConf).toContain('SSTATE_DIR = "/srv/yocto/sstate"');
    expect(env.plan.environment).toEqual({ DL_DIR: '/srv/yocto/downloads', SSTATE_DIR: '/srv/yocto/sstate' });
    expect(env.plan.configDigest).toBe(plain.plan.configDigest);
    expect(plain.plan.environment).toBeUndefined();
    expect(env.workDir).toBe('/srv/work');
    expect(openContext({ config: p.file, workDir: 'mine' }, p.dir, { VVEHICLE_WORK_DIR: '/srv/work' }).workDir).toBe(join(p.dir, 'mine'));
    expect(plain.workDir).toBe(join(p.dir, 'vvehicle-work'));
  });

  it('layer writes under $VVEHICLE_WORK_DIR when no -w is given', async () => {
    const p = project('');
    const work = join(p.dir, 'from-env');
    const r = await withEnv({ VVEHICLE_WORK_DIR: work }, () => runCli(['layer', '-c', p.file]));
    expect(r.code).toBe(0);
    expect(listTree(work)).toContain('layers/meta-vvehicle/conf/layer.conf');
  });

  it('refuses a relative or unsafe DL_DIR/SSTATE_DIR: exit 2 naming the variable, nothing written', async () => {
    const p = project('');
    const before = listTree(p.dir);
    for (const [name, value, message] of [
      ['DL_DIR', 'downloads', 'DL_DIR=downloads (environment): must be an absolute path'],
      ['SSTATE_DIR', '/srv/"x', 'SSTATE_DIR (environment): must not contain quotes'],
    ] as const) {
      const r = await withEnv({ [name]: value }, () => runCli(['layer', '-c', p.file, '-w', join(p.dir, 'work')]));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(listTree(p.dir)).toEqual(before);
    }
    expect(() => hostPathOverrides({ DL_DIR: '' })).not.toThrow();
  });
});

describe('variables passed into the container', () => {
  it('proxies in either case when set, lower-case build.env names, SSH_AUTH_SOCK only when asked', () => {
    const p = project('build:\n  env: [my_token, BB_NUMBER_PARSE_THREADS]\n  sshAgent: true\n');
    const { config } = loadConfig({ configPath: p.file, cwd: p.dir });
    const env = { http_proxy: 'http://proxy:3128', HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'localhost', SSH_AUTH_SOCK: '/tmp/agent.sock' };
    expect(passedVariables(config, env)).toEqual(['my_token', 'BB_NUMBER_PARSE_THREADS', 'http_proxy', 'HTTPS_PROXY', 'no_proxy', 'SSH_AUTH_SOCK']);
    const plain = loadConfig({ configPath: project('').file, cwd: p.dir }).config;
    expect(passedVariables(plain, env)).toEqual(['http_proxy', 'HTTPS_PROXY', 'no_proxy']);
  });

  it('reach bitbake: by name in the engine argv (values never in argv) and in BB_ENV_PASSTHROUGH_ADDITIONS', () => {
    const p = project('');
    const context = openContext({ config: p.file }, p.dir, {});
    const setup = {
      engine: { name: 'podman', globalArgs: [] },
      image: 'localhost/x',
      plan: context.plan,
      workDir: context.workDir,
      kvm: false,
      passEnv: ['http_proxy', 'HTTPS_PROXY'],
      hostMounts: [{ path: '/srv/mirror', readOnly: true }],
    } as unknown as ContainerSetup;
    const argv = runArgv(runSpec(setup, 'n', ['bitbake', 'x'], 'default'));
    expect(argv).toContain('BB_ENV_PASSTHROUGH_ADDITIONS=http_proxy HTTPS_PROXY');
    expect(argv.join(' ')).toContain('--env http_proxy --env HTTPS_PROXY');
    expect(argv.join(' ')).not.toContain('proxy:3128');
    expect(argv.join(' ')).toContain('--volume /srv/mirror:/srv/mirror:ro');
  });

  it('vvehicle shell/bitbake: -i -t on a terminal; without one no stdin and a SCREENDIR screen cannot use, so a devshell fails instead of waiting forever', () => {
    const p = project('');
    const context = openContext({ config: p.file }, p.dir, {});
    const setup = { engine: { name: 'podman', globalArgs: [] }, image: 'localhost/x', plan: context.plan, workDir: context.workDir, kvm: false, passEnv: [] } as unknown as ContainerSetup;
    const onTty = runArgv(attachedRunSpec(setup, 'n', ['bitbake', '-c', 'devshell', 'x'], true));
    expect(onTty).toEqual(expect.arrayContaining(['--interactive', '--tty']));
    expect(onTty.join(' ')).not.toContain('SCREENDIR');
    const noTty = runArgv(attachedRunSpec(setup, 'n', ['bitbake', '-c', 'devshell', 'x'], false));
    expect(noTty).not.toContain('--interactive');
    expect(noTty).not.toContain('--tty');
    expect(noTty).toContain(`SCREENDIR=${NO_TERMINAL_SCREENDIR}`);
    // not passed through to bitbake's datastore (that would change its configuration hash: a full reparse)
    expect(noTty.join(' ')).not.toContain('BB_ENV_PASSTHROUGH_ADDITIONS');
    expect(noTty.slice(noTty.indexOf('localhost/x') + 1)).toEqual(onTty.slice(onTty.indexOf('localhost/x') + 1));
    // build and check run bitbake without a terminal too (`vvehicle build --task devshell`)
    expect(runArgv(runSpec(setup, 'n', ['bitbake', '-c', 'devshell', 'x'], 'none'))).toContain(`SCREENDIR=${NO_TERMINAL_SCREENDIR}`);
  });
});

describe('host paths the build needs are mounted', () => {
  it('file:// premirrors and sstate mirrors, the objects a reference checkout borrows, the agent socket, build.mounts', () => {
    const host = tempDir();
    for (const d of ['mirror', 'sstate-mirror', 'refs/poky.git/objects', 'toolchain', 'cache']) mkdirSync(join(host, d), { recursive: true });
    writeFileSync(join(host, 'agent.sock'), '');
    const p = project(
      `build:\n  premirrors: ['file://${host}/mirror', 'https://downloads.example.org']\n  sstateMirrors: ['file://${host}/sstate-mirror/']\n  hashEquivalence: 'off'\n` +
        `  sshAgent: true\n  mounts: ['${host}/toolchain', '${host}/cache:rw']\n`,
    );
    const context = openContext({ config: p.file, workDir: join(p.dir, 'work') }, p.dir, {});
    const alternates = join(context.workDir, 'sources/poky/.git/objects/info');
    mkdirSync(alternates, { recursive: true });
    writeFileSync(join(alternates, 'alternates'), `${host}/refs/poky.git/objects\n`);
    expect(hostMounts(context.loaded.config, context.plan, context.workDir, { SSH_AUTH_SOCK: join(host, 'agent.sock') })).toEqual([
      { path: `${host}/mirror`, readOnly: true },
      { path: `${host}/sstate-mirror`, readOnly: true },
      { path: `${host}/refs/poky.git/objects`, readOnly: true },
      { path: join(host, 'agent.sock'), readOnly: false },
      { path: `${host}/toolchain`, readOnly: true },
      { path: `${host}/cache`, readOnly: false },
    ]);
    expect(() => hostMounts(context.loaded.config, context.plan, context.workDir, {})).toThrow('build.sshAgent is true but SSH_AUTH_SOCK is not set');
  });

  it('refuses a missing host path, and bad build.mounts entries at their line', async () => {
    const p = project("build:\n  premirrors: ['file:///nonexistent/vvehicle-mirror']\n");
    const context = openContext({ config: p.file }, p.dir, {});
    expect(() => hostMounts(context.loaded.config, context.plan, context.workDir, {})).toThrow('mirror file:///nonexistent/vvehicle-mirror: /nonexistent/vvehicle-mirror does not exist on this host');
    const bad = project("build:\n  mounts: ['relative/dir', '/abs:rx']\n  env: ['1BAD']\n");
    const r = await runCli(['plan', '-c', bad.file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad.file}:3:12: build.mounts.0: must be an absolute host path`);
    expect(r.stderr).toContain(`${bad.file}:3:28: build.mounts.1: must be an absolute host path`);
    expect(r.stderr).toContain(`${bad.file}:4:9: build.env.0: must be an environment variable name`);
  });
});

describe('doctor: free space where TMPDIR, DL_DIR and SSTATE_DIR really are', () => {
  it('one check per filesystem, needs on the same one added up, each directory named', () => {
    const work = tempDir();
    const other = '/dev/shm';
    const disks = [
      { role: 'TMPDIR', path: join(work, 'build/x/tmp'), needGiB: 60 },
      { role: 'DL_DIR', path: join(other, 'vvehicle-never-created/downloads'), needGiB: 15 },
      { role: 'SSTATE_DIR', path: join(work, 'sstate'), needGiB: 15 },
    ];
    const results = checkDisks(disks);
    const devices = new Set([statSync(work).dev, statSync(other).dev]);
    expect(results).toHaveLength(devices.size);
    const text = results.map((r) => r.detail).join('\n');
    for (const d of disks) expect(text).toContain(`${d.role} ${d.path} (~${d.needGiB} GiB)`);
    const impossible = checkDisks([{ role: 'TMPDIR', path: work, needGiB: 10_000_000 }]);
    expect(impossible[0]).toMatchObject({ name: 'disk', status: 'fail' });
    expect(impossible[0]!.detail).toContain('needs 10000000 GiB');
  });
});

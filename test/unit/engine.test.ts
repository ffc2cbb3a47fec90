import { describe, expect, it } from 'vitest';
import { containerUser, runArgv, type RunSpec } from '../../src/container/container-argv.js';
import { containerfileFor, debootstrapBaseTag, DEFAULT_BUILDER_BASE, resolveBuilderBase, type BuilderRecord } from '../../src/container/builder-image.js';

const base: RunSpec = {
  engine: 'podman',
  globalArgs: ['--runtime', 'runc'],
  name: 'vvehicle-gateway-qemuarm64-0a1b2c3d',
  image: 'localhost/vvehicle-builder:0123456789ab',
  hostUid: 1000,
  hostGid: 1000,
  mounts: [
    { path: '/w/sources', readOnly: true },
    { path: '/w/build/gateway-qemuarm64', readOnly: false },
  ],
  workdir: '/w/build/gateway-qemuarm64',
  env: { LANG: 'en_US.UTF-8', BB_ENV_PASSTHROUGH_ADDITIONS: 'HTTP_PROXY' },
  passEnv: ['HTTP_PROXY'],
  network: 'default',
  kvm: false,
  selinuxEnforcing: false,
  command: ['bitbake', 'vvehicle-image'],
};

describe('container run argv', () => {
  it('podman, rootless user: keep-id, mounts at the same path, env by name for pass-through', () => {
    expect(runArgv(base)).toEqual([
      '--runtime', 'runc', 'run', '--rm', '--name', 'vvehicle-gateway-qemuarm64-0a1b2c3d',
      '--userns=keep-id', '--user', '1000:1000',
      '--volume', '/w/sources:/w/sources:ro',
      '--volume', '/w/build/gateway-qemuarm64:/w/build/gateway-qemuarm64:rw',
      '--workdir', '/w/build/gateway-qemuarm64',
      '--env', 'BB_ENV_PASSTHROUGH_ADDITIONS=HTTP_PROXY', '--env', 'HOME=/home/builder', '--env', 'LANG=en_US.UTF-8',
      '--env', 'HTTP_PROXY',
      'localhost/vvehicle-builder:0123456789ab', 'bitbake', 'vvehicle-image',
    ]);
  });

  it('docker, non-root user: --user uid:gid and a stable HOME, no keep-id', () => {
    const argv = runArgv({ ...base, engine: 'docker', globalArgs: [], hostUid: 1234, hostGid: 100 });
    expect(argv.slice(0, 7)).toEqual(['run', '--rm', '--name', base.name, '--user', '1234:100', '--volume']);
    expect(argv).not.toContain('--userns=keep-id');
    expect(argv).toContain('HOME=/home/builder');
  });

  it('invoked as root (either engine): bitbake runs as the image\'s builder user 1001', () => {
    for (const engine of ['docker', 'podman'] as const) {
      const argv = runArgv({ ...base, engine, hostUid: 0, hostGid: 0 });
      expect(argv[argv.indexOf('--user') + 1]).toBe('1001:1001');
      expect(argv).not.toContain('--userns=keep-id');
    }
    expect(containerUser({ engine: 'podman', hostUid: 0, hostGid: 0 })).toMatchObject({ uid: 1001, gid: 1001 });
  });

  it('check: --network none; kvm only when asked; SELinux: label=disable; never --privileged', () => {
    const argv = runArgv({ ...base, network: 'none', kvm: true, selinuxEnforcing: true });
    expect(argv.join(' ')).toContain('--network none --security-opt label=disable --device /dev/kvm');
    const plain = runArgv(base);
    expect(plain).not.toContain('--network');
    expect(plain).not.toContain('--device');
    expect(plain).not.toContain('--security-opt');
    for (const a of [argv, plain, runArgv({ ...base, engine: 'docker', hostUid: 0 })]) expect(a.join(' ')).not.toContain('privileged');
  });

  it('puts the image and the command last, so nothing after it is read as an engine option', () => {
    const argv = runArgv({ ...base, command: ['bitbake-layers', 'show-layers'] });
    expect(argv.slice(-3)).toEqual([base.image, 'bitbake-layers', 'show-layers']);
  });
});

describe('builder base: flag, then build.builderBase, then the builder recorded in the work dir', () => {
  const mirror = 'http://deb.example/debian';
  const recorded: BuilderRecord = { image: 'localhost/vvehicle-builder:abc', id: 'sha256:1', engine: 'docker', source: 'debootstrap+containerfile', base: { debootstrapMirror: mirror } };
  it('remembers `builder --debootstrap-mirror M` for later runs without the flag', () => {
    expect(resolveBuilderBase(undefined, undefined, recorded)).toEqual({ debootstrapMirror: mirror });
    expect(resolveBuilderBase(undefined, undefined, undefined)).toEqual(DEFAULT_BUILDER_BASE);
    // build.image records no base; older records neither
    expect(resolveBuilderBase(undefined, undefined, { ...recorded, source: 'given' })).toEqual(DEFAULT_BUILDER_BASE);
    expect(resolveBuilderBase(undefined, undefined, { ...recorded, base: undefined })).toEqual(DEFAULT_BUILDER_BASE);
  });
  it('the flag wins over the config key, the config key over the record', () => {
    expect(resolveBuilderBase('http://other/debian', { image: 'registry.lab/debian:bookworm' }, recorded)).toEqual({ debootstrapMirror: 'http://other/debian' });
    expect(resolveBuilderBase(undefined, { image: 'registry.lab/debian:bookworm' }, recorded)).toEqual({ image: 'registry.lab/debian:bookworm' });
  });
  it('the Containerfile starts FROM the registry image (and installs the packages) or FROM the imported base (packages already in)', () => {
    const fromRegistry = containerfileFor({ image: 'registry.lab/debian:bookworm' });
    expect(fromRegistry.from).toBe('registry.lab/debian:bookworm');
    expect(fromRegistry.containerfile).toContain('apt-get install');
    const bootstrapped = containerfileFor({ debootstrapMirror: mirror });
    expect(bootstrapped.from).toBe(debootstrapBaseTag());
    expect(bootstrapped.containerfile).not.toContain('apt-get');
    // which mirror served the packages does not change the image
    expect(containerfileFor({ debootstrapMirror: 'file:///srv/debian' })).toEqual(bootstrapped);
  });
});

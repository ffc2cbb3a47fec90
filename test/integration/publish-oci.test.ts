import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/image/manifest-schema.js';
import { inspectRaw, listTags, pullToLayout } from '../../src/tools/skopeo.js';
import { runCli } from '../helpers/cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { readyToPublish } from '../helpers/publishable.js';
import { freePort, startRegistry, startSilentServer, type TestRegistry } from '../helpers/registry.js';
import { tempDir } from '../helpers/tmp.js';

const access = { tlsVerify: false, timeoutSec: 30 };
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

let registryDir: string;
let registry: TestRegistry;
beforeAll(async () => {
  registryDir = tempDir('vvehicle-registry-');
  registry = await startRegistry(registryDir);
}, 60_000);
afterAll(async () => registry?.stop());

/** Pulls a tag back with skopeo into an OCI layout and unpacks its one layer, keeping the tar headers. */
async function pullBack(ref: string, into: string) {
  const layout = join(into, 'layout');
  mkdirSync(into, { recursive: true });
  const pulled = await pullToLayout(`docker://${ref}`, layout, access);
  expect(pulled.failed, JSON.stringify(pulled)).toBe(false);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (digest: string) => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const image = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string; mediaType: string }[]; config: { digest: string } };
  const config = JSON.parse(readFileSync(blob(image.config.digest), 'utf8')) as { architecture: string; config: { Labels: Record<string, string> } };
  expect(image.layers).toHaveLength(1);
  const owners = new Map<string, string>();
  const rootfs = join(into, 'rootfs');
  mkdirSync(rootfs);
  await tar.x({ file: blob(image.layers[0]!.digest), cwd: rootfs, onReadEntry: (e) => void owners.set(e.path, `${e.uid}:${e.gid}`) });
  return { rootfs, owners, config };
}

describe('vvehicle publish --to oci:// (a real registry: docker-registry on 127.0.0.1)', () => {
  it('pushes a KubeVirt containerDisk tagged with the version and the channel, annotated from the manifest; the pulled disk hashes to the manifest\'s sha256', { timeout: 180_000 }, async () => {
    const { root, out, work } = await readyToPublish();
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const disk = manifest.artifacts.find((a) => a.role === 'disk')!;
    const to = `oci://${registry.address}/agl/vvehicle-gateway`;

    const r = await runCli(['publish', '-w', work, '--from', out, '--to', to, '--channel', 'beta', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { reference: string; digest: string; channelReference: string; manifestPath: string };
    expect(result.reference).toBe(`${registry.address}/agl/vvehicle-gateway:0.1.0`);
    expect(result.manifestPath).toBe('/vvehicle/manifest.json');

    const tags = await listTags(`docker://${registry.address}/agl/vvehicle-gateway`, access);
    expect(tags.failed ? tags.reason : tags.tags.sort()).toEqual(['0.1.0', 'beta']);
    // the registry's manifest for both tags is the one publish reported, with the manifest's facts on it
    for (const tag of ['0.1.0', 'beta']) {
      const raw = await inspectRaw(`docker://${registry.address}/agl/vvehicle-gateway:${tag}`, access);
      if (raw.failed) throw new Error(raw.reason);
      expect(`sha256:${sha256(raw.raw)}`).toBe(result.digest);
      expect(JSON.parse(raw.raw).annotations).toMatchObject({
        'org.opencontainers.image.version': '0.1.0',
        'org.opencontainers.image.created': manifest.created,
        'org.opencontainers.image.revision': manifest.configDigest,
        'io.vvehicle.disk.sha256': disk.sha256,
      });
    }

    const { rootfs, owners, config } = await pullBack(result.reference, join(root, 'pulled'));
    expect(config.architecture).toBe('arm64');
    expect(config.config.Labels['org.opencontainers.image.version']).toBe('0.1.0');
    expect(config.config.Labels['io.vvehicle.disk.sha256']).toBe(disk.sha256);
    // KubeVirt reads the one file under /disk/ as uid 107
    expect(readdirSync(join(rootfs, 'disk'))).toEqual(['vvehicle-gateway-0.1.0.qcow2']);
    expect(owners.get('disk/vvehicle-gateway-0.1.0.qcow2')).toBe('107:107');
    expect(sha256(readFileSync(join(rootfs, 'disk/vvehicle-gateway-0.1.0.qcow2')))).toBe(disk.sha256);
    expect(readFileSync(join(rootfs, 'vvehicle/manifest.json'), 'utf8')).toBe(readFileSync(join(out, 'manifest.json'), 'utf8'));
    // the manifest beside its artifacts (the disk by a link into /disk/): verifiable as it was pulled
    const verify = await runCli(['manifest', 'verify', join(rootfs, 'vvehicle/manifest.json')]);
    expect(verify.code, verify.stderr).toBe(0);

    // the same version again: refused before anything is sent, the tags stay as they were
    const again = await runCli(['publish', '-w', work, '--from', out, '--to', to, '--channel', 'edge']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: vvehicle-gateway 0\.1\.0 is already published as 127\.0\.0\.1:\d+\/agl\/vvehicle-gateway:0\.1\.0; published versions are never overwritten$/m);
    expect(again.stderr).toMatch(/^hint: bump `version`/m);
    const after = await listTags(`docker://${registry.address}/agl/vvehicle-gateway`, access);
    expect(after.failed ? after.reason : after.tags.sort()).toEqual(['0.1.0', 'beta']);
  });

  it('a registry that is down: exit 2 naming it and the fix, and nothing is tagged once it is back', { timeout: 180_000 }, async () => {
    const { out, work } = await readyToPublish();
    const dir = tempDir('vvehicle-registry-down-');
    const down = await startRegistry(dir);
    const address = down.address;
    await down.stop();

    const r = await runCli(['publish', '-w', work, '--from', out, '--to', `oci://${address}/agl/down`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: cannot reach the registry ${address}: `);
    expect(r.stderr).toContain('connection refused');
    expect(r.stderr).toMatch(/^hint: start the registry or fix --to/m);

    // the same storage served again: the repository has no tag
    const back = await startRegistry(dir);
    try {
      const tags = await listTags(`docker://${back.address}/agl/down`, access);
      expect(tags.failed ? 'no such repository' : tags.tags).toBe('no such repository');
    } finally {
      await back.stop();
    }
  });

  it('a registry that accepts connections and never answers: a bounded wait, then exit 2', { timeout: 180_000 }, async () => {
    const { out, work } = await readyToPublish();
    const silent = await startSilentServer();
    try {
      const r = await runCli(['publish', '-w', work, '--from', out, '--to', `oci://${silent.address}/agl/silent`, '--registry-timeout', '3']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: cannot reach the registry ${silent.address}: `);
      expect(r.stderr).toContain('tried ' + silent.address + ' for 3s');
    } finally {
      await silent.stop();
    }
  });

  it('the pipeline\'s publish stage pushes to publish.dir: oci://…, and a rerun does not push again', { timeout: 180_000 }, async () => {
    const root = tempDir();
    const work = join(root, 'work');
    const config = join(root, 'vvehicle.yml');
    writeFileSync(config, `extends: gateway-qemuarm64\npublish:\n  dir: oci://${registry.address}/agl/pipeline\n  channel: lab\n`);
    makeDeployDir(join(work, 'build', 'gateway-qemuarm64'));
    const args = ['build', '-c', config, '-w', work, '--only', 'convert,manifest,publish', '--min-free-gib', '1'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    const tags = await listTags(`docker://${registry.address}/agl/pipeline`, access);
    expect(tags.failed ? tags.reason : tags.tags.sort()).toEqual(['0.1.0', 'lab']);
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
  });

  it('refuses a target with a tag, or an invalid repository name, before anything is read', async () => {
    const port = await freePort();
    for (const [to, message] of [
      [`oci://127.0.0.1:${port}/agl/img:1.0.0`, 'a tag or digest is not part of the target'],
      [`oci://127.0.0.1:${port}/Agl/Img`, 'is not a repository name'],
      ['oci://', 'is not a registry host[:port]'],
    ] as const) {
      const r = await runCli(['publish', '-w', tempDir(), '--from', tempDir(), '--to', to]);
      expect(r.code, to).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});

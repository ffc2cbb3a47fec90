import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inspectRaw, listTags } from '../../src/tools/skopeo.js';
import { ensureBuilt, startPausedAt, vvehicleSync as vvehicle } from '../helpers/built-cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { expectDiskFault, incompressibleRootfs, snapshot } from '../helpers/disk-fault.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { tempDir } from '../helpers/tmp.js';
import { fillUntil, freeBytes, mountTmpfs } from '../helpers/tmpfs.js';

/**
 * Issue 14, OCI staging on a full disk. `publish --to oci://…` packs the containerDisk beside the directory it
 * publishes (`<work>/out/.<name>-<version>.oci-<pid>-<hex>`, on the same file system so the files are hard links,
 * not copies): a user whose work dir is on a small disk runs out of space there, in the gzip layer. Real tmpfs,
 * real registry (Debian's docker-registry).
 */
let registry: TestRegistry;
let unmount: (() => void) | undefined;
beforeAll(async () => {
  ensureBuilt();
  registry = await startRegistry(tempDir('vvehicle-registry-'));
}, 300_000);
afterAll(async () => registry?.stop());
afterEach(() => {
  unmount?.();
  unmount = undefined;
});

const MIB = 2 ** 20;
const access = { tlsVerify: false, timeoutSec: 30 };

describe('publish --to oci:// with the work dir on a full disk (a real tmpfs, a real registry)', () => {
  it('exit 2 naming the staging dir, the free space and the most the layer needs; no staging left; nothing pushed; with space, the same publish goes through', { timeout: 180_000 }, async () => {
    const root = tempDir();
    const deploy = makeDeployDir(join(root, 'build'));
    // random data: the layer is about as large as the qcow2, and cannot fit in what is left
    incompressibleRootfs(deploy, root, 6 * MIB);
    const small = mountTmpfs('24m');
    unmount = small.unmount;
    const work = join(small.dir, 'work');
    for (const step of [['convert', '--deploy-dir', deploy.deployDir], ['manifest']]) {
      const r = vvehicle([...step, '-w', work], root);
      expect(r.code, r.stderr).toBe(0);
    }
    const out = join(work, 'out');
    const qcow2 = statSync(join(out, 'vvehicle-gateway-0.1.0', 'vvehicle-gateway-0.1.0.qcow2')).size;
    expect(qcow2).toBeGreaterThan(6 * MIB);
    const before = snapshot(small.dir);
    fillUntil(small.dir, 2 * MIB);
    const to = `oci://${registry.address}/faults/vvehicle-gateway`;

    const r = vvehicle(['publish', '-w', work, '--to', to], root);
    const message = new RegExp(
      `^error: no space left on device writing ${out}/\\.vvehicle-gateway-0\\.1\\.0\\.oci-\\d+-[0-9a-f]{8} \\((\\d+\\.\\d) MiB free there, up to (\\d+\\.\\d) MiB needed\\); nothing was half-written$`,
      'm',
    );
    expectDiskFault(r, message);
    expect(r.stderr).toContain(`hint: the layout is packed beside ${out}/vvehicle-gateway-0.1.0: free space on that file system, or put the work dir (-w) or --from on a larger one, then rerun\n`);
    const [, free, needed] = message.exec(r.stderr)!.map(Number);
    // the free space is what a rerun has (measured with the half-written layer gone); the bound covers the layer
    expect(free).toBe(Math.round((freeBytes(small.dir) / MIB) * 10) / 10);
    expect(needed! * MIB).toBeGreaterThan(qcow2);
    expect(needed!).toBeGreaterThan(free!);
    // no staging dir, nothing else changed
    expect(readdirSync(out)).toEqual(['vvehicle-gateway-0.1.0']);
    expect(snapshot(small.dir).filter(([p]) => p !== 'filler')).toEqual(before);
    // nothing under the tag: the repository does not even exist
    const tags = await listTags(`docker://${registry.address}/faults/vvehicle-gateway`, access);
    expect(tags.failed ? tags.reason : tags.tags).toMatch(/404 \(Not Found\)/);
    const tagged = await inspectRaw(`docker://${registry.address}/faults/vvehicle-gateway:0.1.0`, access);
    expect(tagged.failed ? tagged.reason : tagged.raw).toMatch(/manifest unknown|name unknown|not found/i);

    // the disk was the only problem: with the filler gone, the same command publishes
    rmSync(join(small.dir, 'filler'));
    const again = vvehicle(['publish', '-w', work, '--to', to], root);
    expect(again.code, again.stderr).toBe(0);
    const after = await listTags(`docker://${registry.address}/faults/vvehicle-gateway`, access);
    expect(after.failed ? after.reason : after.tags.sort()).toEqual(['0.1.0', 'stable']);
    expect(readdirSync(out)).toEqual(['vvehicle-gateway-0.1.0']);
  });
});

describe('publish --to oci:// killed while its layout is staged (SIGKILL: no cleanup runs)', () => {
  it('nothing is pushed; the next publish removes the leftover layout with a note, then pushes', { timeout: 180_000 }, async () => {
    const root = tempDir();
    const deploy = makeDeployDir(join(root, 'build'));
    for (const step of [['convert', '--deploy-dir', deploy.deployDir], ['manifest']]) expect(vvehicle([...step, '-w', 'work'], root).code).toBe(0);
    const out = join(root, 'work', 'out');
    const to = `oci://${registry.address}/killed/vvehicle-gateway`;

    const run = await startPausedAt('publish-oci:staged', ['publish', '-w', 'work', '--to', to], root);
    run.child.kill('SIGKILL');
    await run.exited;
    const left = readdirSync(out).filter((n) => n !== 'vvehicle-gateway-0.1.0');
    expect(left).toEqual([expect.stringMatching(new RegExp(`^\\.vvehicle-gateway-0\\.1\\.0\\.oci-${run.child.pid}-[0-9a-f]{8}$`))]);
    expect(existsSync(join(out, left[0]!, 'layout', 'index.json'))).toBe(true);
    expect((await listTags(`docker://${registry.address}/killed/vvehicle-gateway`, access)).failed).toBe(true);

    const again = vvehicle(['publish', '-w', 'work', '--to', to], root);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain(`note: removed ${join(out, left[0]!)}, left by an interrupted run (pid ${run.child.pid})`);
    expect(readdirSync(out)).toEqual(['vvehicle-gateway-0.1.0']);
    const tags = await listTags(`docker://${registry.address}/killed/vvehicle-gateway`, access);
    expect(tags.failed ? tags.reason : tags.tags.sort()).toEqual(['0.1.0', 'stable']);
  });
});

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/image/manifest-schema.js';
import type { SmokeResult } from '../../src/smoke/types.js';
import { runCli } from '../helpers/cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { busyboxImage, qemuChildrenOf, type BootableImage } from '../helpers/fixtures/index.js';
import { manifestValidator } from '../helpers/manifest-schema.js';
import { listTree, tempDir } from '../helpers/tmp.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * End to end on fixture 1 (Debian's arm64 kernel + busybox rootfs): a deploy dir holding its kernel and
 * ext4 the way bitbake names them → convert → smoke (QEMU TCG) → manifest → publish, all through the CLI.
 */
describe('convert → smoke → manifest → publish on a bootable image', () => {
  let image: BootableImage;
  beforeAll(async () => {
    image = await busyboxImage('healthy');
  }, 600_000);

  it('publishes a booted, verified image with its console log and JUnit', async () => {
    const root = tempDir();
    const work = join(root, 'work');
    const out = join(root, 'out');
    const d = makeDeployDir(join(root, 'build'), { rootfsExt4: image.ext4, kernel: image.kernel });

    const convert = await runCli(['convert', '-w', work, '--deploy-dir', d.deployDir, '--out', out]);
    expect(convert.code, convert.stderr).toBe(0);
    const qcow2 = join(out, 'vvehicle-gateway-0.1.0.qcow2');
    const baseSha = sha256(qcow2);

    // the fixture kernel needs its initramfs for the virtio/ext4 modules; an AGL kernel has them built in
    const smoke = await runCli(['smoke', '-w', work, '--from', out, '--initrd', image.initrd, '--accel', 'tcg', '--memory', '512',
      '--junit', join(root, 'smoke.xml'), '--console-log', join(root, 'smoke.console.log'), '--json']);
    expect(smoke.code, smoke.stderr).toBe(0);
    const result = JSON.parse(smoke.stdout) as SmokeResult;
    expect(result.verdict).toBe('pass');
    expect(result.disk).toBe(qcow2);
    expect(sha256(qcow2)).toBe(baseSha);
    expect(qemuChildrenOf(process.pid)).toEqual([]);
    writeFileSync(join(root, 'smoke.json'), smoke.stdout);

    const manifest = await runCli(['manifest', '-w', work, '--from', out, '--smoke', join(root, 'smoke.json')]);
    expect(manifest.code, manifest.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifestValidator()(m)).toEqual([]);
    expect(m.smoke).toMatchObject({ verdict: 'pass', accel: 'tcg', cpu: 'cortex-a57', durationMs: result.durationMs });
    expect(m.smoke?.stages.map((s) => s.id)).toEqual(result.stages.map((s) => s.id));
    expect(m.artifacts.find((a) => a.role === 'disk')?.sha256).toBe(baseSha);
    expect(readFileSync(join(out, 'console.log'), 'utf8')).toContain('Welcome to Automotive Grade Linux');

    const to = join(root, 'published');
    const publish = await runCli(['publish', '-w', work, '--from', out, '--to', to, '--channel', 'stable']);
    expect(publish.code, publish.stderr).toBe(0);
    const versionDir = join(to, 'vvehicle-gateway', '0.1.0');
    expect(listTree(versionDir)).toEqual([
      'Image',
      'SHA256SUMS',
      'console.log',
      'junit.xml',
      'license.manifest',
      'manifest.json',
      'packages.txt',
      'qemuboot.conf',
      'testdata.json',
      'vvehicle-gateway-0.1.0.qcow2',
      'vvehicle-gateway-0.1.0.spdx.tar.zst',
    ]);
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: versionDir }).status).toBe(0);
    expect(readFileSync(join(versionDir, 'junit.xml'), 'utf8')).toContain('<testcase');
    expect((await runCli(['manifest', 'verify', join(versionDir, 'manifest.json')])).code).toBe(0);

    // the published base is what fleet overlays sit on: boot it again from the published dir
    const again = await runCli(['smoke', '-w', work, '--disk', join(versionDir, 'vvehicle-gateway-0.1.0.qcow2'), '--kernel', join(versionDir, 'Image'),
      '--initrd', image.initrd, '--accel', 'tcg', '--memory', '512', '--console-log', join(root, 'again.console.log'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli(['manifest', 'verify', join(versionDir, 'manifest.json')])).code).toBe(0);

    expect((await runCli(['publish', '-w', work, '--from', out, '--to', to])).code).toBe(2);
  }, 300_000);
});

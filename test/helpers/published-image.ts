import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runCli } from './cli.js';
import { makeDeployDir } from './deploy-dir.js';
import type { BootableImage } from './fixtures/index.js';

export interface PublishedFixture {
  /** <root>/published/vvehicle-gateway/0.1.0 */
  versionDir: string;
  manifest: string;
  disk: string;
  /** The convert output dir (a manifest that is not published). */
  outDir: string;
}

/**
 * Publishes a boot fixture with the real pipeline commands: a deploy dir holding its ext4, kernel and
 * initramfs (named by `image.initramfs` in the project file) → convert → smoke --from (which boots
 * with the initramfs convert shipped) → manifest → publish. `root` must be searchable by libvirt's
 * QEMU user when the fleet boots it (o+x).
 */
export async function publishFixture(root: string, image: BootableImage, smokeArgs: string[] = ['--memory', '512']): Promise<PublishedFixture> {
  chmodSync(root, 0o755);
  const d = makeDeployDir(join(root, 'build'), { rootfsExt4: image.ext4, kernel: image.kernel });
  copyFileSync(image.initrd, join(d.deployDir, basename(image.initrd)));
  const config = join(root, 'vvehicle.yml');
  writeFileSync(config, `extends: gateway-qemuarm64\nimage:\n  initramfs: ${basename(image.initrd)}\n`);
  const work = join(root, 'work');
  const outDir = join(root, 'out');
  const step = async (argv: string[]) => {
    const r = await runCli([...argv, '-c', config, '-w', work]);
    if (r.code !== 0) throw new Error(`vvehicle ${argv.join(' ')} exited ${r.code}:\n${r.stderr}`);
    return r;
  };
  await step(['convert', '--deploy-dir', d.deployDir, '--out', outDir]);
  await step(['smoke', '--from', outDir, '--accel', 'tcg', ...smokeArgs, '--console-log', join(root, 'smoke.console.log')]);
  await step(['manifest', '--from', outDir]);
  await step(['publish', '--from', outDir, '--to', join(root, 'published'), '--channel', 'stable']);
  const versionDir = join(root, 'published', 'vvehicle-gateway', '0.1.0');
  return { versionDir, manifest: join(versionDir, 'manifest.json'), disk: join(versionDir, 'vvehicle-gateway-0.1.0.qcow2'), outDir };
}

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';

/**
 * `convert.json`, written by `vvehicle convert` into its output dir. Every file path in it is a plain
 * file name relative to that dir (the dir can be moved); `readConvertResult` returns absolute paths
 * for callers such as `vvehicle smoke --from DIR`.
 */
export const CONVERT_RESULT_FILE = 'convert.json';

const fileName = z.string().regex(/^[A-Za-z0-9._+-]+$/, 'must be a plain file name inside the convert dir');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const convertResultSchema = z.strictObject({
  convertVersion: z.literal(1),
  name: z.string(),
  version: z.string(),
  image: z.string(),
  machine: z.string(),
  /** The qcow2 backing file. */
  qcow2: fileName,
  /** The kernel, copied from the deploy dir (the qcow2 holds no bootloader: boot it directly). */
  kernel: fileName,
  /** The initramfs the kernel boots with, when the config names one (image.initramfs). */
  initramfs: fileName.optional(),
  /** Absolute path of the ext4 the qcow2 was made from (the link's target when it was a link). */
  rootfsSource: z.string(),
  /** The bitbake DATETIME of the rootfs, when its deploy name carried one. */
  buildTimestamp: z.string().regex(/^\d{14}$/).optional(),
  packageManifest: fileName.optional(),
  licenseManifest: fileName.optional(),
  sbom: fileName.optional(),
  qemuboot: fileName.optional(),
  testdata: fileName.optional(),
  /** Where each copied file came from, absolute. */
  sources: z.record(fileName, z.string()),
  sha256s: z.record(fileName, sha256),
  sizes: z.record(fileName, z.number().int().nonnegative()),
  info: z.strictObject({
    format: z.literal('qcow2'),
    virtualSize: z.number().int().positive(),
    clusterSize: z.number().int().positive(),
    compat: z.string(),
    compressed: z.boolean(),
  }),
  created: z.string(),
  /** Optional artifacts that were not found, and why. */
  notes: z.array(z.string()).default([]),
});
export type ConvertResult = z.infer<typeof convertResultSchema>;

export interface LoadedConvertResult {
  dir: string;
  result: ConvertResult;
  /** Absolute paths of the two files a boot needs. */
  qcow2Path: string;
  kernelPath: string;
  initrdPath?: string;
}

/** Reads and checks `<dir>/convert.json`; a missing or foreign file is a user error. */
export function readConvertResult(dir: string): LoadedConvertResult {
  const abs = resolve(dir);
  const file = join(abs, CONVERT_RESULT_FILE);
  if (!existsSync(file)) throw new UserError(`${file} does not exist`, 'run `vvehicle convert` first, or pass the directory it wrote (--from)');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, 'rerun `vvehicle convert`');
  }
  const parsed = convertResultSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UserError(`${file}: ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`, 'rerun `vvehicle convert`');
  }
  const { qcow2, kernel, initramfs } = parsed.data;
  return { dir: abs, result: parsed.data, qcow2Path: join(abs, qcow2), kernelPath: join(abs, kernel), ...(initramfs ? { initrdPath: join(abs, initramfs) } : {}) };
}

import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { run, tailLines } from '../exec.js';
import { ToolError } from '../errors.js';

/** The qemu-img wrapper: argv arrays only, every call through src/exec.ts. */
export const QEMU_IMG = 'qemu-img';

export async function qemuImgVersion(): Promise<string | undefined> {
  const r = await run(QEMU_IMG, ['--version'], { allowFailure: true }).catch(() => undefined);
  return r && !r.failed ? (r.stdout.match(/version ([0-9.]+)/)?.[1] ?? r.stdout.split('\n')[0]) : undefined;
}

export interface CallOptions {
  signal?: AbortSignal;
  logFile?: string;
}

export interface Qcow2Options {
  compat: '0.10' | '1.1';
  clusterSize: number;
  compress: boolean;
}

/** The argv of `qemu-img convert` to a qcow2 backing file; the bench runs exactly this to compare. */
export function convertArgs(source: string, dest: string, qcow2: Qcow2Options, progress: boolean): string[] {
  return [
    'convert',
    ...(progress ? ['-p'] : []),
    // the rootfs is a raw ext4: say so, never let qemu-img probe the format of build output
    '-f', 'raw',
    '-O', 'qcow2',
    '-o', `compat=${qcow2.compat},cluster_size=${qcow2.clusterSize}`,
    ...(qcow2.compress ? ['-c'] : []),
    source,
    dest,
  ];
}

/** `qemu-img -p` redraws "    (12.34/100%)\r"; returns the last percentage in a chunk. */
export function parseProgress(chunk: string): number | undefined {
  const matches = [...chunk.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)];
  const last = matches.at(-1);
  return last ? Number(last[1]) : undefined;
}

export async function convertToQcow2(
  source: string,
  dest: string,
  qcow2: Qcow2Options,
  options: CallOptions & { onProgress?: (percent: number) => void } = {},
): Promise<void> {
  const onProgress = options.onProgress;
  if (!onProgress) {
    await run(QEMU_IMG, convertArgs(source, dest, qcow2, false), { ...options, writes: dest });
    return;
  }
  await run(QEMU_IMG, convertArgs(source, dest, qcow2, true), {
    ...options,
    writes: dest,
    onOutput: (text, stream) => {
      const percent = stream === 'stdout' ? parseProgress(text) : undefined;
      if (percent !== undefined) onProgress(percent);
    },
  });
}

const measureSchema = z.looseObject({ required: z.number(), 'fully-allocated': z.number() });

/**
 * `qemu-img measure`: the bytes `convert` will write for this raw source (without compression,
 * which only qemu-img's run can tell). Lets convert refuse a too-small disk before minutes of work.
 */
export async function measureQcow2(source: string, qcow2: Qcow2Options, options: CallOptions = {}): Promise<{ required: number; fullyAllocated: number }> {
  const r = await run(QEMU_IMG, ['measure', '--output=json', '-f', 'raw', '-O', 'qcow2', '-o', `compat=${qcow2.compat},cluster_size=${qcow2.clusterSize}`, source], options);
  const parsed = measureSchema.safeParse(safeJson(r.stdout));
  if (!parsed.success) throw new ToolError(r.command, 1, tailLines(r.stdout), 'qemu-img measure printed JSON this version of vvehicle does not understand');
  return { required: parsed.data.required, fullyAllocated: parsed.data['fully-allocated'] };
}

/**
 * The bytes a new, empty qcow2 (or an overlay: same header, tables and size) of `virtualSize` takes, from
 * `qemu-img measure --size`: lets `fleet up` refuse a disk too small for its overlays before writing any.
 */
export async function measureEmptyQcow2(virtualSize: number, options: CallOptions = {}): Promise<number> {
  const r = await run(QEMU_IMG, ['measure', '--output=json', '-O', 'qcow2', '--size', String(virtualSize)], options);
  const parsed = measureSchema.safeParse(safeJson(r.stdout));
  if (!parsed.success) throw new ToolError(r.command, 1, tailLines(r.stdout), 'qemu-img measure printed JSON this version of vvehicle does not understand');
  return parsed.data.required;
}

const checkSchema = z.looseObject({
  'check-errors': z.number(),
  corruptions: z.number().optional(),
  leaks: z.number().optional(),
  'image-end-offset': z.number().optional(),
  'total-clusters': z.number().optional(),
  'allocated-clusters': z.number().optional(),
});
export type CheckReport = z.infer<typeof checkSchema>;

/**
 * `qemu-img check`: exit 0 clean, 2 corruptions, 3 leaked clusters only. Leaks are harmless for a
 * read-only backing file but a fresh conversion must have none, so anything but a clean report fails.
 */
export async function checkImage(path: string, options: CallOptions = {}): Promise<CheckReport> {
  const r = await run(QEMU_IMG, ['check', '-f', 'qcow2', '--output=json', path], { ...options, allowFailure: true });
  const parsed = checkSchema.safeParse(safeJson(r.stdout));
  if (r.exitCode !== 0 || !parsed.success || parsed.data['check-errors'] > 0 || (parsed.data.corruptions ?? 0) > 0 || (parsed.data.leaks ?? 0) > 0) {
    throw new ToolError(r.command, r.exitCode || 1, tailLines(r.stderr || r.stdout), `qemu-img check found problems in ${path}`);
  }
  return parsed.data;
}

const infoSchema = z.looseObject({
  'virtual-size': z.number(),
  filename: z.string(),
  format: z.string(),
  'actual-size': z.number().optional(),
  'cluster-size': z.number().optional(),
  'backing-filename': z.string().optional(),
  'full-backing-filename': z.string().optional(),
  'backing-filename-format': z.string().optional(),
  'format-specific': z.looseObject({ type: z.string(), data: z.looseObject({ compat: z.string().optional() }) }).optional(),
});

export interface ImageInfo {
  format: string;
  virtualSize: number;
  actualSize?: number;
  clusterSize?: number;
  compat?: string;
  backingFile?: string;
  backingFormat?: string;
}

/** `qemu-img info --output=json`, with the format stated (no probing). */
export async function imageInfo(path: string, format: 'qcow2' | 'raw' = 'qcow2', options: CallOptions = {}): Promise<ImageInfo> {
  const r = await run(QEMU_IMG, ['info', '-f', format, '--output=json', path], options);
  const parsed = infoSchema.safeParse(safeJson(r.stdout));
  if (!parsed.success) throw new ToolError(r.command, 1, tailLines(r.stdout), 'qemu-img info printed JSON this version of vvehicle does not understand');
  const i = parsed.data;
  return {
    format: i.format,
    virtualSize: i['virtual-size'],
    ...(i['actual-size'] !== undefined ? { actualSize: i['actual-size'] } : {}),
    ...(i['cluster-size'] !== undefined ? { clusterSize: i['cluster-size'] } : {}),
    ...(i['format-specific']?.data.compat !== undefined ? { compat: i['format-specific'].data.compat } : {}),
    ...(i['backing-filename'] !== undefined ? { backingFile: i['backing-filename'] } : {}),
    ...(i['backing-filename-format'] !== undefined ? { backingFormat: i['backing-filename-format'] } : {}),
  };
}

/**
 * A copy-on-write overlay on a qcow2 base: `qemu-img create -f qcow2 -F qcow2 -b <absolute base>`.
 * The backing format is always recorded (qemu ≥ 6.1 and libvirt refuse overlays without it) and the
 * base path is absolute so the overlay works from any directory.
 */
export async function createOverlay(base: string, overlay: string, options: CallOptions = {}): Promise<void> {
  if (!isAbsolute(base)) throw new Error(`createOverlay needs an absolute base path, got ${base}`);
  await run(QEMU_IMG, ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, overlay], { ...options, writes: overlay });
}

/** An empty qcow2 of sizeMiB (doctor boots the smoke machine on one). */
export async function createQcow2(path: string, sizeMiB: number, options: CallOptions = {}): Promise<void> {
  await run(QEMU_IMG, ['create', '-q', '-f', 'qcow2', path, `${sizeMiB}M`], options);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

import { buildPaths } from '../bitbake/configure.js';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeManifest } from '../image/manifest.js';
import { DEFAULT_SMOKE_FILE } from '../image/smoke-file.js';
import { manifestJsonSchema, type Manifest } from '../image/manifest-schema.js';
import { readSmokeResult } from '../image/smoke-input.js';
import { verifyManifest } from '../image/verify.js';
import { runSignal } from '../signals.js';
import { openContext, type CommonOptions } from '../context.js';
import { runTasks, throttledPercent } from '../progress/listr-renderer.js';
import { printNotes } from '../progress/notes.js';

export interface ManifestOptions extends CommonOptions {
  from?: string;
  smoke?: string;
  buildId?: string;
  builderImageId?: string;
  json?: boolean;
}

/** `vvehicle manifest`: writes <from>/manifest.json from convert.json and an optional smoke result. */
export async function manifestCommand(options: ManifestOptions, cwd = process.cwd()): Promise<string> {
  const { plan, loaded, workDir } = openContext(options, cwd);
  const dir = resolve(cwd, options.from ?? join(workDir, plan.dirs.out));
  const smokeFile = options.smoke ? resolve(cwd, options.smoke) : existsSync(join(dir, DEFAULT_SMOKE_FILE)) ? join(dir, DEFAULT_SMOKE_FILE) : undefined;
  const smoke = smokeFile ? readSmokeResult(smokeFile) : undefined;
  const { path, manifest, leftovers } = await writeManifest({
    plan,
    dir,
    boot: { memoryMiB: loaded.config.smoke.memoryMiB, cpus: loaded.config.smoke.cpus },
    localConf: join(buildPaths(plan, workDir).conf, 'local.conf'),
    ...(smoke ? { smoke } : {}),
    ...(options.buildId ? { buildId: options.buildId } : {}),
    ...(options.builderImageId ? { builderImageId: options.builderImageId } : {}),
  });
  printNotes(leftovers);
  if (options.json) return JSON.stringify(manifest, null, 2);
  return describeManifest(relative(cwd, path) || path, manifest);
}

function describeManifest(path: string, m: Manifest): string {
  const disk = m.artifacts.find((a) => a.role === 'disk')!;
  return [
    `manifest ${path}`,
    `image    ${m.name} ${m.version} (build ${m.buildId}), AGL ${m.agl.release} ${m.agl.codename}, ${m.agl.yoctoSeries}, ${m.machine}`,
    `disk     ${disk.path} sha256 ${disk.sha256}`,
    `packages ${m.packages.count}${m.packages.source ? '' : ' (no package list)'}`,
    `licences ${m.licenses.source ? `${m.licenses.packageCount} packages, ${m.licenses.flagged.length} under ${m.licenses.flagPatterns.join('/')}${m.licenses.flagged.length ? `: ${m.licenses.flagged.map((f) => `${f.package} (${f.matched.join(', ')})`).join(', ')}` : ''}` : m.licenses.note}`,
    `smoke    ${m.smoke ? `${m.smoke.verdict} (${m.smoke.accel}, ${(m.smoke.durationMs / 1000).toFixed(1)}s)` : 'not smoke-tested'}`,
    ...m.notes.map((n) => `note     ${n}`),
  ].join('\n');
}

/** `vvehicle manifest verify <file>`: re-hashes every artifact; a mismatch is exit 2 naming the artifact. */
export async function manifestVerifyCommand(file: string, options: { json?: boolean }, cwd = process.cwd()): Promise<string> {
  const path = resolve(cwd, file);
  const ctx: { verified?: Awaited<ReturnType<typeof verifyManifest>> } = {};
  await runTasks(
    [
      {
        title: `verify ${relative(cwd, path) || path}`,
        task: async (_c, task) => {
          const show = throttledPercent();
          ctx.verified = await verifyManifest(
            path,
            {
              artifact: (a, i, n) => {
                task.title = `verify ${a.path} (${i + 1}/${n})`;
                show(-1);
              },
              bytes: (done, total) => {
                const percent = total ? (done / total) * 100 : 100;
                if (show(percent)) task.output = `sha256 ${percent.toFixed(0)}%`;
              },
            },
            runSignal,
          );
          task.title = `verified ${ctx.verified.verified.length} artifacts`;
        },
      },
    ],
    {},
  );
  const { manifest, verified } = ctx.verified!;
  if (options.json) return JSON.stringify({ ok: true, name: manifest.name, version: manifest.version, verified }, null, 2);
  return [...verified.map((v) => `ok  ${v.role.padEnd(16)} ${v.path}`), `${manifest.name} ${manifest.version}: all ${verified.length} artifacts match`].join('\n');
}

export function manifestSchemaCommand(): string {
  return JSON.stringify(manifestJsonSchema(), null, 2);
}

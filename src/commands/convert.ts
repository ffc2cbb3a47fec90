import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { DeployArtifacts } from '../image/artifacts.js';
import { convertImage, findArtifacts } from '../image/convert.js';
import type { ConvertResult } from '../image/convert-result.js';
import { runSignal } from '../signals.js';
import { openContext, type CommonOptions } from '../context.js';
import { runTasks, throttledPercent } from '../progress/listr-renderer.js';

export interface ConvertOptions extends CommonOptions {
  deployDir?: string;
  image?: string;
  out?: string;
  json?: boolean;
}

interface ConvertCtx {
  found?: DeployArtifacts;
  result?: ConvertResult;
}

/** `vvehicle convert`: deploy dir → <out>/ with the qcow2 backing file, kernel, metadata, convert.json. */
export async function convertCommand(options: ConvertOptions, cwd = process.cwd()): Promise<string> {
  const { plan, loaded, workDir } = openContext(options, cwd);
  const deployDir = resolve(cwd, options.deployDir ?? join(workDir, plan.dirs.build, 'tmp/deploy/images', plan.machine));
  const image = options.image ?? plan.image.target;
  const outDir = resolve(cwd, options.out ?? join(workDir, plan.dirs.out));
  const logsDir = join(workDir, plan.dirs.logs);
  const logFile = join(logsDir, `convert-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const qcow2 = loaded.config.output.qcow2;

  const ctx = await runTasks<ConvertCtx>(
    [
      {
        title: `find ${image} in ${relative(cwd, deployDir) || '.'}`,
        task: (c) => {
          // bad input fails here, before anything (even the log) is written
          c.found = findArtifacts({ deployDir, image, machine: plan.machine });
          mkdirSync(logsDir, { recursive: true });
        },
      },
      {
        title: 'convert to a qcow2 backing file',
        task: async (c, task) => {
          const show = throttledPercent();
          c.result = await convertImage(
            { deployDir, image, machine: plan.machine, name: plan.name, version: plan.version, outDir, qcow2, logFile, signal: runSignal },
            c.found!,
            {
              step: (title) => (task.title = title),
              progress: (text) => {
                const percent = Number.parseFloat(text.replace(/^\D+/, ''));
                if (Number.isNaN(percent) || show(percent)) task.output = text;
              },
            },
          );
          task.title = `converted to ${relative(cwd, join(outDir, c.result.qcow2))}`;
        },
      },
    ],
    {},
  );
  const result = ctx.result!;
  if (options.json) return JSON.stringify({ dir: outDir, ...result }, null, 2);
  return describeConvert(outDir, result, cwd);
}

function describeConvert(outDir: string, r: ConvertResult, cwd: string): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return [
    `qcow2    ${relative(cwd, join(outDir, r.qcow2))}  (virtual ${mib(r.info.virtualSize)}, file ${mib(r.sizes[r.qcow2] ?? 0)}, cluster ${r.info.clusterSize}, compat ${r.info.compat}${r.info.compressed ? ', compressed' : ''})`,
    `sha256   ${r.sha256s[r.qcow2]}`,
    `kernel   ${relative(cwd, join(outDir, r.kernel))}`,
    `from     ${r.rootfsSource}`,
    ...r.notes.map((n) => `note     ${n}`),
    `next     vvehicle smoke --from ${relative(cwd, outDir) || '.'}`,
  ].join('\n');
}

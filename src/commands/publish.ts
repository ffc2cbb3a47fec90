import { join, relative, resolve } from 'node:path';
import { publishImage, type PublishResult } from '../image/publish.js';
import { runSignal } from '../signals.js';
import { openContext, type CommonOptions } from '../context.js';
import { runTasks, throttledPercent } from '../progress/listr-renderer.js';

export interface PublishOptions extends CommonOptions {
  from?: string;
  to?: string;
  channel?: string;
  bundle?: boolean;
  json?: boolean;
}

/** `vvehicle publish`: copies a manifest's files into the versioned, read-only layout and moves the channel. */
export async function publishCommand(options: PublishOptions, cwd = process.cwd()): Promise<string> {
  const { plan, loaded, workDir } = openContext(options, cwd);
  const from = resolve(cwd, options.from ?? join(workDir, plan.dirs.out));
  // publish.dir is relative to the config file, like every path in the config
  const to = options.to ? resolve(cwd, options.to) : resolve(loaded.baseDir, loaded.config.publish.dir);
  const channel = options.channel ?? loaded.config.publish.channel;
  const ctx: { result?: PublishResult } = {};
  await runTasks(
    [
      {
        title: `publish to ${relative(cwd, to) || to}`,
        task: async (_c, task) => {
          const show = throttledPercent();
          ctx.result = await publishImage({
            from,
            to,
            channel,
            bundle: options.bundle ?? false,
            signal: runSignal,
            report: {
              step: (title) => (task.title = title),
              artifact: (a) => (task.output = `sha256 ${a.path}`),
              bytes: (done, total) => {
                const percent = total ? (done / total) * 100 : 100;
                if (show(percent)) task.output = `sha256 ${percent.toFixed(0)}%`;
              },
            },
          });
          task.title = `published ${relative(cwd, ctx.result.versionDir) || ctx.result.versionDir}`;
        },
      },
    ],
    {},
  );
  const r = ctx.result!;
  if (options.json) return JSON.stringify(r, null, 2);
  return [
    `published ${r.versionDir}`,
    ...r.files.map((f) => `  ${f}`),
    `channel   ${r.channelFile}${r.previousChannelVersion ? ` (was ${r.previousChannelVersion})` : ''}`,
    ...(r.bundle ? [`bundle    ${r.bundle}`] : []),
  ].join('\n');
}

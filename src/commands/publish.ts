import { join, relative, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { publishImage, type PublishResult } from '../image/publish.js';
import { DEFAULT_REGISTRY_TIMEOUT_SEC, publishToRegistry, type OciPublishResult } from '../image/publish-oci.js';
import { parsePublishTarget } from '../image/publish-target.js';
import { runSignal } from '../signals.js';
import { openContext, type CommonOptions } from '../context.js';
import { runTasks, throttledPercent } from '../progress/listr-renderer.js';
import { printNotes } from '../progress/notes.js';

export interface PublishOptions extends CommonOptions {
  from?: string;
  to?: string;
  channel?: string;
  bundle?: boolean;
  insecure?: boolean;
  registryTimeout?: string;
  json?: boolean;
}

/**
 * `vvehicle publish`: copies a manifest's files into the versioned, read-only layout and moves the
 * channel, or (`--to oci://HOST[:PORT]/REPO`) pushes them as a KubeVirt containerDisk tagged with the
 * version and the channel.
 */
export async function publishCommand(options: PublishOptions, cwd = process.cwd()): Promise<string> {
  const { plan, loaded, workDir } = openContext(options, cwd);
  const from = resolve(cwd, options.from ?? join(workDir, plan.dirs.out));
  const target = parsePublishTarget(options.to ?? loaded.config.publish.dir);
  const channel = options.channel ?? loaded.config.publish.channel;
  const timeoutSec = registryTimeout(options.registryTimeout);
  if (target.kind === 'oci' && options.bundle) throw new UserError('--bundle is for a directory publish; a registry gets the containerDisk image', 'drop --bundle, or publish to a directory as well');
  // publish.dir is relative to the config file, like every path in the config; --to to the working directory
  const to = target.kind === 'dir' ? (options.to ? resolve(cwd, target.path) : resolve(loaded.baseDir, target.path)) : undefined;
  const ctx: { dir?: PublishResult; oci?: OciPublishResult } = {};
  const notes: string[] = [];
  await runTasks(
    [
      {
        title: to ? `publish to ${relative(cwd, to) || to}` : `publish to ${options.to ?? loaded.config.publish.dir}`,
        task: async (_c, task) => {
          const show = throttledPercent();
          const report = {
            step: (title: string) => (task.title = title),
            note: (text: string) => notes.push(text),
            artifact: (a: { path: string }) => (task.output = `sha256 ${a.path}`),
            bytes: (done: number, total: number) => {
              const percent = total ? (done / total) * 100 : 100;
              if (show(percent)) task.output = `${percent.toFixed(0)}%`;
            },
          };
          if (target.kind === 'oci') {
            ctx.oci = await publishToRegistry({ from, target, channel, insecure: options.insecure ?? false, timeoutSec, signal: runSignal, report });
            task.title = `published ${ctx.oci.reference}`;
            return;
          }
          ctx.dir = await publishImage({ from, to: to!, channel, bundle: options.bundle ?? false, signal: runSignal, report });
          task.title = `published ${relative(cwd, ctx.dir.versionDir) || ctx.dir.versionDir}`;
        },
      },
    ],
    {},
  ).finally(() => printNotes(notes));
  if (ctx.oci) return describeOci(ctx.oci, options.json ?? false);
  const r = ctx.dir!;
  if (options.json) return JSON.stringify(r, null, 2);
  return [
    `published ${r.versionDir}`,
    ...r.files.map((f) => `  ${f}`),
    `channel   ${r.channelFile}${r.previousChannelVersion ? ` (was ${r.previousChannelVersion})` : ''}`,
    ...(r.bundle ? [`bundle    ${r.bundle}`] : []),
  ].join('\n');
}

function describeOci(r: OciPublishResult, json: boolean): string {
  if (json) return JSON.stringify(r, null, 2);
  return [
    `published ${r.reference}@${r.digest}`,
    `channel   ${r.channelReference}${r.previousChannelDigest ? ` (was ${r.previousChannelDigest})` : ''}`,
    `manifest  ${r.manifestPath} inside the image`,
    ...Object.entries(r.annotations).map(([k, v]) => `  ${k}=${v}`),
  ].join('\n');
}

function registryTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_REGISTRY_TIMEOUT_SEC;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new UserError(`--registry-timeout ${value}: must be whole seconds from 1 to 3600`);
  return n;
}

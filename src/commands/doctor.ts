import { runChecks, type CheckResult } from '../doctor/checks.js';
import { openContext, type CommonOptions } from '../context.js';

export const MIN_FREE_GIB = 90;

export interface DoctorOptions extends CommonOptions {
  engine?: 'auto' | 'docker' | 'podman';
  engineArg?: string[];
  json?: boolean;
}

/** Returns the report and whether a build can run (no check failed). */
export async function doctorCommand(options: DoctorOptions): Promise<{ text: string; ok: boolean }> {
  const { loaded, workDir } = openContext(options);
  const build = loaded.config.build;
  const results = await runChecks({
    workDir,
    engine: options.engine ?? build.engine,
    engineArgs: [...build.engineArgs, ...(options.engineArg ?? [])],
    builderImage: build.image,
    minFreeGiB: MIN_FREE_GIB,
  });
  const ok = results.every((r) => r.status !== 'fail');
  return { text: options.json ? JSON.stringify({ ok, checks: results }, null, 2) : formatReport(results, ok), ok };
}

function formatReport(results: CheckResult[], ok: boolean): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [
    `${r.status.padEnd(4)} ${r.name.padEnd(width)}  ${r.detail}`,
    ...(r.fix && r.status !== 'ok' ? [`     ${' '.repeat(width)}  fix: ${r.fix}`] : []),
  ]);
  lines.push('', ok ? 'a build can run on this host' : 'a build cannot run until the failures above are fixed');
  return lines.join('\n');
}

import { join } from 'node:path';
import { buildPaths } from '../bitbake/configure.js';
import { checkNode, checkTool, runChecks, type CheckResult } from '../doctor/checks.js';
import { qemuImgVersion } from '../tools/qemu-img.js';
import { engineClient } from '../pipeline/run-options.js';
import { openContext, type CommonOptions } from '../context.js';
import { libvirtChecks } from '../doctor/libvirt.js';
import { DEFAULT_URI } from './fleet.js';

export const MIN_FREE_GIB = 90;
/** How MIN_FREE_GIB splits between bitbake's TMPDIR, DL_DIR and SSTATE_DIR for an AGL image (an estimate: tmp holds every work dir and dominates). */
const NEEDS_GIB = { TMPDIR: 60, DL_DIR: 15, SSTATE_DIR: 15 };

export interface DoctorOptions extends CommonOptions {
  engine?: 'auto' | 'docker' | 'podman';
  engineArg?: string[];
  engineClient?: string;
  json?: boolean;
  /** Also check what `vvehicle fleet` needs: virsh, libvirt at `connect`, aarch64 guests there. */
  fleet?: boolean;
  connect?: string;
}

/**
 * Returns the report and whether a build can run (no check failed). With --fleet (or --connect) it checks
 * instead what `vvehicle fleet` needs on the machine that drives a fleet, which need not be a build host:
 * node, qemu-img (overlays are made here), virsh, libvirt answering at the URI, aarch64 guests there.
 */
export async function doctorCommand(options: DoctorOptions): Promise<{ text: string; ok: boolean }> {
  if (options.fleet || options.connect) {
    const uri = options.connect ?? DEFAULT_URI;
    const results = [checkNode(), await checkTool('qemu-img', qemuImgVersion, 'sudo apt-get install qemu-utils'), ...(await libvirtChecks(uri))];
    const ok = results.every((r) => r.status !== 'fail');
    const verdict = ok ? `a fleet can run on ${uri}` : `a fleet cannot run on ${uri} until the failures above are fixed`;
    return { text: options.json ? JSON.stringify({ ok, checks: results }, null, 2) : formatReport(results, verdict), ok };
  }
  const { loaded, workDir, plan } = openContext(options);
  const build = loaded.config.build;
  const paths = buildPaths(plan, workDir);
  const results = await runChecks({
    disks: [
      { role: 'TMPDIR', path: join(paths.topdir, 'tmp'), needGiB: NEEDS_GIB.TMPDIR },
      { role: 'DL_DIR', path: paths.downloads, needGiB: NEEDS_GIB.DL_DIR },
      { role: 'SSTATE_DIR', path: paths.sstate, needGiB: NEEDS_GIB.SSTATE_DIR },
    ],
    engine: options.engine ?? build.engine,
    engineArgs: [...build.engineArgs, ...(options.engineArg ?? [])],
    engineClient: engineClient(options, build),
    builderImage: build.image,
    smoke: loaded.config.smoke,
  });
  const ok = results.every((r) => r.status !== 'fail');
  return { text: options.json ? JSON.stringify({ ok, checks: results }, null, 2) : formatReport(results, ok ? 'a build can run on this host' : 'a build cannot run until the failures above are fixed'), ok };
}

function formatReport(results: CheckResult[], verdict: string): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [
    `${r.status.padEnd(4)} ${r.name.padEnd(width)}  ${r.detail}`,
    ...(r.fix && r.status !== 'ok' ? [`     ${' '.repeat(width)}  fix: ${r.fix}`] : []),
  ]);
  lines.push('', verdict);
  return lines.join('\n');
}

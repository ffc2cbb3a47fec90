import { writeBuildConf } from '../bitbake/configure.js';
import { requireWritableWorkDir } from '../container/preflight.js';
import { openContext, type CommonOptions } from '../context.js';

/** `vvehicle configure`: TOPDIR with bblayers.conf, vvehicle.conf (ours) and local.conf (created once, then yours). */
export function configureCommand(options: CommonOptions): string {
  const context = openContext(options);
  requireWritableWorkDir(context.workDir);
  const result = writeBuildConf(context.plan, context.workDir);
  return [
    `TOPDIR ${result.topdir}`,
    result.written.length ? `wrote ${result.written.join(', ')}` : 'unchanged',
    result.localConfCreated ? 'conf/local.conf created: it is yours now; vvehicle keeps its settings in conf/vvehicle.conf' : 'conf/local.conf left as it is (yours)',
    ...result.notes,
  ].join('\n');
}

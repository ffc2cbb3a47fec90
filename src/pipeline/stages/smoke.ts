import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/atomic.js';
import { smokeIdentity } from '../../smoke/identity.js';
import { requiredUnits } from '../../smoke/required-units.js';
import { SmokeFailure } from '../../errors.js';
import { chooseAccel, readHostFacts } from '../../host/accel.js';
import { CONVERT_RESULT_FILE, readConvertResult } from '../../image/convert-result.js';
import { DEFAULT_SMOKE_FILE } from '../../image/smoke-file.js';
import { runSmoke } from '../../smoke/run-smoke.js';
import { imageDirs, stamp, textOrNull } from './image-dirs.js';
import type { Stage } from './types.js';

/** Boots the converted image once; the result goes to <out>/smoke.json, where manifest reads it. */
export const smokeStage: Stage = {
  id: 'smoke',
  title: 'smoke-boot the image under QEMU',
  needsEngine: false,
  inputs: (state) => ({ convert: textOrNull(join(imageDirs(state).outDir, CONVERT_RESULT_FILE)), smoke: state.context.loaded.config.smoke }),
  outputsPresent: (state) => existsSync(join(imageDirs(state).outDir, DEFAULT_SMOKE_FILE)),
  async run(state, task) {
    const config = state.context.loaded.config;
    const { outDir } = imageDirs(state);
    const converted = readConvertResult(outDir);
    const accel = chooseAccel(config.smoke.accel, readHostFacts());
    const result = await runSmoke({
      disk: converted.qcow2Path,
      kernel: converted.kernelPath,
      initrd: converted.initrdPath,
      accel,
      memoryMiB: config.smoke.memoryMiB,
      cpus: config.smoke.cpus,
      timeouts: config.smoke.timeouts,
      tcgFactor: config.smoke.tcgFactor,
      allowDegraded: config.smoke.allowDegraded,
      probes: config.smoke.probes,
      nodeExporterPort: config.components.nodeExporter.port,
      requiredUnits: requiredUnits(config),
      consoleLog: join(outDir, `smoke-${stamp()}.console.log`),
      junit: join(outDir, 'smoke-junit.xml'),
      identity: smokeIdentity(config),
      signal: state.signal,
      onProgress: (message) => (task.output = message),
    });
    if (result.failure) throw new SmokeFailure(result.failure.stage, result.failure.message);
    writeFileAtomic(join(outDir, DEFAULT_SMOKE_FILE), `${JSON.stringify(result, null, 2)}\n`);
    task.output = `${result.verdict} in ${(result.durationMs / 1000).toFixed(1)}s (${result.accel})`;
  },
};

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONVERT_RESULT_FILE } from '../../image/convert-result.js';
import { convertImage, findArtifacts } from '../../image/convert.js';
import { throttledPercent } from '../../progress/listr-renderer.js';
import { fileIdentity, imageDirs, stamp } from './image-dirs.js';
import type { Stage } from './types.js';

export const convertStage: Stage = {
  id: 'convert',
  title: 'convert the rootfs to a qcow2 backing file',
  needsEngine: false,
  inputs: (state) => {
    const { plan, loaded } = state.context;
    const { deployDir } = imageDirs(state);
    const rootfs = join(deployDir, `${plan.image.target}-${plan.machine}.rootfs.ext4`);
    const initramfs = plan.image.initramfs ? { initramfs: fileIdentity(join(deployDir, plan.image.initramfs)) } : {};
    return { rootfs: fileIdentity(rootfs), kernel: fileIdentity(join(deployDir, 'Image')), ...initramfs, qcow2: loaded.config.output.qcow2 };
  },
  outputsPresent: (state) => existsSync(join(imageDirs(state).outDir, CONVERT_RESULT_FILE)),
  async run(state, task) {
    const { plan, loaded } = state.context;
    const { deployDir, outDir, logsDir } = imageDirs(state);
    const found = findArtifacts({ deployDir, image: plan.image.target, machine: plan.machine, initramfs: plan.image.initramfs });
    mkdirSync(logsDir, { recursive: true });
    const show = throttledPercent();
    const result = await convertImage(
      {
        deployDir, image: plan.image.target, initramfs: plan.image.initramfs, machine: plan.machine, name: plan.name, version: plan.version, outDir,
        qcow2: loaded.config.output.qcow2, logFile: join(logsDir, `convert-${stamp()}.log`), signal: state.signal,
      },
      found,
      {
        step: (title) => (task.output = title),
        note: (text) => state.notes.push(text),
        progress: (text) => {
          const percent = Number.parseFloat(text.replace(/^\D+/, ''));
          if (Number.isNaN(percent) || show(percent)) task.output = text;
        },
      },
    );
    task.output = `${result.qcow2} in ${outDir}`;
  },
};

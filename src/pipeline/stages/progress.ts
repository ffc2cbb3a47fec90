import { isPlainOutput } from '../../progress/listr-renderer.js';

/**
 * On a terminal every change is shown (the line is redrawn); in plain output (CI, pipes) each
 * task.output is a new line, so only every 5 % of the task count or a new phase gets one.
 */
export function throttledProgress(show: (text: string) => void, plain = isPlainOutput()): (text: string) => void {
  let lastBucket = -1;
  let lastPhase = '';
  return (text) => {
    if (!plain) return show(text);
    const m = /([\d,]+)\/([\d,]+) (\S+)/.exec(text);
    if (!m) return show(text);
    const current = Number(m[1]!.replace(/,/g, ''));
    const total = Number(m[2]!.replace(/,/g, ''));
    const bucket = Math.floor((current * 20) / Math.max(total, 1));
    if (bucket === lastBucket && m[3] === lastPhase) return;
    lastBucket = bucket;
    lastPhase = m[3]!;
    show(text);
  };
}

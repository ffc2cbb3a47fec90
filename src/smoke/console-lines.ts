import { plainText } from './console-patterns.js';

/**
 * Splits the serial console stream into lines as chunks arrive. The unfinished last line is kept
 * and also offered to the caller, because a login prompt never ends with a newline.
 */
export class ConsoleLines {
  private pending = '';

  /** Returns the complete lines in this chunk and the text of the line still being written. */
  push(chunk: string): { lines: string[]; partial: string } {
    const text = this.pending + plainText(chunk);
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    // a console that never sends a newline must not grow without bound
    if (this.pending.length > 65_536) this.pending = this.pending.slice(-65_536);
    return { lines: parts, partial: this.pending };
  }

  /** The unfinished last line, e.g. when the guest stops writing. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

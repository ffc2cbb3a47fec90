import { spawn } from 'node:child_process';

/**
 * Runs a program on a real pseudo-terminal: util-linux `script` allocates the pty, runs the program on it as
 * a login terminal would, and copies what we write to the terminal's input and what the program writes out
 * (`-e`: its exit code becomes script's). The test drives it like a user: wait for text, type a line.
 */
export interface PtySession {
  /** Resolves once the terminal output (so far) matches; rejects after `timeoutMs` with what was seen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Types a line, as Enter sends it (carriage return). */
  type(line: string): void;
  output(): string;
  exited: Promise<number | null>;
  kill(): void;
}

const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const shellQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export function startOnPty(argv: readonly string[], env: NodeJS.ProcessEnv): PtySession {
  // script takes one command line for `sh -c`: each argument quoted. Its pty has no size when our stdin is not a
  // terminal (0 columns: every character wraps): give it one first, as a terminal window would
  const child = spawn('script', ['-qefc', `stty cols 160 rows 48 && exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let seen = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    seen += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    output: () => seen,
    exited,
    type: (line) => void child.stdin.write(`${line}\r`),
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          // matched without colours and cursor queries (busybox's line editor asks for the cursor after its prompt)
          const m = pattern.exec(plain(seen));
          if (!m) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m[0]);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          // the end of what it showed, without colours and cursor moves
          reject(new Error(`no ${pattern} on the terminal within ${timeoutMs} ms; it ended with:\n${JSON.stringify(plain(seen).slice(-1500))}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => setTimeout(check, 0));
        check();
      });
    },
    kill: () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

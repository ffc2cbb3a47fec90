/** Polls `probe` until it returns a value; for tests that wait on a real process (QEMU, qemu-img, a container). */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * TEST-ONLY hook. With VVEHICLE_TEST_PAUSE_AT=<step>, the run prints "VVEHICLE-PAUSED <step>" on
 * stderr when it reaches that step and waits there until killed, so a test can SIGKILL it at a point
 * it chose (test/integration/killed-run.test.ts), or until SIGUSR2, so a test can cause a fault of the
 * machine there (fill the disk, stop libvirtd) and watch the run meet it. Unset, this is a no-op; never
 * set it in real use. Steps: layer:staged, convert:staged, publish:staged, publish:placed,
 * publish-oci:staged, stage:<id>:done, fleet-up:disks, fleet-up:first-started.
 */
export async function pausePoint(step: string): Promise<void> {
  if (process.env.VVEHICLE_TEST_PAUSE_AT !== step) return;
  // the handler first: stderr to a pipe is written synchronously, so the test may signal at once
  const resumed = new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => {}, 60_000);
    process.once('SIGUSR2', () => {
      clearInterval(keepAlive);
      resolve();
    });
  });
  process.stderr.write(`VVEHICLE-PAUSED ${step}\n`);
  await resumed;
}

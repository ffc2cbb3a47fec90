import { returnLease, takeLease } from './docker-daemon.js';

/**
 * Runs once per `vitest run`, in its main process: holds this run's lease on the shared test
 * dockerd (started by the first test that needs it), and stops it afterwards unless another run
 * still uses it.
 */
export default function setup(): () => Promise<void> {
  takeLease();
  return () => returnLease();
}

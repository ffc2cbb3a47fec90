/**
 * The Debian/Ubuntu package that provides each program vvehicle drives (what
 * scripts/install-host-deps.sh installs), so "not found" and doctor's fix lines can name it.
 */
const PACKAGE_OF: Record<string, string> = {
  'qemu-system-aarch64': 'qemu-system-arm',
  'qemu-img': 'qemu-utils',
  git: 'git',
  podman: 'podman',
  runc: 'runc',
  debootstrap: 'debootstrap',
};

export function aptInstall(packages: string): string {
  return `sudo apt-get install --no-install-recommends ${packages}`;
}

/** "X is not installed (not found on PATH); fix: sudo apt-get install …" for a program we know. */
export function notFoundMessage(program: string): string {
  const name = program.split('/').pop()!;
  const pkg = PACKAGE_OF[name];
  return `${name} is not installed (not found on PATH)${pkg ? `; install it: ${aptInstall(pkg)}` : ''}`;
}

export function packageOf(program: string): string | undefined {
  return PACKAGE_OF[program];
}

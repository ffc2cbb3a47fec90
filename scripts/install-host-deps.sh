#!/usr/bin/env bash
# Installs the Debian packages vvehicle's tests drive for real (QEMU, qemu-img, podman+runc, debootstrap, …)
# and the arm64 packages the boot fixtures are made from. Debian/Ubuntu, as root. Idempotent.
set -euo pipefail

PACKAGES=(
  git ca-certificates curl
  qemu-utils qemu-system-arm
  podman runc uidmap
  e2fsprogs cpio kmod busybox-static
  debootstrap qemu-user-static binfmt-support
  kas
)

if [ "$(id -u)" -ne 0 ]; then echo "run as root (apt-get)" >&2; exit 2; fi
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

# the systemd boot fixture is debootstrapped for arm64: foreign binaries run through qemu-user via binfmt_misc
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "binfmt for qemu-aarch64 is not enabled" >&2; exit 1; }

# podman on these hosts: crun fails on hybrid cgroups and CAP_SYS_RESOURCE is missing for default ulimits
mkdir -p /etc/vvehicle-ci
printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > /etc/vvehicle-ci/containers.conf
echo "host packages ready"

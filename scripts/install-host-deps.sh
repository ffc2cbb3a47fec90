#!/usr/bin/env bash
# Installs the Debian packages vvehicle's tests drive for real (QEMU, qemu-img, podman+runc, Docker, debootstrap, …)
# and the arm64 packages the boot fixtures are made from. Debian/Ubuntu, as root. Idempotent.
set -euo pipefail

PACKAGES=(
  git ca-certificates curl
  qemu-utils qemu-system-arm
  podman runc uidmap
  docker.io
  e2fsprogs cpio kmod busybox-static
  debootstrap qemu-user-static binfmt-support
  kas
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libxml2-utils
  skopeo docker-registry
  openssh-client openssh-server
)

if [ "$(id -u)" -ne 0 ]; then echo "run as root (apt-get)" >&2; exit 2; fi
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

# the systemd boot fixture is debootstrapped for arm64: foreign binaries run through qemu-user via binfmt_misc
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "binfmt for qemu-aarch64 is not enabled" >&2; exit 1; }

# openssh-server: the remote-fleet test starts its own sshd on a loopback port (qemu+ssh:// to this machine).
# libvirt's QEMU driver runs guests as libvirt-qemu (group libvirt-qemu, also in kvm); without the
# libvirt-daemon-system package (it needs systemd) nobody creates them. The fleet tests start virtlogd
# and libvirtd themselves (test/helpers/libvirt.ts). libxml2-utils: virt-xml-validate needs xmllint.
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p /var/log/libvirt /run/libvirt

# podman on these hosts: crun fails on hybrid cgroups and CAP_SYS_RESOURCE is missing for default ulimits
mkdir -p /etc/vvehicle-ci
printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > /etc/vvehicle-ci/containers.conf
# on a systemd host docker.io also starts the system daemon; the tests never use it: they start their own dockerd
# (own socket and data root, see test/helpers/docker-daemon.ts) and use Debian's client, /usr/bin/docker
[ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || { echo "docker.io did not install dockerd and /usr/bin/docker" >&2; exit 1; }
echo "host packages ready"

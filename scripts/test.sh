#!/usr/bin/env bash
# `npm test`: every tier, against the real tools. Installs the host packages first when they are missing
# (as root, or through sudo), so a fresh Debian/Ubuntu machine needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

needed=(git qemu-img qemu-system-aarch64 podman runc debootstrap mkfs.ext4 cpio depmod busybox virsh libvirtd virtlogd virt-xml-validate xmllint)
missing=()
for tool in "${needed[@]}"; do command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || [ -x "/sbin/$tool" ] || missing+=("$tool"); done
if ! id libvirt-qemu >/dev/null 2>&1; then missing+=(libvirt-qemu); fi
if [ ! -f /etc/vvehicle-ci/containers.conf ] || [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64; then missing+=(setup); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing host packages (missing: ${missing[*]})"
  if [ "$(id -u)" -eq 0 ]; then bash scripts/install-host-deps.sh; else sudo bash scripts/install-host-deps.sh; fi
fi

export CONTAINERS_CONF="${CONTAINERS_CONF:-/etc/vvehicle-ci/containers.conf}"
npm run --silent build   # tests that start `node dist/cli.js` must see this tree
exec npx vitest run "$@"

#!/usr/bin/env bash
# Runs vvehicle on a machine as clean as CI's: a debootstrapped Debian 12 (bookworm, minbase) root with
# only node and npm copied in, so a package a session once installed by hand cannot hide a missing
# install step. Inside the root: scripts/install-host-deps.sh, npm ci, `npx vvehicle doctor`, a
# qemu-img convert, a QEMU start with the smoke argv (doctor's QEMU check) and, with --full, `npm test`.
#
#   sudo scripts/fresh-machine-check.sh [--full] [--keep]
#
# The pristine root is cached as a tarball outside the repo (VVEHICLE_FRESH_CACHE, default
# ~/.cache/vvehicle-fresh), so a rerun only unpacks it. The repo goes in as a `git clone` of HEAD:
# commit what you want checked. Mounts are undone on exit and on Ctrl-C. Exit 0 only if every step passed.
set -uo pipefail

full=0 keep=0
for arg in "$@"; do
  case "$arg" in
    --full) full=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg (use --full, --keep)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot, mount)" >&2; exit 2; }
for tool in debootstrap chroot git node; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed on this host" >&2; exit 2; }
done

repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cache="${VVEHICLE_FRESH_CACHE:-$HOME/.cache/vvehicle-fresh}"
pristine="$cache/bookworm-minbase.tar"
# the mirror this host's apt uses (deb822 sources), else Debian's CDN
mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)"
mirror="${mirror:-http://deb.debian.org/debian}"

root=""
mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[$i]}" 2>/dev/null || umount -R -l "${mounted[$i]}" 2>/dev/null || true
  done
  mounted=()
  if [ -n "$root" ] && [ "$keep" -eq 0 ]; then rm -rf --one-file-system "$root"; fi
  [ -n "$root" ] && [ "$keep" -eq 1 ] && echo "kept the root at $root"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

mount_in() { # mount_in <target inside root> <mount args...>
  mkdir -p "$root$1"
  mount "${@:2}" "$root$1" && mounted+=("$root$1")
}

results=()
failed=0
step() { # step <name> <command...>: runs, records pass/fail, never stops the script
  local name="$1" started rc
  shift
  printf '\n==> %s\n' "$name"
  started=$(date +%s)
  "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then results+=("PASS  $name ($(( $(date +%s) - started ))s)")
  else results+=("FAIL  $name (exit $rc)"); failed=1; fi
  return "$rc"
}
in_root() { # a login-free shell inside the root: CI's environment, not this host's
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb CI=true DEBIAN_FRONTEND=noninteractive ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS} \
    /bin/bash -c "cd /root/vvehicle && $1"
}

make_pristine() {
  [ -s "$pristine" ] && return 0
  local build
  mkdir -p "$cache"
  build="$(mktemp -d "$cache/build.XXXXXX")"
  debootstrap --variant=minbase bookworm "$build/root" "$mirror" >"$build/debootstrap.log" 2>&1 \
    || { tail -20 "$build/debootstrap.log" >&2; rm -rf --one-file-system "$build"; return 1; }
  tar -C "$build/root" -cf "$pristine.tmp" . && mv "$pristine.tmp" "$pristine"
  rm -rf --one-file-system "$build"
}

prepare_root() {
  root="$(mktemp -d /var/tmp/vvehicle-fresh.XXXXXX)" || return 1
  tar -C "$root" -xf "$pristine" || return 1
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # this site's network: the CAs of its TLS-inspecting egress (public trust anchors, no secrets),
  # picked up by ca-certificates when install-host-deps.sh installs it; node reads NODE_EXTRA_CA_CERTS
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  fi
  mount_in /proc -t proc proc || return 1
  mount_in /sys --rbind /sys || return 1
  mount_in /dev --rbind /dev || return 1
  mount_in /tmp -t tmpfs tmpfs || return 1
  # node and npm exactly as the host has them, nothing else from the host
  cp "$(readlink -f "$(command -v node)")" "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules"
  cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$root/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  git clone --quiet --no-hardlinks "$repo" "$root/root/vvehicle"
  echo "root: $root (Debian $(cat "$root/etc/debian_version")); node $(in_root 'node --version'); repo at $(git -C "$repo" rev-parse --short HEAD)"
}

qemu_img_convert() {
  in_root 'set -e; cd /tmp; head -c 8M /dev/urandom > disk.raw
    qemu-img convert -f raw -O qcow2 -o compat=1.1,cluster_size=65536 disk.raw disk.qcow2
    qemu-img compare -f raw -F qcow2 disk.raw disk.qcow2; qemu-img info disk.qcow2 | head -3'
}

# doctor's QEMU check starts the smoke argv (same -M/-cpu/devices) paused; the other checks are shown too
doctor() {
  in_root 'npx vvehicle doctor; echo "doctor exit $?"; npx vvehicle doctor --json > /tmp/doctor.json || true
    node -e "const r = require(\"/tmp/doctor.json\"); const bad = r.checks.filter((c) => /^qemu|^git|^node/.test(c.name) && c.status !== \"ok\");
      if (bad.length) { console.error(\"failed:\", bad.map((c) => c.name).join(\", \")); process.exit(1); }"'
}

steps() {
  step "debootstrap a pristine bookworm root (cached at $pristine)" make_pristine || return
  step "unpack it, mount /proc /sys /dev, copy node+npm, git clone the repo" prepare_root || return
  step "scripts/install-host-deps.sh" in_root 'bash scripts/install-host-deps.sh' || return
  step "npm ci" in_root 'npm ci --no-audit --no-fund' || return
  step "npx vvehicle doctor (node, git, qemu-img, QEMU starts the smoke machine)" doctor
  step "qemu-img convert raw -> qcow2" qemu_img_convert
  if [ "$full" -eq 1 ]; then
    step "npm test (the README's test command)" in_root 'export CONTAINERS_CONF=/etc/vvehicle-ci/containers.conf; npm test 2>&1 | tail -60; exit ${PIPESTATUS[0]}'
  fi
}

steps
printf '\n==> summary\n'
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ] && echo "fresh machine check passed" || echo "fresh machine check FAILED"
exit "$failed"

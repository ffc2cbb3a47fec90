import { accessSync, constants } from 'node:fs';
import { arch } from 'node:os';

export type Accel = 'kvm' | 'tcg';

export interface AccelChoice {
  accel: Accel;
  reason: string;
}

export interface HostFacts {
  arch: string;
  kvmUsable: boolean;
  kvmProblem?: string;
}

export function readHostFacts(): HostFacts {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return { arch: arch(), kvmUsable: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { arch: arch(), kvmUsable: false, kvmProblem: code === 'ENOENT' ? '/dev/kvm does not exist' : '/dev/kvm is not readable and writable by this user' };
  }
}

/** KVM only helps an aarch64 guest on an aarch64 host; everything else is TCG emulation. */
export function chooseAccel(wanted: 'auto' | Accel, host: HostFacts): AccelChoice {
  const kvmPossible = host.arch === 'arm64' && host.kvmUsable;
  const whyNot = host.arch !== 'arm64' ? `host is ${host.arch}, KVM cannot run aarch64 guests` : (host.kvmProblem ?? 'KVM unavailable');
  if (wanted === 'tcg') return { accel: 'tcg', reason: 'requested' };
  if (wanted === 'kvm') return kvmPossible ? { accel: 'kvm', reason: 'requested' } : { accel: 'tcg', reason: `kvm requested but ${whyNot}` };
  return kvmPossible ? { accel: 'kvm', reason: 'aarch64 host with usable /dev/kvm' } : { accel: 'tcg', reason: whyNot };
}

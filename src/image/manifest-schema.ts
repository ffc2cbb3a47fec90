import { z } from 'zod';
import { FW_CFG_CREDENTIAL_PREFIX } from '../identity/credentials.js';
import { ueProfileSchema } from '../identity/ue-profile.js';

/**
 * manifest.json: the one file fleet tools read to use a published image. It names every file by a
 * path relative to itself with its sha256, so nothing is ever guessed from file names.
 * schemas/manifest.schema.json is generated from this (`vvehicle manifest schema`) and kept in
 * sync by a test.
 */
export const MANIFEST_FILE = 'manifest.json';
/**
 * 2: the `identity` section (what a vehicle booted from the image accepts as its identity).
 * 3: the `ue` section (what the image's UE asks the 5G core for), and the session credentials.
 */
export const MANIFEST_SCHEMA_VERSION = 3;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex sha256');
/** A file next to the manifest: a plain name, so the directory can move (published, bundled). */
const fileName = z
  .string()
  .regex(/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/, 'must be a file name next to the manifest (no directories)')
  .describe('file name relative to the manifest');
// the semver.org regex, so the generated JSON Schema carries the rule too (a refine would not)
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const semverString = z.string().regex(SEMVER, 'must be a semantic version such as 1.2.3');
const name = z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, 'must be a lower-case name');

const common = {
  path: fileName,
  sha256,
  size: z.number().int().nonnegative().describe('bytes'),
};

const diskArtifact = z
  .strictObject({
    role: z.literal('disk'),
    ...common,
    format: z.literal('qcow2'),
    virtualSize: z.number().int().positive().describe('guest-visible disk size in bytes'),
    clusterSize: z.number().int().positive(),
    compat: z.string().describe('qcow2 compat level (1.1 = qcow2 v3)'),
    compressed: z.boolean(),
    backingFormat: z.literal('qcow2').describe('the backing format an overlay on this file must record: qemu-img create -f qcow2 -F qcow2 -b <abs path>'),
  })
  .describe('the qcow2 golden image; read-only backing file for per-VM overlays');

const otherArtifact = z.strictObject({
  role: z.enum(['kernel', 'initramfs', 'package-list', 'license-manifest', 'sbom', 'testdata', 'qemuboot', 'smoke-junit', 'smoke-console']),
  ...common,
  format: z.enum(['arm64-image', 'cpio-archive', 'bitbake-manifest', 'yocto-license-manifest', 'spdx-2.2-tar-zst', 'spdx-3-json', 'json', 'ini', 'junit-xml', 'text']),
});

export const artifactSchema = z.discriminatedUnion('role', [diskArtifact, otherArtifact]);
export type ManifestArtifact = z.infer<typeof artifactSchema>;

const packageSchema = z.strictObject({ name: z.string().min(1), arch: z.string().min(1), version: z.string().min(1) });

const flaggedLicense = z.strictObject({
  package: z.string(),
  recipe: z.string(),
  version: z.string(),
  license: z.string().describe('the LICENSE expression as bitbake recorded it'),
  matched: z.array(z.string()).min(1).describe('the licences in it that matched a flag pattern'),
});

const identitySchema = z
  .strictObject({
    credentials: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9_.-]+$/).describe('systemd credential name ($CREDENTIALS_DIRECTORY/<name>)'),
          required: z.boolean().describe('without it the vehicle boots, but nr-ue is not started and the health line says identity "missing"'),
          secret: z.boolean().describe('pass it only through fw_cfg (a 0600 file, never the kernel command line, which every process can read)'),
          pattern: z.string().describe('a valid value, matched against the whole value: a JavaScript RegExp and a POSIX ERE alike'),
          description: z.string(),
        }),
      )
      .min(1),
    delivery: z.strictObject({
      fwCfg: z
        .strictObject({ namePrefix: z.literal(FW_CFG_CREDENTIAL_PREFIX) })
        .describe('QEMU -fw_cfg name=<namePrefix><name>,string=<value> (or file=<0600 file> for secrets); libvirt <sysinfo type="fwcfg"><entry name="<namePrefix><name>">'),
      kernelCmdline: z
        .strictObject({ parameter: z.literal('systemd.set_credential'), secrets: z.literal(false) })
        .describe('<parameter>=<name>:<value> appended to boot.cmdline, for credentials that are not secret; fw_cfg wins when both give one'),
    }),
    health: z
      .strictObject({ key: z.literal('identity'), states: z.array(z.string()).min(1) })
      .describe('the VVEHICLE-HEALTH line reports the identity under this key: state (ok, missing, invalid, unknown), vehicleId, hostname, supi, missing, invalid; never a secret'),
  })
  .describe('the per-vehicle identity the image accepts at boot as systemd system credentials; the image itself holds none');

const stageStatus = z.enum(['pass', 'fail', 'skipped']);

const smokeSchema = z
  .strictObject({
    verdict: z.enum(['pass', 'fail']),
    accel: z.enum(['kvm', 'tcg']),
    accelReason: z.string(),
    machine: z.string(),
    cpu: z.string(),
    memoryMiB: z.number().int().positive(),
    cpus: z.number().int().positive(),
    startedAt: z.string(),
    durationMs: z.number().nonnegative().describe('QEMU start to verdict'),
    stages: z.array(z.strictObject({ id: z.string(), status: stageStatus, durationMs: z.number().nonnegative(), message: z.string().optional() })),
    probes: z.array(z.strictObject({ id: z.string(), status: stageStatus, durationMs: z.number().nonnegative(), detail: z.string() })),
    failure: z.strictObject({ stage: z.string(), message: z.string() }).optional(),
  })
  .describe('result of `vvehicle smoke` on the disk artifact');

export const manifestSchema = z
  .strictObject({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    name: name.describe('image name'),
    version: semverString.describe('semantic version of the image'),
    buildId: z.string().regex(/^[A-Za-z0-9._+-]+$/).describe('unique id of this build (bitbake DATETIME and the disk sha256 prefix unless given)'),
    created: z.iso.datetime({ offset: true }).describe('when the manifest was written'),
    toolVersion: z.string().describe('vvehicle version that wrote it'),
    profile: z.string(),
    configDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/).describe('digest of the resolved configuration'),
    agl: z.strictObject({ release: z.string(), codename: z.string(), yoctoSeries: z.string() }),
    machine: z.string().describe('Yocto MACHINE'),
    image: z.strictObject({ target: z.string(), base: z.string() }),
    sources: z
      .array(
        z.strictObject({
          name: z.string(),
          url: z.string(),
          branch: z.string().optional(),
          commit: z.string().regex(/^[0-9a-f]{40}$/),
          patches: z
            .array(
              z.strictObject({
                id: z.string().describe('the patch id of the configuration (patches apply in id order)'),
                files: z.array(z.strictObject({ name: z.string(), sha256 })).min(1).describe('the files applied, in order (several for a quilt series)'),
              }),
            )
            .optional()
            .describe('patches applied on top of commit (absent: none)'),
        }),
      )
      .describe('layer repositories checked out from git the image was built from'),
    localSources: z
      .array(
        z.strictObject({
          name: z.string(),
          path: z.string().describe('the directory on the build host, used in place'),
          kind: z.enum(['git', 'dir']).describe('git: a git work tree (or a directory in one); dir: a plain directory'),
          commit: z.string().regex(/^[0-9a-f]{40}$/).optional().describe('HEAD of the work tree (git only)'),
          dirty: z.boolean().optional().describe('the directory had uncommitted changes or untracked files (git only)'),
          sha256: sha256.describe('content digest: git: the directory\'s tree at HEAD, the diff against HEAD and untracked files; dir: every file\'s path, type and content'),
        }),
      )
      .optional()
      .describe('`path:` repositories the image was built from (absent: none)'),
    localConf: z
      .strictObject({
        sha256,
        userSettings: z.boolean().describe('true when local.conf holds settings of its own (beyond the require line vvehicle created it with)'),
      })
      .nullable()
      .optional()
      .describe("the build dir's conf/local.conf, which vvehicle never manages: null when the manifest was written without a build dir"),
    builder: z
      .strictObject({ imageId: z.string().min(1).nullable().describe('container image id bitbake ran in; null when not recorded') })
      .describe('the build container'),
    artifacts: z.array(artifactSchema).min(2),
    boot: z
      .strictObject({
        method: z.literal('direct-kernel').describe('the qcow2 holds a bare ext4, no bootloader: QEMU/libvirt load the kernel themselves'),
        kernel: fileName.describe('path of the kernel artifact'),
        initrd: fileName.optional().describe('path of the initramfs artifact, when the kernel needs one to mount the disk'),
        disk: fileName.describe('path of the disk artifact'),
        cmdline: z.string(),
        machine: z.string().describe('QEMU -machine'),
        cpu: z.string().describe('QEMU -cpu under TCG; KVM uses host'),
        memoryMiB: z.number().int().positive(),
        cpus: z.number().int().positive(),
        diskBus: z.literal('virtio-blk-pci'),
        nic: z.literal('virtio-net-pci'),
      })
      .describe('how to boot the disk'),
    identity: identitySchema,
    ue: ueProfileSchema.nullable().describe("what the image's UE (nr-ue) asks the 5G core for: fleet tools provision the core with exactly this; null when the image runs no UE"),
    packages: z.strictObject({
      source: fileName.nullable().describe('the package-list artifact parsed; null when bitbake wrote none'),
      count: z.number().int().nonnegative(),
      items: z.array(packageSchema),
    }),
    licenses: z.strictObject({
      source: fileName.nullable().describe('the license-manifest artifact parsed; null when none was found'),
      note: z.string().optional().describe('why licences are not summarised, when they are not'),
      flagPatterns: z.array(z.string()),
      packageCount: z.number().int().nonnegative(),
      byLicense: z.record(z.string(), z.number().int().positive()).describe('packages per licence'),
      flagged: z.array(flaggedLicense).describe('packages under a flagged licence (GPL-3.0*, AGPL-3.0*)'),
    }),
    sbom: z.strictObject({ path: fileName, format: z.enum(['spdx-2.2-tar-zst', 'spdx-3-json']) }).nullable(),
    smoke: smokeSchema.nullable().describe('null when the image was not smoke-tested'),
    notes: z.array(z.string()).describe('what was missing or left out, in words'),
  })
  .superRefine((m, ctx) => {
    const byRole = (role: string) => m.artifacts.filter((a) => a.role === role);
    if (byRole('disk').length !== 1) ctx.addIssue({ code: 'custom', path: ['artifacts'], message: 'must hold exactly one disk artifact' });
    if (byRole('kernel').length !== 1) ctx.addIssue({ code: 'custom', path: ['artifacts'], message: 'must hold exactly one kernel artifact' });
    const paths = m.artifacts.map((a) => a.path);
    if (new Set(paths).size !== paths.length) ctx.addIssue({ code: 'custom', path: ['artifacts'], message: 'artifact paths must be unique' });
    if (byRole('kernel')[0]?.path !== m.boot.kernel) ctx.addIssue({ code: 'custom', path: ['boot', 'kernel'], message: 'must be the path of the kernel artifact' });
    if (byRole('initramfs').length > 1) ctx.addIssue({ code: 'custom', path: ['artifacts'], message: 'must hold at most one initramfs artifact' });
    if (byRole('initramfs')[0]?.path !== m.boot.initrd) ctx.addIssue({ code: 'custom', path: ['boot', 'initrd'], message: 'must be the path of the initramfs artifact (both or neither)' });
    if (byRole('disk')[0]?.path !== m.boot.disk) ctx.addIssue({ code: 'custom', path: ['boot', 'disk'], message: 'must be the path of the disk artifact' });
    if (m.sbom && !m.artifacts.some((a) => a.role === 'sbom' && a.path === m.sbom?.path)) ctx.addIssue({ code: 'custom', path: ['sbom'], message: 'must be the path of the sbom artifact' });
  })
  .describe('vvehicle image manifest');

export type Manifest = z.infer<typeof manifestSchema>;
export type SmokeSummary = z.infer<typeof smokeSchema>;

/** The JSON Schema fleet tools validate manifests with (generated, never edited by hand). */
export function manifestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(manifestSchema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...generated, $id: 'https://vvehicle.dev/schemas/manifest.schema.json', title: 'vvehicle image manifest' };
}

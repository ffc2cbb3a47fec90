import { z } from 'zod';
import semver from 'semver';
import { confBlockProblems } from './conf-block.js';
import { credentialValueValid } from '../identity/credentials.js';
import { DNN_PATTERN, SESSION_TYPES } from '../identity/ue-profile.js';

/**
 * The vvehicle configuration schema. Values that end up in BitBake files or systemd units are
 * constrained here, so a bad value is a user error at load time and never a broken recipe.
 */

const BB_UNSAFE = /["'\\\n\r`]|\$\{/;
/** A free-text value that lands inside a BitBake or YAML double-quoted string. */
export const bbValue = z
  .string()
  .refine((v) => !BB_UNSAFE.test(v), {
    message: 'must not contain quotes, backslashes, backticks, newlines or "${" (it would break the generated recipe)',
  });

const nameRe = /^[a-z0-9][a-z0-9+.-]*$/;
export const recipeName = z
  .string()
  .regex(nameRe, 'must be a lower-case name: letters, digits and + . - (BitBake recipe/package name rules)');

const commit = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character lower-case hex commit id');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a 64-character lower-case hex sha256');
const semverString = z
  .string()
  .refine((v) => semver.valid(v) !== null, { message: 'must be a semantic version such as 1.2.3' });
const digits = (n: string) => z.string().regex(new RegExp(`^[0-9]{${n}}$`), `must be ${n.replace(',', ' to ')} digits (quote it in YAML)`);
const hex = (len: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${len}}$`), `must be ${len} hex digits`);

/** A path inside a repository or work dir: relative, no "..", portable characters only. */
export const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/'), { message: 'must be a relative path' })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".." (it would leave its directory)' })
  .refine((p) => /^[A-Za-z0-9._/+-]+$/.test(p), { message: 'may only contain letters, digits and . _ / + -' });

const gitUrl = z
  .string()
  .regex(/^(https?|git|ssh|file):\/\/[^\s"'\\]+$|^[\w.-]+@[\w.-]+:[^\s"'\\]+$/, 'must be a git URL (https://, ssh://, git://, file:// or user@host:path)');

/** A key that moved out of the image into a boot-time credential: setting it is an error that says where it went. */
const movedToCredential = (credential: string) =>
  z.unknown()
    .refine((v) => v === undefined, {
      error: `the subscriber is no longer baked into the image: remove this key and pass it to each vehicle at boot as the systemd credential ${credential} (see README "Vehicle identity")`,
    })
    .optional()
    .describe(`removed: pass the systemd credential ${credential} at boot instead`);

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port');

const ueransim = z
  .strictObject({
    enabled: z.boolean().default(true),
    version: semverString
      .refine((v) => semver.valid(v) === null || semver.gte(v, '3.0.3'), { message: 'must be 3.0.3 or later (the oldest tagged UERANSIM release)' })
      .describe('UERANSIM release the srcrev belongs to; decides the licence (AGPL-3.0-only from 3.2.8)'),
    srcrev: commit
      .optional()
      .describe('git commit of that release to build; may be left out for a release vvehicle has checked (3.3.0, 3.2.7), required otherwise'),
    repo: gitUrl.default('https://github.com/aligungr/UERANSIM.git').describe('where UERANSIM is fetched from'),
    ue: z
      .strictObject({
        // the subscriber is per vehicle and arrives at boot: an image that carried one would make every
        // vehicle booted from it the same UE. Old configs that still set these are refused, with the way out.
        supi: movedToCredential('vvehicle.ue.supi'),
        key: movedToCredential('vvehicle.ue.key'),
        op: movedToCredential('vvehicle.ue.opc'),
        opType: z.literal('OPC').optional()
          .describe('always OPC: the vehicle\'s OPc arrives at boot as credential vvehicle.ue.opc'),
        // the image's default must be a value its own credential check takes (nr-ue refuses 000)
        mcc: digits('3').refine((v) => credentialValueValid('vvehicle.ue.mcc', v), { message: 'must not be 000: nr-ue refuses it ("Field \'mcc\' is too small")' }).describe('mobile country code (a vehicle\'s credential vvehicle.ue.mcc overrides it)'),
        mnc: digits('2,3').describe('mobile network code (a vehicle\'s credential vvehicle.ue.mnc overrides it)'),
        amf: hex(4).default('8000'),
        imei: digits('15').optional(),
        gnbSearchList: z.array(z.string().regex(/^[A-Za-z0-9.:-]+$/, 'must be an IP address or host name')).min(1)
          .describe('gNB addresses the UE searches (a vehicle\'s credential vvehicle.ue.gnb-search-list overrides them)'),
        sessions: z
          .array(
            z.strictObject({
              type: z.enum(SESSION_TYPES).default('IPv4'),
              apn: z.string().regex(new RegExp(`^(?:${DNN_PATTERN})$`), 'must be a DNN: letters, digits, . and -, at most 63, starting and ending with a letter or digit').describe('DNN/APN'),
              sst: z.number().int().min(0).max(255),
              sd: hex(6).optional(),
            }),
          )
          .min(1),
      })
      .describe('UE settings of the image\'s /etc/ueransim/ue.yaml.in template; the subscriber (SUPI, K, OPc) arrives per vehicle at boot as systemd credentials'),
  })
  .describe('UERANSIM 5G UE simulator (nr-ue)');

const otelcolContrib = z
  .strictObject({
    enabled: z.boolean().default(true),
    version: semverString,
    sha256: sha256
      .optional()
      .describe('published sha256 of otelcol-contrib_<version>_linux_arm64.tar.gz; may be left out for a release vvehicle has checked, required otherwise'),
    exporterEndpoint: z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port of an OTLP/gRPC receiver'),
    insecure: z.boolean().default(true).describe('plain gRPC to the exporter endpoint (lab network)'),
  })
  .describe('OpenTelemetry Collector (contrib), prebuilt linux_arm64 binary');

const nodeExporter = z
  .strictObject({
    enabled: z.boolean().default(true),
    version: semverString,
    sha256: sha256
      .optional()
      .describe('published sha256 of node_exporter-<version>.linux-arm64.tar.gz; may be left out for a release vvehicle has checked, required otherwise'),
    port: z.number().int().min(1).max(65535).default(9100),
  })
  .describe('Prometheus node_exporter, prebuilt linux-arm64 binary, socket-activated');

const ebpf = z
  .strictObject({
    enabled: z.boolean().default(true),
    tools: z.array(z.enum(['bpftool', 'bcc', 'bpftrace'])).default(['bpftool']),
    btf: z.boolean().default(false).describe('build the kernel with BTF (debug-btf.scc + KERNEL_DEBUG)'),
  })
  .describe('eBPF tooling; bcc and bpftrace need meta-clang');

const network = z
  .strictObject({
    match: z.array(z.string().regex(/^[A-Za-z0-9*?_.-]+$/, 'must be an interface name or glob')).min(1).default(['en*', 'eth*'])
      .refine((m) => !m.includes('*'), { message: 'must not be "*": networkd would take over UERANSIM\'s uesimtun interfaces' }),
    keepConfiguration: z.enum(['no', 'yes', 'static', 'dhcp-on-stop', 'dhcp']).default('dhcp')
      .describe('systemd-networkd KeepConfiguration=; "dhcp" keeps the lease address on expiry (the 5G link needs it)'),
  })
  .describe('systemd-networkd uplink configuration');

/**
 * A host path that lands in bblayers.conf and in a container mount (`--volume P:P:ro`): no quotes, spaces, ":"
 * or "${"; relative paths resolve against the directory of the file that sets them.
 */
export const hostPath = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9._/+@-]+$/, 'may only contain letters, digits and . _ / + @ - (it lands in bblayers.conf and a container mount)');

/** kas's patch entry: one patch file, or a quilt-style directory with a `series` file. */
const patch = z.strictObject({
  path: hostPath.describe('a .patch file (git format-patch, or a plain diff) or a directory with a quilt `series` file; relative to `repo`, else to the directory of the file that sets it'),
  repo: recipeName.optional().describe('a `path:` repository the patch path is relative to (kas\'s patch `repo`)'),
});

const repo = z.strictObject({
  url: gitUrl.optional().describe('git repository to check out (either url or path)'),
  path: hostPath
    .optional()
    .describe('a local directory used in place, not cloned and never modified (an in-house layer); relative to the directory of the file that sets it; its content is part of the config digest'),
  branch: z.string().regex(/^[A-Za-z0-9._/-]+$/, 'must be a branch name').optional(),
  commit: commit.optional(),
  layers: z.array(relativePath).min(1).describe('layer directories inside the repository, in BBLAYERS order ("." for the root)'),
  patches: z
    .record(z.string().regex(/^[A-Za-z0-9._+-]+$/, 'must be a patch id: letters, digits and . _ + -'), patch)
    .optional()
    .describe('patches applied after checkout, in the order of their ids (like kas); part of the config digest'),
});

const rewrite = z.strictObject({ from: z.string().min(1), to: z.string().min(1) });

const threads = z.union([z.literal('auto'), z.number().int().min(1).max(1024)]);

/** kas-style named conf blocks: applied in the order of their names, so a later file can replace one by name. */
const confHeader = (where: string) =>
  z
    .record(
      recipeName,
      z.string().superRefine((text, ctx) => {
        for (const message of confBlockProblems(text)) ctx.addIssue({ code: 'custom', message });
      }),
    )
    .default({})
    .describe(`named blocks of BitBake statements written into ${where}, in the order of their names (like kas)`);

export const configSchema = z
  .strictObject({
    name: recipeName.describe('image name; also the published directory name'),
    version: semverString.describe('semantic version of the image'),
    machine: z.enum(['qemuarm64']).describe('Yocto MACHINE'),
    agl: z.strictObject({
      release: semverString.describe('AGL release, e.g. 21.0.2'),
      codename: recipeName.describe('AGL branch name, e.g. unagi'),
      yoctoSeries: z.enum(['scarthgap']).describe('Yocto release series the layer targets'),
      features: z.array(recipeName).default([]).describe('AGL features (aglsetup.sh) whose layers are added'),
    }),
    localConfHeader: confHeader('conf/vvehicle.conf after the managed settings (local.conf stays yours)'),
    bblayersConfHeader: confHeader('conf/bblayers.conf before BBLAYERS'),
    image: z.strictObject({
      base: recipeName.default('agl-image-minimal').describe('AGL image the target extends'),
      target: recipeName.default('vvehicle-image').describe('image recipe bitbake builds'),
      extraPackages: z.array(recipeName).default([]).describe('packages added to the image'),
      extraFstypes: z.array(recipeName).default([]).describe('added to AGL_EXTRA_IMAGE_FSTYPES'),
      initramfs: z
        .string()
        .regex(/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/, 'must be a file name in the deploy dir (no directories)')
        .optional()
        .describe('initramfs the kernel needs to mount the disk, a file name in the deploy dir; convert copies it and the manifest boots with it'),
    }),
    components: z.strictObject({ ueransim, otelcolContrib, nodeExporter, ebpf, network }),
    sources: z.strictObject({
      repos: z.record(recipeName, repo).describe('layer repositories by name, in BBLAYERS order'),
      referenceDir: z.string().optional().describe('directory of reference clones named after the URL'),
      rewrite: z.array(rewrite).default([]).describe('URL rewrite rules (premirror style), applied in order'),
    }),
    build: z.strictObject({
      engine: z.enum(['auto', 'docker', 'podman']).default('auto'),
      engineArgs: z.array(z.string()).default([]).describe('global engine options, e.g. ["--runtime", "runc"] (podman) or ["--host", "unix:///run/docker.sock"] (docker)'),
      engineClient: z.string().regex(/^\/[^\s]+$/, 'must be an absolute path').optional()
        .describe('the engine\'s client program, when not the first docker/podman on PATH (e.g. /usr/bin/docker); needs engine docker or podman'),
      image: z.string().optional().describe('use this builder image as given instead of building ours'),
      builderBase: z.union([
        z.strictObject({ image: z.string().min(1).describe('image our Containerfile starts FROM (pulled from a registry); it then installs the Yocto host packages with apt') }),
        z.strictObject({ debootstrapMirror: z.string().regex(/^(https?|file):\/\/\S+$/, 'must be an http(s):// or file:// Debian mirror URL').describe('bootstrap the base from this Debian mirror: no registry needed (needs root once)') }),
      ]).optional().describe('what our builder image is built from (default: the base recorded in the work dir by `vvehicle builder`, else debian:bookworm from a registry); ignored with build.image'),
      threads: threads.default('auto').describe('BB_NUMBER_THREADS'),
      parallelMake: threads.default('auto').describe('PARALLEL_MAKE -j'),
      dlDir: bbValue.default('downloads').describe('DL_DIR, relative to the work dir unless absolute'),
      sstateDir: bbValue.default('sstate').describe('SSTATE_DIR, relative to the work dir unless absolute'),
      sstateMirrors: z.array(bbValue).default([]).describe('SSTATE_MIRRORS URLs (file:// or http(s)://)'),
      premirrors: z.array(bbValue).default([]).describe('PREMIRRORS URLs for source downloads'),
      hashEquivalence: z.union([z.literal('auto'), z.literal('off'), hostPort]).default('auto').describe('BB_HASHSERVE: auto (a local server bitbake starts), off, or host:port of a shared server (`vvehicle cache serve`)'),
      hashEquivalenceUpstream: hostPort.optional().describe('BB_HASHSERVE_UPSTREAM: with hashEquivalence auto, the shared server the local one pulls hashes from'),
      kvm: z.boolean().default(false).describe('pass /dev/kvm into the build container'),
      env: z
        .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'))
        .default([])
        .describe('host variables passed into the container and through bitbake (http_proxy, https_proxy, no_proxy, all_proxy, ftp_proxy in either case always are, when set)'),
      sshAgent: z.boolean().default(false).describe('pass the ssh-agent (SSH_AUTH_SOCK) into the container, for git repositories fetched over ssh'),
      mounts: z
        .array(z.string().regex(/^\/[A-Za-z0-9._/+@-]*(:(ro|rw))?$/, 'must be an absolute host path, optionally followed by :ro or :rw (mounted at the same path)'))
        .default([])
        .describe('more host paths the build container needs (an in-house mirror, a toolchain), mounted at the same path; read-only unless :rw'),
    }),
    output: z.strictObject({
      qcow2: z.strictObject({
        compat: z.enum(['0.10', '1.1']).default('1.1'),
        clusterSize: z.number().int().refine((n) => n >= 512 && n <= 2097152 && (n & (n - 1)) === 0, { message: 'must be a power of two from 512 to 2 MiB' }).default(65536),
        compress: z.boolean().default(false),
      }),
    }),
    smoke: z.strictObject({
      accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
      memoryMiB: z.number().int().min(256).default(2048),
      cpus: z.number().int().min(1).max(64).default(2),
      timeouts: z.strictObject({
        kernelSec: z.number().positive().default(60),
        initSec: z.number().positive().default(120),
        healthSec: z.number().positive().default(300),
      }),
      tcgFactor: z.number().min(1).default(4).describe('timeouts are multiplied by this under TCG'),
      allowDegraded: z.boolean().default(false),
      probes: z.strictObject({
        nodeExporter: z.boolean().default(true),
        otelcolHealth: z.boolean().default(true),
      }),
    }),
    publish: z.strictObject({
      dir: z.string().default('published').describe('publish root, relative to the config file, or oci://HOST[:PORT]/REPO (a KubeVirt containerDisk pushed to a registry)'),
      channel: recipeName.default('stable'),
    }),
  })
  .describe('vvehicle configuration: what golden AGL image to build and how');

/** What the schema accepts: a pin (srcrev/sha256) may be missing, for resolvePins() to fill or refuse. */
export type ParsedConfig = z.infer<typeof configSchema>;
type Components = ParsedConfig['components'];
type WithPin<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** A loaded configuration: every component version comes with the pin of that very release. */
export type Config = Omit<ParsedConfig, 'components'> & {
  components: Omit<Components, 'ueransim' | 'otelcolContrib' | 'nodeExporter'> & {
    ueransim: WithPin<Components['ueransim'], 'srcrev'>;
    otelcolContrib: WithPin<Components['otelcolContrib'], 'sha256'>;
    nodeExporter: WithPin<Components['nodeExporter'], 'sha256'>;
  };
};
export type RepoConfig = z.infer<typeof repo>;

/** The project file adds `extends` on top of the schema. */
export const EXTENDS_KEY = 'extends';

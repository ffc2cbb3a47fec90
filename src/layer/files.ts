import type { LayerView } from './view.js';

/**
 * The config-dependent files of meta-vvehicle: which template (under templates/) becomes which path of
 * the layer, and when. Files that never change live as they are under layers/meta-vvehicle/.
 */
export interface TemplatedFile {
  template: string;
  path: (v: LayerView) => string;
  when?: (v: LayerView) => boolean;
  mode?: number;
}

const ueransim = (v: LayerView) => v.ueransim.enabled;
const otelcol = (v: LayerView) => v.otelcol.enabled;
const nodeExporter = (v: LayerView) => v.nodeExporter.enabled;

const fixed = (path: string) => () => path;
/** templates/layer/<path>.hbs → <path> */
const same = (path: string, extra: Omit<TemplatedFile, 'template' | 'path'> = {}): TemplatedFile => ({
  template: `layer/${path}.hbs`,
  path: fixed(path),
  ...extra,
});

export const TEMPLATED_FILES: TemplatedFile[] = [
  same('conf/layer.conf'),
  same('conf/include/vvehicle.inc'),
  same('recipes-connectivity/vvehicle-network/files/10-vvehicle-wired.network'),
  same('recipes-core/vvehicle-health/files/vvehicle-health', { mode: 0o755 }),
  same('recipes-core/vvehicle-health/files/vvehicle-health.service'),
  same('recipes-core/vvehicle-health/files/vvehicle-release'),
  same('recipes-core/vvehicle-identity/files/vvehicle-identity', { mode: 0o755 }),
  same('recipes-core/vvehicle-identity/files/vvehicle-identity.service'),
  same('recipes-core/packagegroups/packagegroup-vvehicle.bb'),
  {
    template: 'layer/recipes-core/images/image.bb.hbs',
    path: (v) => `recipes-core/images/${v.image.target}.bb`,
  },
  {
    template: 'layer/dynamic-layers/clang-layer/recipes-core/packagegroups/packagegroup-vvehicle.bbappend.hbs',
    path: fixed('dynamic-layers/clang-layer/recipes-core/packagegroups/packagegroup-vvehicle.bbappend'),
    when: (v) => v.ebpf.clangTools !== '',
  },
  {
    template: 'layer/recipes-connectivity/ueransim/ueransim.bb.hbs',
    path: (v) => `recipes-connectivity/ueransim/ueransim_${v.ueransim.version}.bb`,
    when: ueransim,
  },
  same('recipes-connectivity/ueransim/files/nr-ue.service', { when: ueransim }),
  // a template without subscriber: the identity unit fills it in at boot
  same('recipes-connectivity/ueransim/files/ue.yaml.in', { when: ueransim }),
  {
    template: 'layer/recipes-monitoring/otelcol-contrib/otelcol-contrib.bb.hbs',
    path: (v) => `recipes-monitoring/otelcol-contrib/otelcol-contrib_${v.otelcol.version}.bb`,
    when: otelcol,
  },
  same('recipes-monitoring/otelcol-contrib/files/otelcol-contrib.service', { when: otelcol }),
  same('recipes-monitoring/otelcol-contrib/files/otelcol-contrib.conf', { when: otelcol }),
  same('recipes-monitoring/otelcol-contrib/files/config.yaml', { when: otelcol }),
  {
    template: 'layer/recipes-monitoring/node-exporter/node-exporter.bb.hbs',
    path: (v) => `recipes-monitoring/node-exporter/node-exporter_${v.nodeExporter.version}.bb`,
    when: nodeExporter,
  },
  same('recipes-monitoring/node-exporter/files/node_exporter.socket', { when: nodeExporter }),
  same('recipes-monitoring/node-exporter/files/node_exporter.service', { when: nodeExporter }),
  // aglsetup.sh finds features in $METADIR/meta-*/templates/feature/<name>/
  ...['50_bblayers.conf.inc', '50_local.conf.inc', 'README_feature_agl-vvehicle.md'].map(
    (name): TemplatedFile => ({ template: `feature/agl-vvehicle/${name}.hbs`, path: fixed(`templates/feature/agl-vvehicle/${name}`) }),
  ),
];

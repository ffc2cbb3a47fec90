import type { Config } from '../config/schema.js';
import { CORE_REQUIRED_UNITS } from './console-patterns.js';

/** Units whose failure on the console ends the boot at once: core targets plus the enabled payloads. */
export function requiredUnits(config: Config): string[] {
  const c = config.components;
  return [
    ...CORE_REQUIRED_UNITS,
    ...(c.nodeExporter.enabled ? ['node_exporter.socket', 'node_exporter.service'] : []),
    ...(c.otelcolContrib.enabled ? ['otelcol-contrib.service'] : []),
    ...(c.ueransim.enabled ? ['nr-ue.service'] : []),
  ];
}

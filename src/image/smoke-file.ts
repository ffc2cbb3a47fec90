/**
 * Where a passing smoke result is saved next to the convert output, and where `vvehicle manifest`
 * looks for one when none is named. A module of its own: smoke needs the name, not the manifest code
 * (whose templates would load handlebars before QEMU starts).
 */
export const DEFAULT_SMOKE_FILE = 'smoke.json';

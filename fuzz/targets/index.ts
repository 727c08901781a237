/**
 * The registry of fuzz targets, by name. Each entry names the module that defines the target
 * and the export holding it: the fuzzer loads that module only after its coverage hook is in
 * place, so nothing here imports the library.
 */

/** Where a target lives: module path (relative to this directory) and export name. */
export interface TargetEntry {
  name: string;
  module: string;
  exportName: string;
  /** Run only when named with --target (the fuzzer's own self-tests). */
  hidden?: boolean;
}

/** Every target, in the order `npm run fuzz` runs them. */
export const TARGETS: readonly TargetEntry[] = [
  { name: 'frames', module: './frames', exportName: 'target' },
  { name: 'hpack', module: './hpack', exportName: 'target' },
  { name: 'session-server', module: './session', exportName: 'serverTarget' },
  { name: 'session-client', module: './session', exportName: 'clientTarget' },
  { name: 'http1', module: './http1', exportName: 'target' },
  { name: 'nghttpx-options', module: './nghttpx-options', exportName: 'target' },
  { name: 'hpack-tools', module: './hpack-tools', exportName: 'target' },
  { name: 'sniff', module: './sniff', exportName: 'target' },
  { name: 'client-args', module: './client-args', exportName: 'target' },
  { name: 'selftest-crash', module: './selftest', exportName: 'crashTarget', hidden: true },
  { name: 'selftest-hang', module: './selftest', exportName: 'hangTarget', hidden: true },
];

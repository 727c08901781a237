/** The package version (shown by every tool), read once from the nearest package.json named nghttp2-ts. */
import fs = require('fs');
import path = require('path');

let cached: string | undefined;

/** The version in nghttp2-ts's package.json (`0.0.0` if it cannot be found). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    const p = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'nghttp2-ts' && pkg.version) return (cached = pkg.version);
    } catch {
      // not here: keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return (cached = '0.0.0');
}

/** `--version` output: `<tool> nghttp2-ts/<version>`, the shape of the C tools' `nghttp nghttp2/1.52.0`. */
export function versionText(tool: string): string {
  return `${tool} nghttp2-ts/${packageVersion()}\n`;
}

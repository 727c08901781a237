/** Shared helpers of the HPACK specs: locating the repository and the shared vectors. */
import * as fs from 'fs';
import * as path from 'path';
import type { HeaderField } from '../../../lib/protocol/frame/types';
import { hpackTestCaseDir, NO_HPACK_TEST_CASE, repoRoot } from '../../helpers/repo';
export { repoRoot };

/** The repository root: the nearest directory above this file with a package.json. */

/** The hpack-test-case stories ($HPACK_TEST_CASE_DIR or ../shared/vectors/hpack-test-case); '' where absent. */
export const HPACK_TEST_CASE = hpackTestCaseDir() ?? '';
export { NO_HPACK_TEST_CASE };

/** Directories of hpack-test-case holding encoder output (all but raw-data). */
export function encoderDirs(): string[] {
  return fs
    .readdirSync(HPACK_TEST_CASE)
    .filter((d) => d !== 'raw-data' && fs.statSync(path.join(HPACK_TEST_CASE, d)).isDirectory())
    .sort();
}

/** Name/value pairs only (drops the sensitive flag), for comparisons. */
export function pairs(fields: readonly HeaderField[]): [string, string][] {
  return fields.map((f) => [f[0], f[1]]);
}

/** RFC 7541 Appendix C vectors (vectors/rfc7541/appendix-c.json). */
export interface AppendixC {
  integers: { section: string; value: number; prefix_bits: number; wire: string }[];
  fields: {
    section: string;
    representation: string;
    headers: [string, string][];
    wire: string;
    table: [string, string][];
    table_used: number;
  }[];
  sequences: {
    section: string;
    title: string;
    huffman: boolean;
    table_size: number;
    cases: { wire: string; headers: [string, string][]; table: [string, string][]; table_used: number }[];
  }[];
}

export function appendixC(): AppendixC {
  return JSON.parse(fs.readFileSync(path.join(repoRoot(), 'vectors/rfc7541/appendix-c.json'), 'utf8'));
}

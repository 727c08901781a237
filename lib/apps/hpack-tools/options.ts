/**
 * Command lines of deflatehd and inflatehd: flags -> options, and the help texts.
 * Flags as the reference tools spell them; a bad flag or value is a UsageError.
 */
import { helpOrVersion, OptionTable } from '../common/argv';
import { UsageError } from '../common/units';
import type { DeflateOptions } from './deflate';
import type { InflateOptions } from './inflate';

export { UsageError };

/** What a command line asks for. */
export type Parsed<T> =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; options: T }
  | { kind: 'verify'; files: string[]; options: T };

/** deflatehd's options, as the reference spells them. */
export const DEFLATE_OPTIONS = new OptionTable([
  { long: 'http1text', short: 't' },
  { long: 'table-size', short: 's', arg: 'N' },
  { long: 'deflate-table-size', short: 'S', arg: 'N' },
  { long: 'dump-header-table', short: 'd' },
  { long: 'version' },
  { long: 'help', short: 'h' },
]);

/** inflatehd's options, as the reference spells them (plus our --verify). */
export const INFLATE_OPTIONS = new OptionTable([
  { long: 'dump-header-table', short: 'd' },
  { long: 'verify' },
  { long: 'version' },
  { long: 'help', short: 'h' },
]);

/** Parse deflatehd's arguments. */
export function parseDeflateArgs(argv: string[]): Parsed<DeflateOptions> {
  const a = DEFLATE_OPTIONS.parse(argv);
  const shown = helpOrVersion(a);
  if (shown) return { kind: shown };
  if (a.positionals.length) throw new UsageError(`unexpected argument '${a.positionals[0]}' (input is read from stdin)`);
  const options: DeflateOptions = { http1text: a.has('http1text'), dumpHeaderTable: a.has('dump-header-table') };
  options.tableSize = a.size('table-size', undefined, 0xffffffff);
  options.deflateTableSize = a.size('deflate-table-size', undefined, 0xffffffff);
  return { kind: 'run', options };
}

/** Parse inflatehd's arguments. */
export function parseInflateArgs(argv: string[]): Parsed<InflateOptions> {
  const a = INFLATE_OPTIONS.parse(argv);
  const shown = helpOrVersion(a);
  if (shown) return { kind: shown };
  const options: InflateOptions = { dumpHeaderTable: a.has('dump-header-table') };
  const files = [...a.positionals];
  if (a.has('verify')) {
    if (files.length === 0) throw new UsageError('--verify needs at least one story FILE');
    return { kind: 'verify', files, options };
  }
  if (files.length)
    throw new UsageError(`unexpected argument '${files[0]}' (input is read from stdin; use --verify FILE... to check story files)`);
  return { kind: 'run', options };
}

/** deflatehd --help. */
export const DEFLATE_HELP = `Usage: deflatehd [OPTIONS] < INPUT

Reads header lists from stdin, encodes each one into an HPACK (RFC 7541) header block with one
compression context, and writes a JSON document {"cases": [...]} to stdout. The input is JSON
in the hpack-test-case format ({"cases": [{"headers": [{"name": "value"}, ...]}, ...]}) or,
with -t, HTTP/1-style text. A summary of input and output sizes goes to stderr.

Options:
  -t, --http1text       Input is HTTP/1-style text: "name: value" lines, one header list per
                        block, blocks separated by an empty line (LF or CRLF).
  -s, --table-size=N    The peer's SETTINGS_HEADER_TABLE_SIZE. Default: 4096.
  -S, --deflate-table-size=N
                        The most the encoder uses of the dynamic table. Default: 4096.
                        The size in effect is the smaller of -s and -S; when -s is not 4096,
                        the first block opens with a table size update.
  -d, --dump-header-table
                        Add the dynamic table after each block to the output ("header_table").
  --version             Print the version and exit.
  -h, --help            Show this help.

N may take a K, M or G suffix (times 1024). Each bad case is reported on stderr with its index;
the exit code is then 1, and stdout still holds a complete JSON document.
`;

/** inflatehd --help. */
export const INFLATE_HELP = `Usage: inflatehd [OPTIONS] < INPUT
       inflatehd --verify FILE...

Reads HPACK (RFC 7541) header blocks as JSON in the hpack-test-case format ({"cases": [{"wire":
"<hex>", "header_table_size": N}, ...]}) from stdin, decodes them in order with one context, and
writes a JSON document {"cases": [...]} with the decoded "headers" to stdout. A case's
"header_table_size" (null means absent) is applied as our new SETTINGS_HEADER_TABLE_SIZE
before its block.

Options:
  -d, --dump-header-table
                        Add the dynamic table after each block to the output ("header_table").
  --verify FILE...      Decode each story file (one context per file), compare every case with
                        its "headers", and print a table per directory: stories, cases, passed,
                        failed. A directory stands for its .json files. Mismatches are listed
                        on stderr; the exit code is 1 if any.
  --version             Print the version and exit.
  -h, --help            Show this help.

Each bad case (bad hex, a decoding error) is reported on stderr with its index; the exit code is
then 1, and stdout still holds a complete JSON document.
`;

/**
 * Command lines of deflatehd and inflatehd: flags -> options, and the help texts.
 * Flags as the reference tools spell them; a bad flag or value is a UsageError.
 */
import minimist from 'minimist';
import { parseSize, UsageError } from '../common/units';
import type { DeflateOptions } from './deflate';
import type { InflateOptions } from './inflate';

export { UsageError };

/** What a command line asks for. */
export type Parsed<T> = { kind: 'help' } | { kind: 'run'; options: T } | { kind: 'verify'; files: string[]; options: T };

function parseWith(argv: string[], strings: string[], booleans: string[], alias: Record<string, string>) {
  const unknown: string[] = [];
  const known = new Set([...strings, ...booleans, ...Object.keys(alias), ...Object.values(alias)]);
  const args = minimist(argv, {
    string: strings,
    boolean: booleans,
    alias,
    unknown: (arg) => {
      if (arg.startsWith('-') && arg !== '-') {
        const name = arg.replace(/^--?/, '').replace(/=.*$/, '');
        if (!known.has(name)) unknown.push(arg);
        return known.has(name);
      }
      return true;
    },
  });
  if (unknown.length) throw new UsageError(`unknown option '${unknown[0]}'`);
  return args;
}

function tableSize(text: unknown, option: string): number {
  if (Array.isArray(text)) text = text[text.length - 1];
  if (typeof text !== 'string' || text === '') throw new UsageError(`${option} needs a SIZE`);
  const n = parseSize(text, option);
  if (n > 0xffffffff) throw new UsageError(`${option}: ${n} is above 4294967295`);
  return n;
}

/** Parse deflatehd's arguments. */
export function parseDeflateArgs(argv: string[]): Parsed<DeflateOptions> {
  const a = parseWith(argv, ['table-size', 'deflate-table-size'], ['http1text', 'dump-header-table', 'help'], {
    s: 'table-size',
    S: 'deflate-table-size',
    t: 'http1text',
    d: 'dump-header-table',
    h: 'help',
  });
  if (a.help) return { kind: 'help' };
  if (a._.length) throw new UsageError(`unexpected argument '${a._[0]}' (input is read from stdin)`);
  const options: DeflateOptions = { http1text: !!a.http1text, dumpHeaderTable: !!a['dump-header-table'] };
  if (a['table-size'] !== undefined) options.tableSize = tableSize(a['table-size'], '--table-size');
  if (a['deflate-table-size'] !== undefined) options.deflateTableSize = tableSize(a['deflate-table-size'], '--deflate-table-size');
  return { kind: 'run', options };
}

/** Parse inflatehd's arguments. */
export function parseInflateArgs(argv: string[]): Parsed<InflateOptions> {
  const a = parseWith(argv, [], ['dump-header-table', 'verify', 'help'], { d: 'dump-header-table', h: 'help' });
  if (a.help) return { kind: 'help' };
  const options: InflateOptions = { dumpHeaderTable: !!a['dump-header-table'] };
  const files = a._.map(String);
  if (a.verify) {
    if (files.length === 0) throw new UsageError('--verify needs at least one story FILE');
    return { kind: 'verify', files, options };
  }
  if (files.length) throw new UsageError(`unexpected argument '${files[0]}' (input is read from stdin; use --verify FILE... to check story files)`);
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
  -h, --help            Show this help.

Each bad case (bad hex, a decoding error) is reported on stderr with its index; the exit code is
then 1, and stdout still holds a complete JSON document.
`;

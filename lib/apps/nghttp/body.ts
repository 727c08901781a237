/** Request and response bodies for nghttp: reading the -d body, and decoding a compressed answer. */
import fs = require('fs');
import { zlib } from '../../lazy';

/**
 * Read the -d body: a file, or all of `stdin` for '-'.
 * @param path - The -d argument.
 * @param stdin - What '-' reads (process.stdin when not given).
 */
export async function readBody(path: string, stdin: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (path === '-') {
    const input = stdin ?? process.stdin;
    const chunks: Buffer[] = [];
    for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    return Buffer.concat(chunks);
  }
  return fs.promises.readFile(path);
}

/**
 * Decode a gzip or deflate response body (deflate with or without its zlib wrapper).
 * Throws when the bytes do not decode.
 */
export function decompressBody(all: Buffer, encoding: 'gzip' | 'deflate' | undefined): Buffer {
  if (encoding === 'gzip') return zlib().gunzipSync(all);
  try {
    return zlib().inflateSync(all);
  } catch {
    return zlib().inflateRawSync(all);
  }
}

/**
 * HDDeflater / HDInflater: the one-call HPACK API nghttp2 once offered to Python, in TypeScript
 * idiom, over the pure encoder and decoder in lib/protocol/hpack.
 */
import { ApiMisuseError } from './protocol/errors';
import { HpackEncoder, HpackEncoderOptions } from './protocol/hpack/encoder';
import { HpackDecoder, HpackDecoderOptions } from './protocol/hpack/decoder';
import type { HeaderField } from './protocol/frame/types';

/** A header name or value: a Buffer (any octets) or a string (each char one octet, U+0000..U+00FF). */
export type HeaderBytes = string | Buffer;

/** One entry of the dynamic table as `getHdTable()` lists it (newest first). */
export interface HDTableEntry {
  /** HPACK index (62 is the newest entry). */
  index: number;
  name: string;
  value: string;
  /** name + value + 32 (RFC 7541 section 4.1). */
  size: number;
}

/** A character no octet string has. One regex scan is ~10x faster than a charCodeAt loop in V8. */
const ABOVE_LATIN1 = /[^\x00-\xff]/;

function toByteString(x: HeaderBytes, what: string): string {
  if (typeof x === 'string') {
    if (ABOVE_LATIN1.test(x))
      throw new ApiMisuseError(`${what} has a character above U+00FF; pass a Buffer (e.g. Buffer.from(s, 'utf8')) for such text`);
    return x;
  }
  if (Buffer.isBuffer(x)) return x.toString('latin1');
  throw new ApiMisuseError(`${what} must be a string or a Buffer`);
}

/**
 * An HPACK compression context: `deflate` turns header lists into header blocks.
 *
 * ```ts
 * const deflater = new HDDeflater();
 * const block = deflater.deflate([[':method', 'GET'], [':path', '/']]);
 * ```
 */
export class HDDeflater {
  private readonly encoder: HpackEncoder;

  /**
   * @param maxTableSize the most of the dynamic table this deflater uses (default 4096)
   * @param opts further encoder options (Huffman mode, indexing policy)
   */
  constructor(maxTableSize = 4096, opts: Omit<HpackEncoderOptions, 'maxTableSize'> = {}) {
    this.encoder = new HpackEncoder({ ...opts, maxTableSize });
  }

  /**
   * Encode one header list into one header block. A third element `true` marks a field
   * sensitive (sent never-indexed).
   */
  deflate(headers: Iterable<readonly [HeaderBytes, HeaderBytes, boolean?]>): Buffer {
    const fields: HeaderField[] = [];
    let i = 0;
    for (const h of headers) {
      if (!Array.isArray(h) || h.length < 2) throw new ApiMisuseError(`header ${i} must be a [name, value] pair`);
      const name = h[0];
      const value = h[1];
      if (typeof name === 'string' && typeof value === 'string' && !ABOVE_LATIN1.test(name) && !ABOVE_LATIN1.test(value)) {
        // Octet strings already: the caller's pair goes to the encoder as it is (it reads the name,
        // the value and whether the third element is `true`, and keeps none of the arrays).
        fields.push(h as unknown as HeaderField);
      } else {
        const f: HeaderField = [toByteString(name, `header ${i} name`), toByteString(value, `header ${i} value`)];
        if (h[2] === true) f.push(true);
        fields.push(f);
      }
      i++;
    }
    return this.encoder.encode(fields);
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block opens with a size update. */
  changeTableSize(n: number): void {
    this.encoder.setPeerMaxTableSize(n);
  }

  /** The dynamic table, newest first. */
  getHdTable(): HDTableEntry[] {
    return this.encoder.entries();
  }
}

/**
 * An HPACK decompression context: `inflate` turns header blocks back into header lists.
 *
 * ```ts
 * const inflater = new HDInflater();
 * inflater.inflate(block); // [[':method', 'GET'], [':path', '/']]
 * ```
 */
export class HDInflater {
  private readonly decoder: HpackDecoder;

  /** @param opts decoder limits (table size limit, header list and string length limits) */
  constructor(opts: HpackDecoderOptions = {}) {
    this.decoder = new HpackDecoder(opts);
  }

  /**
   * Decode one complete header block into [name, value] pairs (latin1 byte strings: one char per
   * octet; `Buffer.from(s, 'latin1')` gives the octets back). Throws a CompressionError subclass.
   */
  inflate(data: Buffer | Uint8Array): [name: string, value: string][] {
    const fields = this.decoder.decode(data);
    const out: [string, string][] = new Array(fields.length);
    for (let i = 0; i < fields.length; i++) out[i] = [fields[i][0], fields[i][1]];
    return out;
  }

  /** Our SETTINGS_HEADER_TABLE_SIZE (acknowledged) changed: the limit for size updates. */
  changeTableSize(n: number): void {
    this.decoder.setMaxTableSize(n);
  }

  /** The dynamic table, newest first. */
  getHdTable(): HDTableEntry[] {
    return this.decoder.entries();
  }
}

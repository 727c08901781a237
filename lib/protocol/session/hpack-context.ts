/**
 * The session's two HPACK contexts (RFC 7541), behind the small surface the session needs:
 * the encoder (peer's table size) and the decoder (our table size, our header list limit).
 * Backed by lib/protocol/hpack (HpackEncoder / HpackDecoder).
 */
import { CompressionError } from '../errors';
import type { HeaderField } from '../frame/types';

/** What the session needs of an HPACK encoder. */
interface EncoderLike {
  setPeerMaxTableSize(n: number): void;
  encode(fields: HeaderField[]): Buffer;
}
/** What the session needs of an HPACK decoder. */
interface DecoderLike {
  setMaxTableSize(n: number): void;
  decode(block: Buffer): HeaderField[];
}

/* The HPACK modules are resolved at run time so that this layer builds while they are written in
 * parallel; when absent (early in the project) the hpack.js development dependency stands in. */
let realEncoder: (new (opts?: any) => EncoderLike) | undefined;
let realDecoder: (new (opts?: any) => DecoderLike) | undefined;
let tooLargeClass: (new (...a: any[]) => Error) | undefined;
try {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  realEncoder = require('../hpack/encoder').HpackEncoder;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dec = require('../hpack/decoder');
  realDecoder = dec.HpackDecoder;
  tooLargeClass = dec.HeaderListTooLargeError ?? dec.HeaderListSizeError;
} catch {
  realEncoder = undefined;
}

/** Whether an error thrown by `decode` means "header list over our limit" (stream-level). */
export function isHeaderListTooLarge(err: unknown): boolean {
  if (tooLargeClass !== undefined && err instanceof tooLargeClass) return true;
  return err instanceof Error && err.name === 'HeaderListTooLargeError';
}

/** The encoding context: header lists -> header blocks, in wire order. */
export class HpackEncoder {
  private readonly impl: EncoderLike;
  private readonly fallback: any;

  constructor() {
    if (realEncoder !== undefined) {
      this.impl = new realEncoder();
    } else {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const hpack = require('hpack.js');
      const c = hpack.compressor.create({ table: { size: 4096 } });
      this.fallback = c;
      this.impl = {
        setPeerMaxTableSize: () => undefined,
        encode: (fields: HeaderField[]) => {
          c.write(fields.map((f) => ({ name: f[0], value: f[1], neverIndex: f[2] === true })));
          return (c.read() as Buffer) ?? Buffer.alloc(0);
        },
      };
    }
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE (capped by our own limit by the caller). */
  setPeerMaxTableSize(n: number): void {
    this.impl.setPeerMaxTableSize(n);
  }

  encode(fields: HeaderField[]): Buffer {
    return this.impl.encode(fields);
  }
}

/** The decoding context: header blocks -> header lists. */
export class HpackDecoder {
  private readonly impl: DecoderLike;

  constructor(private readonly maxHeaderListSize: number) {
    if (realDecoder !== undefined) {
      this.impl = new realDecoder({ maxHeaderListSize: Number.isFinite(maxHeaderListSize) ? maxHeaderListSize : undefined });
    } else {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const hpack = require('hpack.js');
      const d = hpack.decompressor.create({ table: { size: 4096 } });
      this.impl = {
        setMaxTableSize: () => undefined,
        decode: (block: Buffer) => {
          try {
            d.write(block);
            d.execute();
          } catch (e) {
            throw new CompressionError(`HPACK: ${(e as Error).message}`);
          }
          const out: HeaderField[] = [];
          let h;
          let size = 0;
          while ((h = d.read())) {
            out.push(h.neverIndex ? [h.name, h.value, true] : [h.name, h.value]);
            size += h.name.length + h.value.length + 32;
          }
          if (size > this.maxHeaderListSize) {
            const e = new Error(`header list of ${size} octets over ${this.maxHeaderListSize}`);
            e.name = 'HeaderListTooLargeError';
            throw e;
          }
          return out;
        },
      };
    }
  }

  /** Our SETTINGS_HEADER_TABLE_SIZE, once the peer ACKed it. */
  setMaxTableSize(n: number): void {
    this.impl.setMaxTableSize(n);
  }

  decode(block: Buffer): HeaderField[] {
    return this.impl.decode(block);
  }
}

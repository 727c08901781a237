/**
 * Byte-level mutators in the manner of libFuzzer's: each input is a corpus entry changed by a
 * short random stack of edits (bit flips, interesting integers, arithmetic, inserted, erased,
 * copied or swapped ranges, dictionary tokens, splices with another entry). Seeded, so a run is
 * reproducible from `--seed`.
 */

/** A small, fast, seedable PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A 32-bit unsigned integer. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in 0..n-1 (n >= 1). */
  below(n: number): number {
    return this.u32() % n;
  }
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x3f, 0x7e, 0xfe];
const INTERESTING_16 = [0x0000, 0x0001, 0x00ff, 0x0100, 0x3fff, 0x4000, 0x7fff, 0x8000, 0xffff, 0x1000];
const INTERESTING_32 = [0, 1, 0x3fff, 0x4000, 0x4001, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xffffffff];

/** Mutation engine for one target. */
export class Mutator {
  private readonly dict: Buffer[];

  constructor(
    private readonly rng: Rng,
    private readonly maxLen: number,
    dictionary: readonly (string | Buffer)[] = [],
    /** Extra structure-aware edit (e.g. frame level); returns null when it does not apply. */
    private readonly structured?: (rng: Rng, buf: Buffer, other: Buffer) => Buffer | null,
  ) {
    this.dict = dictionary.map((d) => (typeof d === 'string' ? Buffer.from(d, 'latin1') : d)).filter((d) => d.length > 0);
  }

  /** A new input derived from `base` (never modified); `other` is a splice partner. */
  mutate(base: Buffer, other: Buffer): Buffer {
    const rng = this.rng;
    // Work in a scratch array of the largest size, then cut.
    let buf: Buffer = Buffer.from(base.length > this.maxLen ? base.subarray(0, this.maxLen) : base);
    const edits = 1 << rng.below(5); // 1..16 stacked edits
    for (let e = 0; e < edits; e++) {
      const s = this.structured && rng.below(3) === 0 ? this.structured(rng, buf, other) : null;
      buf = s ?? this.edit(buf, other);
    }
    return buf.length > this.maxLen ? buf.subarray(0, this.maxLen) : buf;
  }

  private edit(buf: Buffer, other: Buffer): Buffer {
    const rng = this.rng;
    const len = buf.length;
    switch (rng.below(len === 0 ? 3 : 14)) {
      case 0: // insert random bytes
        return insert(buf, rng.below(len + 1), randomBytes(rng, 1 + rng.below(8)));
      case 1: // insert a dictionary token
        return this.dict.length ? insert(buf, rng.below(len + 1), this.dict[rng.below(this.dict.length)]) : buf;
      case 2: // splice: our head + the partner's tail (or insert a piece of the partner)
        if (other.length === 0) return buf;
        if (rng.below(2) === 0) return Buffer.concat([buf.subarray(0, rng.below(len + 1)), other.subarray(rng.below(other.length))]);
        {
          const from = rng.below(other.length);
          return insert(buf, rng.below(len + 1), other.subarray(from, from + 1 + rng.below(Math.min(64, other.length - from))));
        }
      case 3: // flip a bit
        buf[rng.below(len)] ^= 1 << rng.below(8);
        return buf;
      case 4: // random byte
        buf[rng.below(len)] = rng.below(256);
        return buf;
      case 5: // interesting byte
        buf[rng.below(len)] = INTERESTING_8[rng.below(INTERESTING_8.length)];
        return buf;
      case 6: {
        // interesting 16/24/32-bit value, big-endian (the wire order of HTTP/2)
        const width = 2 + rng.below(3);
        if (len < width) return buf;
        const at = rng.below(len - width + 1);
        const v = width === 2 ? INTERESTING_16[rng.below(INTERESTING_16.length)] : INTERESTING_32[rng.below(INTERESTING_32.length)];
        if (width === 2) buf.writeUInt16BE(v & 0xffff, at);
        else if (width === 3) buf.writeUIntBE(v & 0xffffff, at, 3);
        else buf.writeUInt32BE(v >>> 0, at);
        return buf;
      }
      case 7: {
        // small arithmetic on a byte or a 24-bit length field
        const at = rng.below(len);
        const delta = 1 + rng.below(16);
        if (rng.below(2) === 0 || len - at < 3) buf[at] = (buf[at] + (rng.below(2) ? delta : -delta)) & 0xff;
        else buf.writeUIntBE((buf.readUIntBE(at, 3) + (rng.below(2) ? delta : -delta)) & 0xffffff, at, 3);
        return buf;
      }
      case 8: {
        // erase a range
        const at = rng.below(len);
        const n = 1 + rng.below(Math.min(len - at, 1 + rng.below(64)));
        return Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]);
      }
      case 9: {
        // duplicate a range in place
        const at = rng.below(len);
        const n = 1 + rng.below(Math.min(len - at, 64));
        return insert(buf, at, Buffer.from(buf.subarray(at, at + n)));
      }
      case 10: {
        // copy a range over another
        const from = rng.below(len);
        const to = rng.below(len);
        buf.copy(buf, to, from, from + 1 + rng.below(Math.min(len - from, 32)));
        return buf;
      }
      case 11: {
        // swap two octets
        const a = rng.below(len);
        const b = rng.below(len);
        const t = buf[a];
        buf[a] = buf[b];
        buf[b] = t;
        return buf;
      }
      case 12: // overwrite with a dictionary token
        if (this.dict.length) {
          const d = this.dict[rng.below(this.dict.length)];
          d.copy(buf, rng.below(len), 0, Math.min(d.length, len));
        }
        return buf;
      default: {
        // truncate
        return buf.subarray(0, rng.below(len + 1));
      }
    }
  }
}

function insert(buf: Buffer, at: number, piece: Buffer): Buffer {
  return Buffer.concat([buf.subarray(0, at), piece, buf.subarray(at)]);
}

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.below(256);
  return b;
}

/**
 * What a fuzz target is: a function from bytes to nothing that throws only when it has found a
 * bug. Each target catches the typed errors its module promises for bad input (protocol errors,
 * parse errors, usage errors) and lets anything else escape: an untyped TypeError or RangeError,
 * a broken invariant, a thrown non-Error.
 */

/** One fuzz target. */
export interface FuzzTarget {
  /** Name printed in reports and used on the command line. */
  readonly name: string;
  /** Largest input the mutators build (seeds may be larger). */
  readonly maxLen: number;
  /** Tokens the mutators splice in (protocol keywords, magic numbers). */
  readonly dictionary?: readonly (string | Buffer)[];
  /** Inputs are HTTP/2 frame sequences: the fuzzer adds frame-level edits to its byte edits. */
  readonly frames?: boolean;
  /** Run one input. Returns normally for any clean outcome; throws only for a bug. */
  run(input: Buffer): void;
}

/** A target's invariant did not hold: what the target found is a bug even though nothing threw. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

/**
 * Split `input` into chunks at cut points derived from its own bytes (deterministic per input):
 * mostly pieces of 1..16 octets and now and then up to 256 when `large` is 256, the other way
 * round when it is larger (fewer calls per input, for the costlier targets).
 */
export function chunksOf(input: Buffer, salt: number, large = 256): Buffer[] {
  const out: Buffer[] = [];
  let h = (salt * 2654435761) >>> 0;
  for (let i = 0; i < input.length && i < 16; i++) h = Math.imul(h ^ input[i], 16777619) >>> 0;
  let off = 0;
  while (off < input.length) {
    h = Math.imul(h ^ (h >>> 15), 2246822519) >>> 0;
    // Mostly small pieces (1..16 octets), now and then a large one, so splits land inside
    // frame headers, inside payloads and on boundaries.
    const big = large > 256 ? h % 4 !== 0 : h % 4 === 0;
    const n = big ? 1 + ((h >>> 8) % large) : 1 + ((h >>> 8) % 16);
    out.push(input.subarray(off, off + n));
    off += n;
  }
  return out;
}

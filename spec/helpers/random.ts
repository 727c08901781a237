/**
 * Deterministic pseudo-random input for specs. A spec that feeds "garbage" must get the same
 * garbage every run: random bytes are now and then valid by chance (a TLS record header, a frame
 * header announcing more bytes than follow), and the peer then rightly waits for the rest.
 */

/** A small seeded PRNG (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` pseudo-random octets, the same for the same seed. */
export function seededBytes(n: number, seed: number): Buffer {
  const next = seededRandom(seed);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/**
 * Targets that exist to prove the fuzzer itself works (used by spec/fuzz, never run by default):
 * `selftest-crash` throws a TypeError once an input is longer than 3 octets; `selftest-hang`
 * never returns for such an input.
 */
import type { FuzzTarget } from './target';

export const crashTarget: FuzzTarget = {
  name: 'selftest-crash',
  maxLen: 64,
  run(input: Buffer): void {
    if (input.length > 3) (undefined as unknown as { x: () => void }).x();
  },
};

export const hangTarget: FuzzTarget = {
  name: 'selftest-hang',
  maxLen: 64,
  run(input: Buffer): void {
    if (input.length > 3) for (;;) {}
  },
};

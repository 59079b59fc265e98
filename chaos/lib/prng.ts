/**
 * A small seeded pseudo-random generator (mulberry32), so that every chaos run with the
 * same seed sends byte-for-byte the same garbage and a failure can be replayed.
 */

/** Deterministic random source. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** `length` random bytes. */
  bytes(length: number): Buffer;
}

/** Creates a generator; equal seeds give equal sequences. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)] as T;
    },
    chance: (p) => next() < p,
    bytes: (length) => {
      const buffer = Buffer.alloc(length);
      for (let i = 0; i < length; i += 1) buffer[i] = int(0, 255);
      return buffer;
    },
  };
}

/**
 * Seeded pseudo-random numbers for every random choice a run makes (hold times, which page to
 * migrate, which gpa to re-point a cache to...), so a run is described by its seed.
 *
 * xoshiro128** over a 4-slot Uint32Array state: numbers in, numbers out, no allocation after
 * construction, so it can be used on the hot path. Each thread derives its own stream from the
 * run seed and its thread index (`forThread`), so threads do not share a generator.
 */
export class Random {
  private readonly s = new Uint32Array(4);

  constructor(seed: number, stream = 0) {
    // splitmix32 expands (seed, stream) into the 128-bit state; never all zero.
    let x = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** A generator for thread `threadIndex` of a run with `seed`. */
  static forThread(seed: number, threadIndex: number): Random {
    return new Random(seed, threadIndex);
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] = (s[2]! ^ s[0]!) >>> 0;
    s[3] = (s[3]! ^ s[1]!) >>> 0;
    s[1] = (s[1]! ^ s[2]!) >>> 0;
    s[0] = (s[0]! ^ s[3]!) >>> 0;
    s[2] = (s[2]! ^ t) >>> 0;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform integer in [0, bound), bound >= 1. */
  below(bound: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * bound);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability p (0..1). */
  chance(p: number): boolean {
    return this.nextUint32() / 4294967296 < p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// Seeded randomness for the synthetic exports: same seed, same bytes. Math.random and Date.now are never
// used. mulberry32 (Tommy Ettinger, public domain) is a 32-bit-state generator: fast in V8 because it stays
// in int32 arithmetic, and far more than random enough for test data. Its period (2^32) is not a concern:
// independent parts of an export (a track's key frames, its geometry) get their own generators via `fork`.

const TWO_POW_32 = 4294967296

export class Prng {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A uniform unsigned 32-bit integer. */
  nextU32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / TWO_POW_32
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** A uniform integer in [lo, hi], both inclusive. */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  /** A uniform float in [lo, hi). */
  float(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    // Callers only pass non-empty constant pools; the cast states that invariant once.
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** An independent generator seeded from this one, so a part of the export can be replayed on its own. */
  fork(): Prng {
    return new Prng(this.nextU32())
  }
}

const BASE36_4 = 36 ** 4

/**
 * Labelbox ids are cuids (v1): `c`, an 8-char base36 millisecond timestamp, a 4-char counter, a 4-char
 * host fingerprint and 8 random chars, 25 chars in all (e.g. `ckr2k4hvi000a3h69dm0voem2` in the SDK's
 * fixtures). Reproducing that layout keeps ids realistic (they sort by creation time, share prefixes)
 * and unique: the counter differs between any two ids of one export with fewer than 36^4 ids per
 * millisecond, and the random part covers the rest.
 */
export class CuidFactory {
  readonly #rng: Prng
  readonly #fingerprint: string
  #counter: number

  constructor(rng: Prng) {
    this.#rng = rng
    this.#fingerprint = base36(rng.int(BASE36_4), 4)
    this.#counter = rng.int(BASE36_4)
  }

  next(epochMs: number): string {
    this.#counter = (this.#counter + 1) % BASE36_4
    return `c${base36(Math.floor(epochMs), 8)}${base36(this.#counter, 4)}${this.#fingerprint}${base36(this.#rng.int(BASE36_4), 4)}${base36(this.#rng.int(BASE36_4), 4)}`
  }
}

// toString(36) showed up at 8% of the generator's profile; two-digit lookups make ids 4x cheaper.
const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
const PAIRS: readonly string[] = Array.from({ length: 36 * 36 }, (_, i) => `${DIGITS[Math.floor(i / 36)]}${DIGITS[i % 36]}`)

/** The low `width` (even) base36 digits of a non-negative integer, zero-padded. */
function base36(value: number, width: number): string {
  let text = ''
  let rest = value
  for (let i = 0; i < width; i += 2) {
    const low = rest % 1296
    text = PAIRS[low] + text
    rest = (rest - low) / 1296
  }
  return text
}

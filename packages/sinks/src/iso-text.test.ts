import { describe, expect, it } from 'vitest'
import { isoUtcText, isoYearsFromMs, isoYearsToMs } from './iso-text.js'

const dayMs = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()

/** xorshift32 with a fixed seed: the same 200,000 values on every run. */
function* seededMs(count: number): Generator<number> {
  let state = 0x9e3779b9
  for (let i = 0; i < count; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const high = (state >>> 0) / 2 ** 32
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const low = (state >>> 0) / 2 ** 32
    yield isoYearsFromMs + Math.floor((high + low / 2 ** 20) * (isoYearsToMs - isoYearsFromMs))
  }
}

describe('isoUtcText', () => {
  it("writes Date#toISOString's text at the edges of the fast path, around leap days and the epoch", () => {
    const edges = [
      isoYearsFromMs,
      isoYearsToMs - 1,
      0,
      -1,
      1,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(1900, 1, 28, 12),
      Date.UTC(1900, 2, 1),
      Date.UTC(2024, 1, 29),
      Date.UTC(2100, 2, 1) - 1,
      Date.UTC(1600, 0, 1),
      Date.UTC(1969, 11, 31, 23, 59, 59, 999),
    ]
    for (const ms of edges) expect(isoUtcText(ms)).toBe(iso(ms))
    expect(isoUtcText(isoYearsFromMs)).toBe('0001-01-01T00:00:00.000Z')
    expect(isoUtcText(isoYearsToMs - 1)).toBe('9999-12-31T23:59:59.999Z')
  })

  it('agrees with Date around every day of 1899-2101, around New Year and the end of February of years 1-9999, and on 200,000 seeded instants', () => {
    const instants: number[] = []
    for (let midnight = Date.UTC(1899, 0, 1); midnight < Date.UTC(2102, 0, 1); midnight += dayMs)
      instants.push(midnight, midnight + dayMs - 1)
    for (let year = 1; year <= 9999; year++) {
      for (const [month, day] of [
        [0, 1],
        [1, 28],
        [1, 29],
        [2, 1],
      ] as const) {
        const date = new Date(0)
        date.setUTCFullYear(year, month, day)
        instants.push(date.getTime(), date.getTime() - 1)
      }
    }
    for (const ms of seededMs(200_000)) instants.push(ms)
    const mismatches = instants.filter((ms) => isoUtcText(ms) !== iso(ms))
    expect(mismatches.slice(0, 5).map((ms) => [ms, isoUtcText(ms), iso(ms)])).toEqual([])
    expect(instants.length).toBeGreaterThan(400_000)
  })

  it('leaves what the fast path does not cover to Date: six-digit years, signs, fractions of a millisecond', () => {
    for (const ms of [isoYearsToMs, isoYearsFromMs - 1, 8.64e15, -8.64e15, 1.5, -0.25]) expect(isoUtcText(ms)).toBe(iso(ms))
    expect(isoUtcText(isoYearsToMs)).toBe('+010000-01-01T00:00:00.000Z')
    expect(() => isoUtcText(Number.NaN)).toThrow(RangeError)
  })
})

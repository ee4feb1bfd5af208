import { frameNumber } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { epochMs, int32, isFrameNumber } from './column-values.js'
import { FlattenCounters } from './flatten-stats.js'

describe('epochMs', () => {
  it('returns null for absent values', () => {
    expect(epochMs(null)).toBeNull()
    expect(epochMs(undefined)).toBeNull()
  })

  it('agrees with Date.parse on the export shape and on every other shape', () => {
    const cases = [
      '2023-06-12T18:42:24.000+00:00',
      '2023-06-13T09:00:00.000Z',
      '2023-06-20T10:15:30.500Z',
      '2023-06-20T10:15:30Z',
      '2023-06-20T10:15:30.5Z',
      '2023-06-20T10:15:30.12Z',
      '2023-06-20T10:15:30.123456789-07:30',
      '2024-02-29T23:59:59.999+14:00',
      '2023-02-31T00:00:00Z',
      '2023-01-01T24:00:00Z',
      '2023-01-01T00:00:60Z',
      '0099-01-01T00:00:00Z',
      '2023-01-01T00:00:00+24:00',
      '2023-01-01T00:00:00+0100',
      '2023-01-01T00:00:00.Z',
      '2023-01-01T00:00Z',
      '2023-01-01t00:00:00z',
      '+002023-01-01T00:00:00Z',
      '2023-13-01T00:00:00Z',
      '2023-1a-01T00:00:00Z',
      '2023-06-12',
    ]
    for (const text of cases) {
      const expected = Date.parse(text)
      expect(epochMs(text), text).toBe(Number.isNaN(expected) ? null : expected)
    }
  })

  it('agrees with Date.parse on 20,000 generated timestamps', () => {
    // A fixed-seed generator (mulberry32): the same cases on every run, no time-based flakiness.
    let seed = 0x5eed
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const int = (below: number) => Math.floor(random() * below)
    const pad = (n: number, width: number) => String(n).padStart(width, '0')
    for (let n = 0; n < 20_000; n++) {
      const fraction = int(3) === 0 ? '' : `.${Array.from({ length: 1 + int(7) }, () => int(10)).join('')}`
      const zones = ['Z', `+${pad(int(26), 2)}:${pad(int(62), 2)}`, `-${pad(int(24), 2)}:${pad(int(60), 2)}`]
      const text = `${pad(int(3000), 4)}-${pad(int(14), 2)}-${pad(int(33), 2)}T${pad(int(26), 2)}:${pad(int(61), 2)}:${pad(int(61), 2)}${fraction}${zones[int(3)]}`
      const expected = Date.parse(text)
      expect(epochMs(text), text).toBe(Number.isNaN(expected) ? null : expected)
    }
  })
})

describe('int32', () => {
  it('keeps 32-bit integers and counts every other number under its column', () => {
    const env = { loadId: 'x', source: 'v2' as const, interpolate: false, stats: new FlattenCounters() }
    expect([0, -2147483648, 2147483647, null, undefined].map((v) => int32(v, 't.c', env))).toEqual([0, -2147483648, 2147483647, null, null])
    expect([2147483648, -2147483649, 1.5, Number.NaN].map((v) => int32(v, 't.c', env))).toEqual([null, null, null, null])
    expect(env.stats.invalidIntegers).toEqual({ 't.c': 4 })
  })
})

describe('frame numbers', () => {
  it('reads only canonical decimal keys from 0 to 2^31-1, so two spellings never share a primary key', () => {
    expect(['0', '1', '7', '300', '2147483647'].map(frameNumber)).toEqual([0, 1, 7, 300, 2147483647])
    expect(['', '07', '+7', '-1', '7.0', '1e3', ' 7', 'x', '2147483648', '99999999999'].map(frameNumber)).toEqual(Array(10).fill(-1))
  })

  it('accepts integers from 0 to 2^31-1 as frame numbers', () => {
    expect([0, 1, 2147483647].every(isFrameNumber)).toBe(true)
    expect([-1, 1.5, 2147483648, Number.NaN].some(isFrameNumber)).toBe(false)
  })

  it('agrees with JavaScript on which keys are array indices, enumerated in ascending order', () => {
    const frames: Record<string, number> = {}
    for (const key of ['30', '07', '5', 'x', '100', '2147483647']) frames[key] = 0
    expect(Object.keys(frames).filter((key) => frameNumber(key) >= 0)).toEqual(['5', '30', '100', '2147483647'])
  })
})

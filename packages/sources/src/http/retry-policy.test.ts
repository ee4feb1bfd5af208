import { describe, expect, it } from 'vitest'
import { isRetryableNetworkError, isRetryableStatus, parseRetryAfter, retryDelayMs, sleep, unannouncedRateLimitMs } from './retry-policy.js'

/** mulberry32, seeded: the same draws on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('retryDelayMs', () => {
  it('full jitter: a draw below min(maxDelayMs, baseDelayMs x 2^(retry - 1))', () => {
    const delaysOf = (seed: number) => {
      const policy = { baseDelayMs: 100, maxDelayMs: 1000, random: seeded(seed) }
      return Array.from({ length: 8 }, (_, i) => retryDelayMs(i + 1, undefined, policy))
    }
    const delays = delaysOf(42)
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000]
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(ceilings[i] as number)
    })
    // Seeded: the same waits on every run; another seed, other waits (clients that failed together spread out).
    expect(delaysOf(42)).toEqual(delays)
    expect(delaysOf(43)).not.toEqual(delays)
  })

  it('the ends of the draw: 0 waits nothing, just under 1 waits the ceiling', () => {
    expect(retryDelayMs(3, undefined, { baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0 })).toBe(0)
    expect(retryDelayMs(3, undefined, { baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0.999999 })).toBe(400)
  })

  it('never earlier than Retry-After; the jitter is added on top', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000, random: seeded(7) }
    for (let retry = 1; retry <= 5; retry++) {
      const delay = retryDelayMs(retry, 2000, policy)
      expect(delay).toBeGreaterThanOrEqual(2000)
      expect(delay).toBeLessThanOrEqual(3000)
    }
  })
})

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.UTC(2025, 10, 25, 12, 0, 0)

  it('delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000)
  })

  it('an HTTP-date in each of its three forms, read as GMT', () => {
    expect(parseRetryAfter('Tue, 25 Nov 2025 12:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Tuesday, 25-Nov-25 12:01:00 GMT', now)).toBe(60_000)
    expect(parseRetryAfter('Tue Nov 25 12:00:05 2025', now)).toBe(5000)
    expect(parseRetryAfter('Tue Nov  2 12:00:05 2025', Date.UTC(2025, 10, 2, 12, 0, 0))).toBe(5000)
  })

  it('a date already past is 0; a two-digit year more than 50 years ahead is in the past century', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0)
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(0)
  })

  it('absent or malformed: undefined, and the backoff alone decides', () => {
    for (const value of [undefined, '', '-5', '1.5', 'soon', 'Tue, 25 Foo 2025 12:00:30 GMT', 'Tue, 25 Nov 2025 12:00:30 PST']) {
      expect(parseRetryAfter(value, now), String(value)).toBeUndefined()
    }
  })
})

describe('what is retried', () => {
  it('408, 429 and transient 5xx; not 501, 505 or 4xx', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([400, 401, 403, 404, 410, 501, 505].some(isRetryableStatus)).toBe(false)
  })

  it('resets and timeouts, undici header and body timeouts included; not a host that does not exist', () => {
    for (const code of ['UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET']) {
      expect(isRetryableNetworkError(Object.assign(new Error('x'), { code })), code).toBe(true)
    }
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(false)
    expect(isRetryableNetworkError(new Error('no code'))).toBe(false)
    expect(isRetryableNetworkError(undefined)).toBe(false)
  })
})

describe('sleep', () => {
  it('rejects with the signal reason as soon as it aborts', async () => {
    const controller = new AbortController()
    const waiting = sleep(60_000, controller.signal)
    controller.abort(new Error('stop'))
    await expect(waiting).rejects.toThrow('stop')
  })
})

describe('unannouncedRateLimitMs: a 429 without Retry-After', () => {
  it('waits a quarter of the one-minute window, doubled at each retry, up to maxRetryAfterMs', () => {
    expect([1, 2, 3, 4, 5].map((retry) => unannouncedRateLimitMs(retry, 120_000))).toEqual([15_000, 30_000, 60_000, 120_000, 120_000])
    expect(unannouncedRateLimitMs(1, 40)).toBe(40)
  })
})

import { setTimeout as wait } from 'node:timers/promises'

// When and how long to wait before downloading a label's frames again. Pure, apart from `sleep`; the resolver
// decides what failed, this decides whether that is worth another try and when.

/** How far apart retries are spread. */
export interface BackoffPolicy {
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  /** A uniform draw in [0, 1): Math.random, or a seeded generator in tests. */
  readonly random: () => number
}

/**
 * The wait before retry number `retry` (1 = the first retry): "full jitter", a uniform draw in
 * [0, min(maxDelayMs, baseDelayMs × 2^(retry - 1))) (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
 * Labels that failed together, as every label of a rate-limited run does, then come back spread out instead of in
 * step, which is what undici's RetryAgent does without jitter (docs/facts.md). With a Retry-After the wait is that
 * delay plus the same jitter: never earlier than the server asked, and not every label at the same instant.
 */
export function retryDelayMs(retry: number, retryAfterMs: number | undefined, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.round((retryAfterMs ?? 0) + policy.random() * ceiling)
}

/**
 * The Retry-After taken for a 429 that gives none, before retry number `retry`. Labelbox's limits are per minute
 * (formats.md: 1,500 / 5,000 / 20,000 requests a minute by tier), and the backoff alone gave up within 7.5 s of
 * the first refusal (review repro: 5 attempts in 5.8 s), failing the run while its minute was still running. So a
 * quarter of that minute, doubled at each retry (15, 30, 60, 120 s: ~3.75 minutes over the default 5 attempts),
 * never past maxRetryAfterMs.
 */
export function unannouncedRateLimitMs(retry: number, maxRetryAfterMs: number): number {
  return Math.min(maxRetryAfterMs, 15_000 * 2 ** (retry - 1))
}

// 408 and 429 ask for a later try by definition; 500/502/503/504 are the transient server and gateway failures
// (RFC 9110 §15.6). 501 and 505 say the request itself can never succeed, and are not retried.
const retryableStatuses = new Set([408, 429, 500, 502, 503, 504])

/** Whether a response status is worth another try. */
export function isRetryableStatus(statusCode: number): boolean {
  return retryableStatuses.has(statusCode)
}

// Connection-level failures that a new connection may not meet: undici's own (a socket closed mid-response,
// connect/headers/body timeouts, a body shorter than its Content-Length) and the system's. undici's RetryAgent
// leaves its header and body timeouts out (docs/facts.md); a stalled download is exactly what a retry fixes.
// ENOTFOUND (no such host) is left out: a misspelt host does not come back.
const retryableErrorCodes = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EAI_AGAIN',
])

/** Whether an error thrown by a request or its body is a connection failure worth another try. */
export function isRetryableNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && retryableErrorCodes.has(code)
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
// RFC 9110 §5.6.7: a recipient must accept all three HTTP-date forms. Date.parse is not used: it reads asctime in
// the local time zone, and accepts almost anything ("2024", "1.5").
const imfFixdate = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const rfc850Date = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const asctimeDate = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

/**
 * `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as milliseconds from `now`: 0 for a date already
 * past, undefined when the header is absent or malformed (the backoff alone then decides).
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now: number): number | undefined {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim()
  if (text === undefined || text === '') return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = parseHttpDate(text, now)
  return date === undefined ? undefined : Math.max(0, date - now)
}

function parseHttpDate(text: string, now: number): number | undefined {
  let match = imfFixdate.exec(text)
  if (match !== null) return utc(match[3], match[2], match[1], match[4], match[5], match[6])
  match = rfc850Date.exec(text)
  if (match !== null) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is the most recent past year with those digits.
    const thisYear = new Date(now).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(match[3])
    if (year > thisYear + 50) year -= 100
    return utc(String(year), match[2], match[1], match[4], match[5], match[6])
  }
  match = asctimeDate.exec(text)
  if (match !== null) return utc(match[6], match[1], match[2], match[3], match[4], match[5])
  return undefined
}

function utc(...[year, month, day, hours, minutes, seconds]: (string | undefined)[]): number | undefined {
  const monthIndex = months.indexOf(month ?? '')
  if (monthIndex < 0) return undefined
  return Date.UTC(Number(year), monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds))
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts: an abort never waits out a backoff. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await wait(ms, undefined, { signal })
  } catch (error) {
    // timers/promises rejects on abort with a generic AbortError: the caller wants its own reason.
    signal.throwIfAborted()
    throw error
  }
}

import {
  ExportFormatError,
  HttpFramesError,
  InvalidOptionError,
  isLabelpipeError,
  type Position,
  type V1Frame,
  type V1Label,
  type V1LabelContent,
} from '@labelpipe/core'
import { Agent, type Dispatcher } from 'undici'
import type { FramesResolver } from '../frames-resolver.js'
import { type HttpFramesResolverOptions, optionsSchema, type ParsedOptions } from './http-frames-resolver-options.js'
import { readFramesBody } from './read-frames-body.js'
import { redactText, redactUrl } from './redact.js'
import {
  type BackoffPolicy,
  isRetryableNetworkError,
  isRetryableStatus,
  parseRetryAfter,
  retryDelayMs,
  sleep,
  unannouncedRateLimitMs,
} from './retry-policy.js'

//   label ── GET Label.frames ──▶ 200 ─▶ body ─▶ [gunzip] ─▶ split2 ─▶ recordParser(v1Frame) ─▶ the label's frames
//              │  Authorization: Bearer <key> while on the URL's own origin, never again once a redirect leaves it
//              ├─ 301/302/303/307/308 ─▶ GET Location (signed storage on another origin, formats.md)
//              ├─ 204 ─▶ skipped label, no frames          401/403 ─▶ LP_HTTP_AUTH        404 ─▶ LP_HTTP_NOT_FOUND
//              └─ 408/429/5xx, reset, timeout ─▶ wait (full jitter, >= Retry-After; a 429 without one: unannouncedRateLimitMs) ─▶ the whole label again
//
// Hand-written redirect and retry loops over one undici Agent (a keep-alive Pool per origin), not undici's
// RetryAgent and redirect interceptor: RetryAgent has no jitter, caps Retry-After at 30 s and does not retry header
// or body timeouts (docs/facts.md), and it retries one hop, so a failure on storage would re-request the same
// signed URL, which may have expired, and would resume a half-parsed body with a Range request. Here a retry
// restarts the label at its API URL (a fresh signed URL) and parses it from its first line. The redirect
// interceptor strips Authorization on a cross-origin hop, but may send it back if a later hop returns to the API
// origin; here the key is never sent again once the chain has left that origin. undici 7's Agent follows no
// redirect by itself (maxRedirections is gone from request(), lib/core/request.js), so every hop is seen here.
//
// A label's frames are yielded only once its body has ended and every line has parsed: a download that fails
// after N frames is retried from scratch, and frames already yielded could not be taken back. resolveV1Frames
// holds a label's frames anyway, to put them inline; the bytes themselves are never held whole, they stream.

/** What an httpFramesResolver has done so far. */
export interface HttpFramesStats {
  /** Labels fully downloaded, skipped ones included. */
  readonly labels: number
  readonly frames: number
  /** Requests sent: each redirect hop and each retry counts. */
  readonly requests: number
  readonly retries: number
  readonly redirects: number
  /** Labels answered 204 (formats.md: a skipped label has no frames): they get no frames, and this is no error. */
  readonly skippedLabels: number
}

/** A FramesResolver over HTTP, with its counters and its connections to close. */
export interface HttpFramesResolver extends FramesResolver {
  readonly stats: HttpFramesStats
  /** Closes the resolver's own connections, once the run has ended (a `dispatcher` from the options stays open). */
  close(): Promise<void>
}

// A key goes into a header value: visible ASCII only, so a pasted newline or space fails here, naming no part of it.
const apiKeyShape = /^[\x21-\x7e]+$/

/**
 * Fetches each raw v1 video label's frames (`Label.frames`, a URL) over HTTP with the Labelbox API key, as
 * formats.md "v1 video frames NDJSON" describes: redirects followed (the key kept to the original origin), 204 a
 * skipped label, 401/403 and 404 fatal, 408/429/5xx, resets and timeouts retried with backoff. Options are checked
 * here, before any connection: a missing or malformed key is an InvalidOptionError.
 */
export function httpFramesResolver(options: HttpFramesResolverOptions = {}): HttpFramesResolver {
  const parsed = optionsSchema.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidOptionError(issue?.path.join('.') ?? 'options', issue?.message ?? 'invalid')
  }
  const apiKey = parsed.data.apiKey ?? process.env.LABELBOX_API_KEY
  if (apiKey === undefined || apiKey === '') {
    throw new InvalidOptionError('apiKey', 'required to fetch frames over HTTP: set LABELBOX_API_KEY (or pass apiKey)')
  }
  if (!apiKeyShape.test(apiKey)) {
    throw new InvalidOptionError('apiKey', 'must be printable ASCII without spaces or line breaks (LABELBOX_API_KEY holds a stray one?)')
  }
  return new HttpFrames(Object.freeze(parsed.data), apiKey)
}

/** A try that failed in a way another try may not: a retryable status, a reset, a timeout. */
interface RetryableFailure {
  readonly reason: string
  readonly url: string
  readonly statusCode: number | undefined
  readonly retryAfterMs: number | undefined
  readonly cause: unknown
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])

class HttpFrames implements HttpFramesResolver {
  readonly #options: ParsedOptions
  readonly #secrets: readonly string[]
  readonly #keyedHeaders: Record<string, string>
  readonly #plainHeaders: Record<string, string>
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  readonly #backoff: BackoffPolicy
  #labels = 0
  #frames = 0
  #requests = 0
  #retries = 0
  #redirects = 0
  #skippedLabels = 0

  constructor(options: ParsedOptions, apiKey: string) {
    this.#options = options
    this.#secrets = [apiKey]
    // gzip is asked for and decoded: fewer bytes on the wire; storage may send it whatever is asked (S3 serves an
    // object's stored Content-Encoding), and undici's request() decodes nothing by itself.
    this.#plainHeaders = { 'accept-encoding': 'gzip' }
    this.#keyedHeaders = { ...this.#plainHeaders, authorization: `Bearer ${apiKey}` }
    this.#ownsDispatcher = options.dispatcher === undefined
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.concurrency,
        connectTimeout: options.connectTimeoutMs,
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs,
      })
    this.#backoff = { baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs, random: options.random }
  }

  get stats(): HttpFramesStats {
    return {
      labels: this.#labels,
      frames: this.#frames,
      requests: this.#requests,
      retries: this.#retries,
      redirects: this.#redirects,
      skippedLabels: this.#skippedLabels,
    }
  }

  async *frames(label: V1Label, signal: AbortSignal, at: Position): AsyncGenerator<V1Frame> {
    const frames = await this.#download(label, framesUrlOf(label, at), signal)
    this.#labels++
    this.#frames += frames.length
    yield* frames
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close()
  }

  /** Attempts until one gets the frames, a failure is fatal, or attempts run out. */
  async #download(label: V1Label, start: URL, signal: AbortSignal): Promise<V1Frame[]> {
    const { maxAttempts, maxRetryAfterMs, onRetry } = this.#options
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(label.ID, start, signal)
      if (Array.isArray(outcome)) return outcome
      const { reason, url, statusCode, retryAfterMs, cause } = outcome
      const details = { labelId: label.ID, url, statusCode, attempts: attempt, cause }
      if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) {
        const seconds = Math.ceil(retryAfterMs / 1000)
        throw new HttpFramesError(
          'LP_HTTP_STATUS',
          `${reason} asks to retry after ${seconds} s, longer than maxRetryAfterMs (${maxRetryAfterMs} ms)`,
          details,
        )
      }
      if (attempt >= maxAttempts) {
        throw new HttpFramesError('LP_HTTP_RETRIES_EXHAUSTED', `gave up after ${attempt} attempts; the last: ${reason}`, details)
      }
      const asked = retryAfterMs ?? (statusCode === 429 ? unannouncedRateLimitMs(attempt, maxRetryAfterMs) : undefined)
      const delayMs = retryDelayMs(attempt, asked, this.#backoff)
      this.#retries++
      onRetry?.({ labelId: label.ID, url, attempt, delayMs, reason })
      await sleep(delayMs, signal)
    }
  }

  /** One try from the label's URL, through its redirects: the frames, or a failure worth another try; anything else throws. */
  async #attempt(labelId: string, start: URL, signal: AbortSignal): Promise<V1Frame[] | RetryableFailure> {
    let url = start
    let keyed = true
    for (let redirects = 0; ; redirects++) {
      // RFC 9110 §15.4 leaves credentials on redirects to the client; the API's 301 leads to signed storage on
      // another origin that must never see the key (formats.md), nor any origin after it.
      keyed &&= url.origin === start.origin
      const where = redactUrl(url)
      try {
        this.#requests++
        const response = await this.#dispatcher.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: keyed ? this.#keyedHeaders : this.#plainHeaders,
          signal,
          headersTimeout: this.#options.headersTimeoutMs,
          bodyTimeout: this.#options.bodyTimeoutMs,
        })
        const { statusCode } = response
        if (statusCode === 200) return await readFramesBody(response, labelId, where)
        // Read out what little a non-200 sends so its connection goes back to the pool (undici docs: always consume).
        await response.body.dump({ limit: 128 * 1024, signal })
        if (statusCode === 204) {
          this.#skippedLabels++
          return []
        }
        if (redirectStatuses.has(statusCode)) {
          url = this.#redirectTarget(response, url, redirects, labelId, where)
          continue
        }
        if (isRetryableStatus(statusCode) || (!keyed && (statusCode === 401 || statusCode === 403))) {
          const retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now())
          // A 401/403 after leaving the API is storage refusing its signed URL (expired?): a new attempt gets a new one.
          const reason = keyed ? `HTTP ${statusCode}` : `HTTP ${statusCode} from the redirect target`
          return { reason, url: where, statusCode, retryAfterMs, cause: undefined }
        }
        throw statusError(statusCode, labelId, where)
      } catch (error) {
        if (signal.aborted || isLabelpipeError(error)) throw error
        const reason = this.#describe(error)
        if (isRetryableNetworkError(error)) return { reason, url: where, statusCode: undefined, retryAfterMs: undefined, cause: error }
        throw new HttpFramesError('LP_HTTP_REQUEST', `request failed: ${reason}`, { labelId, url: where, cause: error })
      }
    }
  }

  #redirectTarget(response: Dispatcher.ResponseData, from: URL, redirects: number, labelId: string, where: string): URL {
    const { statusCode } = response
    const details = { labelId, url: where, statusCode }
    const location = response.headers.location
    // The Location itself is never printed: it is the signed URL, credentials in its query.
    if (typeof location !== 'string' || !URL.canParse(location, from.href)) {
      throw new HttpFramesError('LP_HTTP_REDIRECT', `HTTP ${statusCode} without a valid Location header`, details)
    }
    const target = new URL(location, from)
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new HttpFramesError(
        'LP_HTTP_REDIRECT',
        `HTTP ${statusCode} to a ${target.protocol} URL: only http and https are followed`,
        details,
      )
    }
    // The signed URL's query is a credential too (formats.md: the frames redirect to signed storage): a downgrade
    // to plain http off this machine would send it in the clear, as framesUrlOf refuses for the key.
    if (target.protocol === 'http:' && !isLoopback(target.hostname)) {
      throw new HttpFramesError(
        'LP_HTTP_REDIRECT',
        `HTTP ${statusCode} to plain http at ${target.host}: only https is followed off this machine`,
        details,
      )
    }
    if (redirects >= this.#options.maxRedirects) {
      throw new HttpFramesError('LP_HTTP_REDIRECT', `more than maxRedirects (${this.#options.maxRedirects}) redirects`, details)
    }
    this.#redirects++
    return target
  }

  /** A foreign error as `CODE: message`, with any query string and the key cut out. */
  #describe(error: unknown): string {
    const code = (error as { code?: unknown } | null)?.code
    const message = error instanceof Error ? error.message : String(error)
    return redactText(typeof code === 'string' ? `${code}: ${message}` : message, this.#secrets)
  }
}

function statusError(statusCode: number, labelId: string, url: string): HttpFramesError {
  const details = { labelId, url, statusCode }
  if (statusCode === 401) {
    return new HttpFramesError('LP_HTTP_AUTH', 'HTTP 401 Unauthorized: the API key was refused (check LABELBOX_API_KEY)', details)
  }
  if (statusCode === 403) {
    return new HttpFramesError('LP_HTTP_AUTH', "HTTP 403 Forbidden: the API key has no access to this label's project", details)
  }
  if (statusCode === 404) {
    return new HttpFramesError('LP_HTTP_NOT_FOUND', 'HTTP 404 Not Found: no frames file at this URL (a deleted label?)', details)
  }
  return new HttpFramesError('LP_HTTP_STATUS', `HTTP ${statusCode}: expected 200, 204 or a redirect`, details)
}

/**
 * The label's frames URL; never printed whole (it may be signed), only said to be missing or of the wrong scheme,
 * at `at`, the position of the label's data row in the export.
 */
function framesUrlOf(label: V1Label, at: Position): URL {
  const content = label.Label
  const frames = Array.isArray(content) ? undefined : (content as V1LabelContent).frames
  const path = ['Label', 'frames']
  if (typeof frames !== 'string' || !URL.canParse(frames)) {
    throw new ExportFormatError(`label ${label.ID}: expected the URL of its frames file`, { at, path })
  }
  const url = new URL(frames)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ExportFormatError(`label ${label.ID}: expected an http or https URL, got ${url.protocol}`, { at, path })
  }
  // The key goes with the first request: over plain http anyone on the way could read it. Loopback stays open
  // for a local mirror or a test server.
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new ExportFormatError(
      `label ${label.ID}: the frames URL is plain http to ${url.host}; the API key is sent over https only (or http to this machine)`,
      { at, path },
    )
  }
  return url
}

/** localhost, 127.0.0.0/8 or ::1: a host whose traffic never leaves this machine. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

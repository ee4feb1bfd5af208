import type { Dispatcher } from 'undici'
import { z } from 'zod'

/** A retry about to wait: what failed, where, and for how long. Holds no key and no query string. */
export interface HttpFramesRetry {
  readonly labelId: string
  /** The URL that failed, origin and path only. */
  readonly url: string
  /** The attempt that failed, 1 for the first. */
  readonly attempt: number
  readonly delayMs: number
  /** `HTTP 503`, `UND_ERR_SOCKET: other side closed`, ... */
  readonly reason: string
}

/** The options of httpFramesResolver. */
export interface HttpFramesResolverOptions {
  /**
   * The Labelbox API key, sent as `Authorization: Bearer <key>` to the frames URL's own origin only. Default
   * `process.env.LABELBOX_API_KEY`. Never printed: not in errors, positions, stats or retry events.
   */
  readonly apiKey?: string | undefined
  /**
   * Connections kept alive per origin, so requests in flight to the API, and as many to storage after its
   * redirects. Default 8, resolveV1Frames' default number of labels fetched at once.
   */
  readonly concurrency?: number
  /** Tries per label, the first included, before LP_HTTP_RETRIES_EXHAUSTED. Default 5. */
  readonly maxAttempts?: number
  /** Backoff ceiling of the first retry, doubled at each next one; the wait is drawn below it. Default 500 ms. */
  readonly baseDelayMs?: number
  /** The largest backoff ceiling. Default 30,000 ms. */
  readonly maxDelayMs?: number
  /**
   * The longest Retry-After obeyed; a longer one fails the label at once (LP_HTTP_STATUS) instead of stalling the
   * run. Default 120,000 ms: twice the one-minute window of Labelbox's rate limits (formats.md). A 429 without
   * Retry-After waits 15 s before its first retry, doubled at each next one, up to this.
   */
  readonly maxRetryAfterMs?: number
  /** Wait for a response's headers. Default 30,000 ms (undici's is 300 s). */
  readonly headersTimeoutMs?: number
  /** The longest silence between two chunks of a body. Default 30,000 ms (undici's is 300 s). */
  readonly bodyTimeoutMs?: number
  /** Wait for a connection (TCP and TLS). Default 10,000 ms. Applies to the resolver's own Agent, not to `dispatcher`. */
  readonly connectTimeoutMs?: number
  /** Redirects followed in one attempt. Default 5. */
  readonly maxRedirects?: number
  /** Uniform draws in [0, 1) for the backoff jitter. Default Math.random; tests pass a seeded generator. */
  readonly random?: () => number
  /** Called before each retry's wait (for progress output). Default none. */
  readonly onRetry?: ((retry: HttpFramesRetry) => void) | undefined
  /** Send requests through this dispatcher (a ProxyAgent, a shared Agent) instead of an Agent of the resolver's own. Not closed by `close()`. */
  readonly dispatcher?: Dispatcher | undefined
}

const isFunction = (value: unknown) => typeof value === 'function'
const milliseconds = z.number().int().nonnegative()
const timeout = z.number().int().positive()

export const optionsSchema = z.object({
  apiKey: z.string().optional(),
  concurrency: z.number().int().min(1).max(1024).default(8),
  maxAttempts: z.number().int().min(1).default(5),
  baseDelayMs: milliseconds.default(500),
  maxDelayMs: milliseconds.default(30_000),
  maxRetryAfterMs: milliseconds.default(120_000),
  headersTimeoutMs: timeout.default(30_000),
  bodyTimeoutMs: timeout.default(30_000),
  connectTimeoutMs: timeout.default(10_000),
  maxRedirects: z.number().int().nonnegative().default(5),
  random: z.custom<() => number>(isFunction, 'must be a function').default(() => Math.random),
  onRetry: z.custom<(retry: HttpFramesRetry) => void>(isFunction, 'must be a function').optional(),
  dispatcher: z
    .custom<Dispatcher>((value) => isFunction((value as { request?: unknown } | null)?.request), 'must be an undici Dispatcher')
    .optional(),
})

export type ParsedOptions = z.infer<typeof optionsSchema>

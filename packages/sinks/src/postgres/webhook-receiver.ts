import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LabelpipeError } from '@labelpipe/core'
import pg, { type Pool } from 'pg'
import { parseOptions } from '../options.js'
import { messageOf } from '../part-file.js'
import { type Answer, DeliveryQueue } from './delivery-queue.js'
import type { QueuedDelivery } from './webhook-batch.js'
import {
  hasValidSignature,
  isWebhookEvent,
  lastActivityMs,
  parseDeliveryBody,
  readDeliveryHeaders,
  WebhookDeliveryError,
} from './webhook-delivery.js'
import { type ParsedReceiverOptions, type WebhookReceiverOptions, webhookReceiverOptions } from './webhook-receiver-options.js'
import type { Counter, WebhookReceiverStats } from './webhook-receiver-stats.js'

// The Labelbox webhook receiver (issue 8), a request listener to mount in any node:http server:
//
//   request ─▶ slot free? (else 503 + Retry-After, body unread) ─▶ headers (401/400) ─▶ raw body ≤ maxBodyBytes (413)
//     ─▶ HMAC-SHA1 check, constant time (401) ─▶ event known? (else 202) ─▶ same id queued? (wait, 200 duplicate)
//     ─▶ JSON + v2 schema (400) ─▶ queue ══ one worker ══▶ batch: commitDeliveries (webhook-batch.ts), one transaction
//     ─▶ 200 once that transaction committed; 503 + Retry-After when it failed (Labelbox retries), 400 for a payload
//        that cannot be stored

export interface WebhookReceiver {
  /** The request listener: mount it on the webhook's path (`server.on('request', …)` or a router). Never throws. */
  readonly handle: (request: IncomingMessage, response: ServerResponse) => void
  /**
   * Connects and creates the schema and the receiver's tables, so a wrong URL or password shows at start-up; the
   * first batch does the same when this was not called. Rejects with a PostgresSinkError.
   */
  ready(): Promise<void>
  /**
   * Stops accepting (new requests get 503 + Retry-After), lets the requests already admitted finish (bodies read,
   * batches committed, answers sent), then ends the receiver's own pool. Idempotent.
   */
  close(): Promise<void>
  readonly stats: WebhookReceiverStats
}

/**
 * A Labelbox webhook receiver that loads each delivery into the docs/schema.md tables of one PostgreSQL schema
 * (see the package README, "Webhook receiver"). Options are checked here (InvalidOptionError); nothing connects
 * until `ready()` or the first delivery.
 */
export function webhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  return new Receiver(parseOptions(webhookReceiverOptions, options))
}

/** An answer that comes once the delivery's batch is done. */
interface Later {
  readonly later: Promise<Answer>
}

class Receiver implements WebhookReceiver {
  readonly #options: ParsedReceiverOptions
  readonly #queue: DeliveryQueue
  readonly #ownPool: Pool | undefined
  readonly #requests = new Set<Promise<void>>()
  readonly #counts: Record<Counter, number> = {
    requests: 0,
    applied: 0,
    superseded: 0,
    stale: 0,
    deleted: 0,
    duplicates: 0,
    ignored: 0,
    unauthorized: 0,
    invalid: 0,
    tooLarge: 0,
    busy: 0,
    failed: 0,
    batches: 0,
  }
  #reading = 0
  /** Bytes of the bodies being read, before their signature is checked (maxUnverifiedBytes). */
  #unverifiedBytes = 0
  /** The requests whose body is being read: close() ends those still reading after closeGraceMs. */
  readonly #readingRequests = new Set<IncomingMessage>()
  #seq = 0
  #closing: Promise<void> | undefined

  constructor(options: ParsedReceiverOptions) {
    this.#options = options
    const { connectionString, schema, pipeline, statementTimeoutMs, connectTimeoutMs, flatten } = options
    if (options.pool === undefined) {
      this.#ownPool = new pg.Pool({ connectionString, max: 3, connectionTimeoutMillis: connectTimeoutMs })
      // An idle connection whose backend dies emits 'error' on the pool; unheard, it would crash the process (docs/facts.md).
      // The next checkout opens a new connection, and a failure there reaches the batch as a PostgresSinkError.
      this.#ownPool.on('error', () => undefined)
    }
    const pool = options.pool ?? (this.#ownPool as Pool)
    const context = { pool, schema, pipeline, statementTimeoutMs, connectTimeoutMs, flatten }
    this.#queue = new DeliveryQueue(
      options,
      context,
      this.#counts,
      () => this.#closing !== undefined,
      (error) => this.#report(error),
    )
  }

  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    const task = this.#serve(request, response)
    this.#requests.add(task)
    void task.finally(() => this.#requests.delete(task))
  }

  get stats(): WebhookReceiverStats {
    return { ...this.#counts, queued: this.#reading + this.#queue.waiting, inFlight: this.#queue.inFlight }
  }

  ready(): Promise<void> {
    return this.#queue.ready()
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown()
    return this.#closing
  }

  async #shutDown(): Promise<void> {
    // Requests admitted before close() finish: bodies read, batches committed, answers sent. A body still coming
    // after closeGraceMs (a stalled sender; node:http stops enforcing requestTimeout once its server closes) is
    // cut: nothing of it was acknowledged, and the sender retries.
    const cut = setTimeout(() => {
      for (const request of this.#readingRequests) request.destroy(new Error('the receiver shut down while the body was being read'))
    }, this.#options.closeGraceMs)
    try {
      while (this.#requests.size > 0) await Promise.all(this.#requests)
    } finally {
      clearTimeout(cut)
    }
    await this.#queue.worker
    await this.#ownPool?.end()
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.#counts.requests++
    let answer: Answer
    try {
      answer = await this.#admit(request)
    } catch (error) {
      answer = this.#refusal(error)
    }
    send(response, answer, this.#options.retryAfterSeconds)
  }

  async #admit(request: IncomingMessage): Promise<Answer> {
    if (request.method !== 'POST') {
      return { status: 405, body: { error: `${request.method ?? 'this method'} is not accepted: deliveries are POSTed` }, close: true }
    }
    // Refused before a byte of the body is read: a full queue must not cost the memory of more bodies.
    if (this.#closing !== undefined || this.#reading + this.#queue.waiting >= this.#options.queueSize) {
      this.#counts.busy++
      const why = this.#closing === undefined ? 'the queue is full' : 'the receiver is shutting down'
      return { status: 503, body: { error: `${why}; retry later` }, retryAfter: true, close: true }
    }
    this.#reading++
    this.#readingRequests.add(request)
    let received: Answer | Later
    try {
      received = await this.#receive(request)
    } finally {
      // From here a queued delivery holds its slot as one of #queue.waiting, and one in flight holds none.
      this.#reading--
      this.#readingRequests.delete(request)
    }
    return 'later' in received ? await received.later : received
  }

  /** Reads, checks and queues one delivery; an answer that waits for a batch comes back as `later`. */
  async #receive(request: IncomingMessage): Promise<Answer | Later> {
    const { deliveryId, event, signature } = readDeliveryHeaders(request.headers)
    const context = { deliveryId, event }
    const { maxBodyBytes } = this.#options
    const declared = Number(request.headers['content-length'])
    if (declared > maxBodyBytes) throw tooLarge(maxBodyBytes, context)
    const body = await this.#readUnverified(request, context)
    if (body === undefined) throw tooLarge(maxBodyBytes, context)
    // Verified on the raw bytes before anything parses them.
    if (!hasValidSignature(this.#options.secret, body, signature)) {
      throw new WebhookDeliveryError('LP_INPUT', 401, 'X-Hub-Signature does not match the body', context)
    }
    // Answered 2xx, not 4xx: an event Labelbox adds later must not become a delivery it retries forever.
    if (!isWebhookEvent(event)) {
      this.#counts.ignored++
      return { status: 202, body: { delivery: deliveryId, outcome: 'ignored' } }
    }
    // Everything from here to the enqueue is synchronous, so a replay cannot slip between the lookup and the queue.
    const original = this.#queue.pending(deliveryId)
    if (original !== undefined) return { later: this.#sameAs(original, deliveryId) }
    const dataRow = parseDeliveryBody(body, deliveryId, event)
    const delivery: QueuedDelivery = {
      deliveryId,
      event,
      dataRow,
      lastActivityMs: lastActivityMs(dataRow),
      seq: this.#seq++,
      bytes: body.length,
      receivedAt: new Date(),
    }
    return { later: this.#queue.enqueue(delivery) }
  }

  /**
   * The raw body, or undefined once it passes maxBodyBytes. Its bytes count against maxUnverifiedBytes while it is
   * read: a request that would pass that is refused 503 (busy), so senders without the secret hold bounded memory.
   */
  async #readUnverified(
    request: IncomingMessage,
    context: { readonly deliveryId: string; readonly event: string },
  ): Promise<Buffer | undefined> {
    const { maxBodyBytes } = this.#options
    const budget = this.#options.maxUnverifiedBytes ?? Math.max(64 * 1024 * 1024, maxBodyBytes)
    let held = 0
    try {
      return await readBody(request, maxBodyBytes, (bytes) => {
        if (this.#unverifiedBytes + bytes > budget) {
          this.#counts.busy++
          throw new WebhookDeliveryError(
            'LP_INPUT',
            503,
            `the receiver is reading ${budget} bytes of unverified bodies (maxUnverifiedBytes); retry later`,
            context,
          )
        }
        this.#unverifiedBytes += bytes
        held += bytes
      })
    } finally {
      this.#unverifiedBytes -= held
    }
  }

  /** A replay of a delivery still queued or in flight gets the original's answer, 200 as "duplicate". */
  async #sameAs(original: Promise<Answer>, deliveryId: string): Promise<Answer> {
    const first = await original
    if (first.status !== 200) return first
    this.#counts.duplicates++
    return { status: 200, body: { delivery: deliveryId, outcome: 'duplicate' } }
  }

  #refusal(error: unknown): Answer {
    if (error instanceof WebhookDeliveryError) {
      if (error.status === 401) this.#counts.unauthorized++
      else if (error.status === 413) this.#counts.tooLarge++
      else if (error.status !== 503) this.#counts.invalid++
      // A busy receiver is not the sender's error (as a full queue's 503 is not reported).
      if (error.status !== 503) this.#report(error)
      // A refusal before the whole body was read (any but 400 for the body's content) ends the connection.
      return {
        status: error.status,
        body: { error: error.message },
        close: error.status !== 400 || error.code === 'LP_INPUT',
        retryAfter: error.status === 503,
      }
    }
    // A client that went away mid-body, or a bug: nothing was queued. The message is ours, never the body.
    this.#counts.invalid++
    return { status: 400, body: { error: `request failed: ${messageOf(error)}` }, close: true }
  }

  #report(error: LabelpipeError): void {
    const { onError } = this.#options
    if (onError !== undefined) queueMicrotask(() => onError(error))
  }
}

function tooLarge(maxBodyBytes: number, context: { readonly deliveryId: string; readonly event: string }): WebhookDeliveryError {
  return new WebhookDeliveryError('LP_INPUT', 413, `the body is longer than maxBodyBytes (${maxBodyBytes} bytes)`, context)
}

/**
 * The raw body, or undefined once it passes `maxBodyBytes`; `take(bytes)` accounts each chunk before it is kept
 * (and may throw to refuse it). The iterator is left open rather than returned on the limit: returning it would
 * destroy the socket before the answer is written; the answer closes the connection.
 */
async function readBody(request: IncomingMessage, maxBodyBytes: number, take: (bytes: number) => void): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  const iterator = request[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  for (;;) {
    const next = await iterator.next()
    if (next.done === true) return Buffer.concat(chunks, size)
    size += next.value.length
    if (size > maxBodyBytes) return undefined
    take(next.value.length)
    chunks.push(next.value)
  }
}

function send(response: ServerResponse, answer: Answer, retryAfterSeconds: number): void {
  if (response.headersSent || response.destroyed) return
  const text = JSON.stringify(answer.body)
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
  if (answer.retryAfter === true) headers['retry-after'] = retryAfterSeconds
  if (answer.status === 405) headers.allow = 'POST'
  // `connection: close` makes node:http end the socket after the answer instead of reading the unread body.
  if (answer.close === true) headers.connection = 'close'
  response.writeHead(answer.status, headers)
  response.end(text)
}

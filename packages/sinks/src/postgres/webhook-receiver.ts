import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import { isLabelpipeError, type LabelpipeError } from '@labelpipe/core'
import pg, { type Pool } from 'pg'
import { z } from 'zod'
import { integerOption, optionalFunction, optionsSchema, parseOptions, type SameShape } from '../options.js'
import { messageOf } from '../part-file.js'
import type { TableCounts } from './commit-transaction.js'
import { PostgresSinkError } from './pg-session.js'
import { postgresLoadOptions } from './postgres-options.js'
import {
  type BatchContext,
  commitDeliveries,
  createWebhookTables,
  type DeliveryOutcome,
  type QueuedDelivery,
  type WebhookFlatten,
} from './webhook-batch.js'
import {
  describeDelivery,
  hasValidSignature,
  isWebhookEvent,
  lastActivityMs,
  parseDeliveryBody,
  readDeliveryHeaders,
  WebhookDeliveryError,
} from './webhook-delivery.js'

// The Labelbox webhook receiver (issue 8), a request listener to mount in any node:http server:
//
//   request ─▶ slot free? (else 503 + Retry-After, body unread) ─▶ headers (401/400) ─▶ raw body ≤ maxBodyBytes (413)
//     ─▶ HMAC-SHA1 check, constant time (401) ─▶ event known? (else 202) ─▶ same id queued? (wait, 200 duplicate)
//     ─▶ JSON + v2 schema (400) ─▶ queue ══ one worker ══▶ batch: commitDeliveries (webhook-batch.ts), one transaction
//     ─▶ 200 once that transaction committed; 503 + Retry-After when it failed (Labelbox retries), 400 for a payload
//        that cannot be stored
//
// One worker and batches, not a load run per delivery: a run costs ~60 statements (tables, staging, the merge),
// so under a burst the queue fills while one batch commits and the next batch takes everything that arrived.

/** Options of `webhookReceiver`. */
export interface WebhookReceiverOptions {
  /** As PostgresTargetOptions: a `postgres://` URL; the receiver keeps a pool of 3 connections on it. Exactly one of it and `pool`. */
  readonly connectionString?: string
  /** A `pg.Pool` the caller owns (never ended by the receiver); it needs 2 connections while a batch commits. */
  readonly pool?: Pool
  /** The target schema, created when missing. Default `'labelbox'`. */
  readonly schema?: string
  /**
   * The webhook's secret, as set in Labelbox: the key of the HMAC-SHA1 in X-Hub-Signature. Required, non-empty.
   * Never logged nor part of any message.
   */
  readonly secret: string | Buffer
  /** The transform: pass `flattenDataRows` from `@labelpipe/transforms` (rows get `_source` `webhook`). Required. */
  readonly flatten: WebhookFlatten
  /** Longest body accepted; a longer one is answered 413 and not read further. Default 10 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Deliveries held while a batch commits (bodies being read included); past it a request is answered 503 with
   * Retry-After before its body is read. Default 1,000.
   */
  readonly queueSize?: number
  /** Most deliveries in one batch (one transaction). Default 200. */
  readonly batchSize?: number
  /** How long an idle worker waits for more deliveries before committing a batch smaller than batchSize. Default 20 ms. */
  readonly batchWaitMs?: number
  /** The Retry-After of a 503 (queue full, closing, or a failed commit), in seconds. Default 1. */
  readonly retryAfterSeconds?: number
  /** The `load_state.pipeline` whose cursors each batch advances. Default `'webhook'`, apart from batch loads' `'default'`. */
  readonly pipeline?: string
  /** `statement_timeout` of the batch's statements (not of COPY), in ms. Default 0: none. */
  readonly statementTimeoutMs?: number
  /** Milliseconds to wait for a connection. Default 10,000; 0 waits forever. */
  readonly connectTimeoutMs?: number
  /**
   * Called after each committed batch (and after each batch of replays only). Default: none. A callback that
   * throws is an uncaught exception, as an event listener's would be: it runs outside the worker.
   */
  readonly onBatch?: (report: WebhookBatchReport) => void
  /**
   * Called for every answer of 400 or more but a full queue's 503 (a WebhookDeliveryError naming the delivery id
   * and event), and once per failed batch (a PostgresSinkError naming its deliveries). Default: none.
   */
  readonly onError?: (error: LabelpipeError) => void
}

/** What one batch did. */
export interface WebhookBatchReport {
  /** The load run of the batch (`load_runs`, `_load_id`); undefined when every delivery was a replay. */
  readonly loadId: string | undefined
  readonly deliveries: number
  readonly applied: number
  readonly superseded: number
  readonly stale: number
  readonly deleted: number
  readonly duplicates: number
  /** Answered 400: rows that cannot be stored. */
  readonly rejected: number
  /** Rows inserted per table; undefined without a load run. */
  readonly rows: TableCounts | undefined
  readonly durationMs: number
}

/** Counters since the receiver was created, and the queue now. */
export interface WebhookReceiverStats {
  /** Requests answered or being answered. */
  readonly requests: number
  readonly applied: number
  readonly superseded: number
  readonly stale: number
  readonly deleted: number
  readonly duplicates: number
  /** Authenticated deliveries of an event this receiver does not store (202). */
  readonly ignored: number
  /** 401: missing, malformed or wrong signature. */
  readonly unauthorized: number
  /** 400: bad headers, JSON or schema, or rows that cannot be stored. */
  readonly invalid: number
  /** 413. */
  readonly tooLarge: number
  /** 503 before the body was read: the queue was full or the receiver closing. */
  readonly busy: number
  /** 503 after a batch failed to commit. */
  readonly failed: number
  /** Batches committed. */
  readonly batches: number
  /** Deliveries holding a queue slot now (bodies being read, and parsed deliveries waiting for a batch). */
  readonly queued: number
  /** Deliveries in the batch being committed now. */
  readonly inFlight: number
}

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

const shared = postgresLoadOptions.shape
const secretOption = z.custom<string | Buffer>(
  (value) => (typeof value === 'string' || Buffer.isBuffer(value)) && value.length > 0,
  // The value is never shown: it is the secret.
  { error: () => 'is required and must be a non-empty string or Buffer (value not shown)' },
)
const flattenOption = z.custom<WebhookFlatten>((value) => typeof value === 'function', {
  error: () => 'is required and must be a function: pass flattenDataRows from @labelpipe/transforms',
})

const webhookReceiverOptions = optionsSchema({
  connectionString: shared.connectionString,
  pool: shared.pool,
  schema: shared.schema,
  secret: secretOption,
  flatten: flattenOption,
  maxBodyBytes: integerOption(10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
  queueSize: integerOption(1000, 1, 1_000_000),
  batchSize: integerOption(200, 1, 100_000),
  batchWaitMs: integerOption(20, 0, 60_000),
  retryAfterSeconds: integerOption(1, 0, 86_400),
  pipeline: shared.pipeline.unwrap().default('webhook'),
  statementTimeoutMs: shared.statementTimeoutMs,
  connectTimeoutMs: shared.connectTimeoutMs,
  onBatch: optionalFunction<(report: WebhookBatchReport) => void>(),
  onError: optionalFunction<(error: LabelpipeError) => void>(),
}).superRefine((options, context) => {
  if ((options.connectionString === undefined) === (options.pool === undefined)) {
    context.addIssue({ code: 'custom', path: ['connectionString'], message: 'exactly one of connectionString and pool is required' })
  }
})

type ParsedReceiverOptions = Readonly<z.output<typeof webhookReceiverOptions>>

// The documented interface and the schema must describe the same options (a compile error otherwise).
const receiverOptionsAgree: SameShape<z.input<typeof webhookReceiverOptions>, WebhookReceiverOptions> = true
void receiverOptionsAgree

/**
 * A Labelbox webhook receiver that loads each delivery into the docs/schema.md tables of one PostgreSQL schema
 * (see the package README, "Webhook receiver"). Options are checked here (InvalidOptionError); nothing connects
 * until `ready()` or the first delivery.
 */
export function webhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  return new Receiver(parseOptions(webhookReceiverOptions, options))
}

interface Answer {
  readonly status: number
  readonly body: Readonly<Record<string, string>>
  readonly retryAfter?: boolean
  /** Close the connection after the answer: its body was not (fully) read. */
  readonly close?: boolean
}

/** An answer that comes once the delivery's batch is done. */
interface Later {
  readonly later: Promise<Answer>
}

interface Waiting {
  readonly delivery: QueuedDelivery
  readonly answer: (answer: Answer) => void
}

type Counter = Exclude<keyof WebhookReceiverStats, 'queued' | 'inFlight'>

const outcomeCounters: { readonly [O in DeliveryOutcome]: Counter } = {
  applied: 'applied',
  superseded: 'superseded',
  stale: 'stale',
  deleted: 'deleted',
  duplicate: 'duplicates',
}

class Receiver implements WebhookReceiver {
  readonly #options: ParsedReceiverOptions
  readonly #context: BatchContext
  readonly #ownPool: Pool | undefined
  readonly #waiting: Waiting[] = []
  /** Answers of the deliveries queued or in flight, by id: a replay arriving meanwhile waits for the original's. */
  readonly #pending = new Map<string, Promise<Answer>>()
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
  #inFlight = 0
  #seq = 0
  #working = false
  #worker: Promise<void> = Promise.resolve()
  #ready: Promise<void> | undefined
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
    this.#context = { pool, schema, pipeline, statementTimeoutMs, connectTimeoutMs, flatten }
  }

  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    const task = this.#serve(request, response)
    this.#requests.add(task)
    void task.finally(() => this.#requests.delete(task))
  }

  get stats(): WebhookReceiverStats {
    return { ...this.#counts, queued: this.#reading + this.#waiting.length, inFlight: this.#inFlight }
  }

  ready(): Promise<void> {
    this.#ready ??= createWebhookTables(this.#context).catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown()
    return this.#closing
  }

  async #shutDown(): Promise<void> {
    // Requests admitted before close() finish: bodies read, batches committed, answers sent.
    while (this.#requests.size > 0) await Promise.all(this.#requests)
    await this.#worker
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
    if (this.#closing !== undefined || this.#reading + this.#waiting.length >= this.#options.queueSize) {
      this.#counts.busy++
      const why = this.#closing === undefined ? 'the queue is full' : 'the receiver is shutting down'
      return { status: 503, body: { error: `${why}; retry later` }, retryAfter: true, close: true }
    }
    this.#reading++
    let received: Answer | Later
    try {
      received = await this.#receive(request)
    } finally {
      // From here a queued delivery holds its slot as one of #waiting, and one in flight holds none.
      this.#reading--
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
    const body = await readBody(request, maxBodyBytes)
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
    const original = this.#pending.get(deliveryId)
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
    return { later: this.#enqueue(delivery) }
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
      else this.#counts.invalid++
      this.#report(error)
      // A refusal before the whole body was read (any but 400 for the body's content) ends the connection.
      return { status: error.status, body: { error: error.message }, close: error.status !== 400 || error.code === 'LP_INPUT' }
    }
    // A client that went away mid-body, or a bug: nothing was queued. The message is ours, never the body.
    this.#counts.invalid++
    return { status: 400, body: { error: `request failed: ${messageOf(error)}` }, close: true }
  }

  #enqueue(delivery: QueuedDelivery): Promise<Answer> {
    const answer = new Promise<Answer>((resolve) => this.#waiting.push({ delivery, answer: resolve }))
    this.#pending.set(delivery.deliveryId, answer)
    void answer.then(() => this.#pending.delete(delivery.deliveryId))
    if (!this.#working) {
      this.#working = true
      this.#worker = this.#drain()
    }
    return answer
  }

  /** The one worker: batches until the queue is empty. `#working` is cleared in the same step that sees it empty. */
  async #drain(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const { batchSize, batchWaitMs } = this.#options
        if (this.#waiting.length < batchSize && batchWaitMs > 0 && this.#closing === undefined) await delay(batchWaitMs)
        const batch = this.#waiting.splice(0, batchSize)
        this.#inFlight = batch.length
        await this.#commit(batch)
        this.#inFlight = 0
      }
    } finally {
      this.#working = false
    }
  }

  /** Commits one batch and answers each of its deliveries; never rejects. */
  async #commit(batch: readonly Waiting[]): Promise<void> {
    const started = performance.now()
    // One id is one delivery: handle() never queues a replay beside its original (it waits for the original's
    // answer), and this keeps an id from being recorded twice in one statement whatever the caller does.
    const unique = new Map<string, QueuedDelivery>()
    for (const { delivery } of batch) if (!unique.has(delivery.deliveryId)) unique.set(delivery.deliveryId, delivery)
    try {
      await this.ready()
      const result = await commitDeliveries(this.#context, [...unique.values()])
      const report = { applied: 0, superseded: 0, stale: 0, deleted: 0, duplicates: 0, rejected: 0 }
      for (const { delivery, answer } of batch) {
        const { deliveryId } = delivery
        const refused = result.rejected.get(deliveryId)
        if (refused !== undefined) {
          this.#counts.invalid++
          report.rejected++
          this.#report(refused)
          answer({ status: 400, body: { error: refused.message } })
          continue
        }
        const outcome = unique.get(deliveryId) === delivery ? (result.outcomes.get(deliveryId) ?? 'duplicate') : 'duplicate'
        this.#counts[outcomeCounters[outcome]]++
        report[outcome === 'duplicate' ? 'duplicates' : outcome]++
        answer({ status: 200, body: { delivery: deliveryId, outcome } })
      }
      this.#counts.batches++
      const { onBatch } = this.#options
      if (onBatch !== undefined) {
        const done = {
          loadId: result.loadId,
          deliveries: batch.length,
          ...report,
          rows: result.rows,
          durationMs: performance.now() - started,
        }
        queueMicrotask(() => onBatch(done))
      }
    } catch (error) {
      for (const { answer } of batch) {
        this.#counts.failed++
        answer({ status: 503, body: { error: 'the delivery was not committed (the warehouse failed); retry later' }, retryAfter: true })
      }
      this.#report(batchFailure(batch, error))
    }
  }

  #report(error: LabelpipeError): void {
    const { onError } = this.#options
    if (onError !== undefined) queueMicrotask(() => onError(error))
  }
}

/** A batch failure as one error naming its deliveries (the first five) and the reason, with SQLSTATE when the server gave one. */
function batchFailure(batch: readonly Waiting[], error: unknown): LabelpipeError {
  const named = batch.slice(0, 5).map(({ delivery }) => describeDelivery(delivery.deliveryId, delivery.event))
  const more = batch.length > 5 ? `, and ${batch.length - 5} more` : ''
  const reason = isLabelpipeError(error) ? error.message : messageOf(error)
  const sqlState = error instanceof PostgresSinkError ? error.sqlState : undefined
  return new PostgresSinkError(`webhook batch of ${batch.length} (${named.join(', ')}${more}) not committed, answered 503: ${reason}`, {
    sqlState,
    cause: error,
  })
}

function tooLarge(maxBodyBytes: number, context: { readonly deliveryId: string; readonly event: string }): WebhookDeliveryError {
  return new WebhookDeliveryError('LP_INPUT', 413, `the body is longer than maxBodyBytes (${maxBodyBytes} bytes)`, context)
}

/**
 * The raw body, or undefined once it passes `maxBodyBytes`. The iterator is left open rather than returned on
 * the limit: returning it would destroy the socket before the 413 is written; the answer closes the connection.
 */
async function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  const iterator = request[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  for (;;) {
    const next = await iterator.next()
    if (next.done === true) return Buffer.concat(chunks, size)
    size += next.value.length
    if (size > maxBodyBytes) return undefined
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

import { setTimeout as delay } from 'node:timers/promises'
import { isLabelpipeError, type LabelpipeError } from '@labelpipe/core'
import { messageOf } from '../part-file.js'
import { PostgresSinkError } from './pg-session.js'
import { type BatchContext, commitDeliveries, type QueuedDelivery } from './webhook-batch.js'
import { describeDelivery } from './webhook-delivery.js'
import type { ParsedReceiverOptions } from './webhook-receiver-options.js'
import { type Counter, outcomeCounters } from './webhook-receiver-stats.js'
import { createWebhookTables } from './webhook-tables.js'

// One worker and batches, not a load run per delivery: a run costs ~60 statements (tables, staging, the merge),
// so under a burst the queue fills while one batch commits and the next batch takes everything that arrived.

export interface Answer {
  readonly status: number
  readonly body: Readonly<Record<string, string>>
  readonly retryAfter?: boolean
  /** Close the connection after the answer: its body was not (fully) read. */
  readonly close?: boolean
}

interface Waiting {
  readonly delivery: QueuedDelivery
  readonly answer: (answer: Answer) => void
}

/**
 * The receiver's queue and its one worker: deliveries wait here for a batch, and each gets its answer once the
 * batch is done. The receiver shares its counters and says when it is closing (no more waiting for a fuller batch).
 */
export class DeliveryQueue {
  readonly #options: ParsedReceiverOptions
  readonly #context: BatchContext
  readonly #counts: Record<Counter, number>
  readonly #isClosing: () => boolean
  readonly #report: (error: LabelpipeError) => void
  readonly #waiting: Waiting[] = []
  /** Answers of the deliveries queued or in flight, by id: a replay arriving meanwhile waits for the original's. */
  readonly #pending = new Map<string, Promise<Answer>>()
  #inFlight = 0
  #working = false
  #worker: Promise<void> = Promise.resolve()
  #ready: Promise<void> | undefined

  constructor(
    options: ParsedReceiverOptions,
    context: BatchContext,
    counts: Record<Counter, number>,
    isClosing: () => boolean,
    report: (error: LabelpipeError) => void,
  ) {
    this.#options = options
    this.#context = context
    this.#counts = counts
    this.#isClosing = isClosing
    this.#report = report
  }

  /** Deliveries waiting for a batch. */
  get waiting(): number {
    return this.#waiting.length
  }

  /** Deliveries in the batch being committed now. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Settles once the worker has nothing left to do. */
  get worker(): Promise<void> {
    return this.#worker
  }

  /** The answer of the delivery with this id while it is queued or in flight. */
  pending(deliveryId: string): Promise<Answer> | undefined {
    return this.#pending.get(deliveryId)
  }

  ready(): Promise<void> {
    this.#ready ??= createWebhookTables(this.#context).catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  enqueue(delivery: QueuedDelivery): Promise<Answer> {
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
        if (this.#waiting.length < batchSize && batchWaitMs > 0 && !this.#isClosing()) await delay(batchWaitMs)
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

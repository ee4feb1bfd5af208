import type { DeliveryOutcome } from './webhook-batch.js'

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

export type Counter = Exclude<keyof WebhookReceiverStats, 'queued' | 'inFlight'>

export const outcomeCounters: { readonly [O in DeliveryOutcome]: Counter } = {
  applied: 'applied',
  superseded: 'superseded',
  stale: 'stale',
  deleted: 'deleted',
  duplicate: 'duplicates',
}

import type { LabelpipeError } from '@labelpipe/core'
import type { Pool } from 'pg'
import { z } from 'zod'
import { boundedInteger, integerOption, optionalFunction, optionsSchema, type SameShape } from '../options.js'
import type { TableCounts } from './commit-transaction.js'
import { postgresLoadOptions } from './postgres-options.js'
import type { WebhookFlatten } from './webhook-batch.js'

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
   * Bytes of bodies being read, not yet checked against their signature, over all requests at once; a request
   * whose body would pass it is answered 503 with Retry-After and its connection closed. Unsigned senders can hold
   * no more memory than this. At least maxBodyBytes. Default 64 MiB, or maxBodyBytes when that is larger.
   */
  readonly maxUnverifiedBytes?: number
  /**
   * Deliveries held while a batch commits (bodies being read included); past it a request is answered 503 with
   * Retry-After before its body is read. Default 1,000.
   */
  readonly queueSize?: number
  /**
   * On close(), how long a request still reading its body may take to finish it, in ms; then its connection is
   * closed (the sender retries: nothing was acknowledged). Admitted deliveries always commit. Default 10,000.
   */
  readonly closeGraceMs?: number
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

const shared = postgresLoadOptions.shape
const secretOption = z.custom<string | Buffer>(
  (value) => (typeof value === 'string' || Buffer.isBuffer(value)) && value.length > 0,
  // The value is never shown: it is the secret.
  { error: () => 'is required and must be a non-empty string or Buffer (value not shown)' },
)
const flattenOption = z.custom<WebhookFlatten>((value) => typeof value === 'function', {
  error: () => 'is required and must be a function: pass flattenDataRows from @labelpipe/transforms',
})

export const webhookReceiverOptions = optionsSchema({
  connectionString: shared.connectionString,
  pool: shared.pool,
  schema: shared.schema,
  secret: secretOption,
  flatten: flattenOption,
  maxBodyBytes: integerOption(10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
  maxUnverifiedBytes: boundedInteger(1, 2 ** 40).optional(),
  queueSize: integerOption(1000, 1, 1_000_000),
  closeGraceMs: integerOption(10_000, 0, 3_600_000),
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
  if (options.maxUnverifiedBytes !== undefined && options.maxUnverifiedBytes < options.maxBodyBytes) {
    context.addIssue({
      code: 'custom',
      path: ['maxUnverifiedBytes'],
      message: 'must be at least maxBodyBytes, or no body could be read whole',
    })
  }
})

export type ParsedReceiverOptions = Readonly<z.output<typeof webhookReceiverOptions>>

// The documented interface and the schema must describe the same options (a compile error otherwise).
const receiverOptionsAgree: SameShape<z.input<typeof webhookReceiverOptions>, WebhookReceiverOptions> = true
void receiverOptionsAgree

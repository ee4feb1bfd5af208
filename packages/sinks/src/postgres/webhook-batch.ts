import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  type Batch,
  defaultBatchSize,
  isLabelpipeError,
  type LineageSource,
  type Located,
  newLoadId,
  type Position,
  type RecordStage,
  type TableRow,
  TransformError,
  tableNames,
  type V2DataRow,
} from '@labelpipe/core'
import type { Pool } from 'pg'
import { labelTables, type PostgresCommitTransaction, type TableCounts } from './commit-transaction.js'
import { type PgSession, pgTarget } from './pg-session.js'
import { preparePostgresLoad } from './postgres-load.js'
import { lockKey, qualified, quoteIdent, schemaLockNamespace } from './sql-names.js'
import { labelIdsOf, WebhookDeliveryError, type WebhookEvent } from './webhook-delivery.js'

// One batch of webhook deliveries -> one load run -> one transaction (the receiver's single worker calls this):
//
//   pre-check ids in webhook_deliveries ──▶ duplicates answered, not staged
//   pickStates: per data row the newest state (last_activity_at, then arrival) ──▶ flatten ──▶ one staging sink
//   commit: BEGIN ─ schema lock ─ beforeMerge: record deliveries (a raced replay is unstaged)
//                                             tombstone + delete LABEL_DELETED labels, unstage tombstoned labels
//                                             unstage data rows older than stored ─▶ merge ─▶ COMMIT
//
// Reusing preparePostgresLoad + commit keeps one merge implementation: a webhook state replaces its merge units
// exactly as a batch load of the same line would, which is what the 1,000-delivery test compares.

/**
 * The v2 data row -> table rows transform. Pass `flattenDataRows` from `@labelpipe/transforms`: sinks depend only
 * on core (ARCHITECTURE.md), so the transform is handed in rather than imported.
 */
export type WebhookFlatten = (options: { readonly loadId: string; readonly source: LineageSource }) => RecordStage<V2DataRow, TableRow>

/** What each delivery of a committed batch came to; all are answered 200. */
export type DeliveryOutcome =
  /** Its state was written (its data row's newest). */
  | 'applied'
  /** A newer state of the same data row came in the same batch and was written instead. */
  | 'superseded'
  /** The stored data row's last_activity_at is newer: nothing written. */
  | 'stale'
  /** LABEL_DELETED: its labels' rows were deleted. */
  | 'deleted'
  /** The delivery id was already committed (a replay): nothing written. */
  | 'duplicate'

/** A verified, parsed delivery waiting for its batch. */
export interface QueuedDelivery {
  readonly deliveryId: string
  readonly event: WebhookEvent
  readonly dataRow: V2DataRow
  /** `data_row.details.last_activity_at` in ms; null when the payload has none. */
  readonly lastActivityMs: number | null
  /** Arrival order in this receiver; breaks last_activity_at ties (the later-received wins). */
  readonly seq: number
  readonly bytes: number
  readonly receivedAt: Date
}

export interface BatchContext {
  readonly pool: Pool
  readonly schema: string
  readonly pipeline: string
  readonly statementTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly flatten: WebhookFlatten
}

export interface BatchResult {
  /** The load run that committed the batch; undefined when nothing needed one (every delivery a replay). */
  readonly loadId: string | undefined
  readonly outcomes: ReadonlyMap<string, DeliveryOutcome>
  /** Deliveries refused because their rows cannot be stored (a NUL character, a failing transform): answered 400. */
  readonly rejected: ReadonlyMap<string, WebhookDeliveryError>
  /** Rows inserted per table (every table listed); undefined without a load run. */
  readonly rows: TableCounts | undefined
}

/**
 * Commits one batch and says what became of each delivery. A delivery whose rows cannot be stored (an error
 * carrying its position) is set aside and the batch retried without it, so one bad payload cannot hold up the
 * deliveries queued with it; any other failure rejects (the receiver answers the whole batch 503).
 */
export async function commitDeliveries(context: BatchContext, deliveries: readonly QueuedDelivery[]): Promise<BatchResult> {
  const outcomes = new Map<string, DeliveryOutcome>()
  const rejected = new Map<string, WebhookDeliveryError>()
  const replayed = await committedDeliveryIds(context, deliveries)
  let fresh = deliveries.filter((delivery) => {
    if (!replayed.has(delivery.deliveryId)) return true
    outcomes.set(delivery.deliveryId, 'duplicate')
    return false
  })
  while (fresh.length > 0) {
    try {
      const committed = await commitOnce(context, fresh)
      for (const [id, outcome] of committed.outcomes) outcomes.set(id, outcome)
      return { loadId: committed.loadId, outcomes, rejected, rows: committed.rows }
    } catch (error) {
      const file = isLabelpipeError(error) ? error.file : undefined
      const bad = file === undefined ? undefined : fresh.find((delivery) => positionOf(delivery).file === file)
      if (bad === undefined || !isLabelpipeError(error)) throw error
      const prefix = `${positionOf(bad).file} line 1 (byte 0): `
      const detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message
      rejected.set(
        bad.deliveryId,
        new WebhookDeliveryError(error.code, 400, `cannot be stored: ${detail}`, {
          deliveryId: bad.deliveryId,
          event: bad.event,
          cause: error,
        }),
      )
      fresh = fresh.filter((delivery) => delivery !== bad)
    }
  }
  return { loadId: undefined, outcomes, rejected, rows: undefined }
}

/**
 * The states a batch writes: per data row, the delivery with the greatest last_activity_at (a state without one
 * counts as newest: an export made without data_row_details cannot be ordered, and arrival is then the best
 * guess), ties to the later-received. LABEL_DELETED deliveries are not states: they delete their labels.
 */
export function pickStates(deliveries: readonly QueuedDelivery[]): {
  readonly winners: readonly QueuedDelivery[]
  readonly superseded: readonly QueuedDelivery[]
  readonly deletions: readonly QueuedDelivery[]
} {
  const newest = new Map<string, QueuedDelivery>()
  const superseded: QueuedDelivery[] = []
  const deletions: QueuedDelivery[] = []
  for (const delivery of deliveries) {
    if (delivery.event === 'LABEL_DELETED') {
      deletions.push(delivery)
      continue
    }
    const id = delivery.dataRow.data_row.id
    const held = newest.get(id)
    if (held === undefined) newest.set(id, delivery)
    else if (isNewer(delivery, held)) {
      superseded.push(held)
      newest.set(id, delivery)
    } else superseded.push(delivery)
  }
  // Staged in arrival order: _lp_seq then follows arrival, the last-wins order of commit-transaction.ts.
  return { winners: [...newest.values()].sort((a, b) => a.seq - b.seq), superseded, deletions }
}

export function isNewer(a: QueuedDelivery, b: QueuedDelivery): boolean {
  const at = a.lastActivityMs ?? Number.POSITIVE_INFINITY
  const bt = b.lastActivityMs ?? Number.POSITIVE_INFINITY
  return at === bt ? a.seq > b.seq : at > bt
}

/** The position of a delivery's rows: errors of the staging writer and the transform name it, and so do we. */
function positionOf(delivery: QueuedDelivery): Position {
  return { file: `delivery ${delivery.deliveryId} (${delivery.event})`, line: 1, byteOffset: 0 }
}

async function commitOnce(
  context: BatchContext,
  deliveries: readonly QueuedDelivery[],
): Promise<{ loadId: string; outcomes: Map<string, DeliveryOutcome>; rows: TableCounts }> {
  const startedAt = new Date()
  const { winners, superseded, deletions } = pickStates(deliveries)
  const loadId = newLoadId(startedAt)
  const load = await preparePostgresLoad({
    pool: context.pool,
    schema: context.schema,
    loadId,
    mode: 'merge',
    pipeline: context.pipeline,
    statementTimeoutMs: context.statementTimeoutMs,
    connectTimeoutMs: context.connectTimeoutMs,
  })
  try {
    await pipeline(Readable.from(rowBatches(context.flatten({ loadId, source: 'webhook' }), winners)), load.stagingSink(0))
  } catch (error) {
    await load.rollback()
    throw error
  }
  const record = new DeliveryRecord(loadId, winners, superseded, deletions)
  const facts = {
    source: 'webhook' as const,
    input: 'webhook',
    inputBytes: deliveries.reduce((sum, delivery) => sum + delivery.bytes, 0),
    deadLetters: 0,
    startedAt,
  }
  const result = await load.commit(facts, { beforeMerge: (transaction) => record.apply(transaction) })
  return { loadId, outcomes: record.outcomes(), rows: result.rows }
}

function* rowBatches(stage: RecordStage<V2DataRow, TableRow>, winners: readonly QueuedDelivery[]): Generator<Batch<TableRow>> {
  let out: Located<TableRow>[] = []
  for (const delivery of winners) {
    const at = positionOf(delivery)
    try {
      for (const value of stage(delivery.dataRow, at)) {
        out.push({ value, at })
        if (out.length === defaultBatchSize) {
          yield out
          out = []
        }
      }
    } catch (cause) {
      throw isLabelpipeError(cause) ? cause : new TransformError(at, { cause })
    }
  }
  if (out.length > 0) yield out
}

/**
 * The batch's bookkeeping inside its commit transaction (PostgresLoad.commit's beforeMerge), under the schema's
 * commit lock, so every read of the targets holds until COMMIT, even with several receivers on one schema:
 * 1. every delivery goes into webhook_deliveries; an id already there (committed by another receiver since the
 *    pre-check) is a replay after all: its staged rows, and its deletions, are dropped;
 * 2. LABEL_DELETED labels are tombstoned and their rows deleted from every label table; staged rows of any
 *    tombstoned label are dropped, so a late, older state cannot bring a deleted label back (label ids are
 *    never reused);
 * 3. staged data rows whose last_activity_at is older than the stored one are dropped with all their rows
 *    (a stored row without the time, or a state without it, is replaced).
 * The merge then replaces the merge units of what is left.
 */
class DeliveryRecord {
  readonly #loadId: string
  readonly #winners: readonly QueuedDelivery[]
  readonly #superseded: readonly QueuedDelivery[]
  readonly #deletions: readonly QueuedDelivery[]
  readonly #raced = new Set<string>()
  readonly #stale = new Set<string>()

  constructor(
    loadId: string,
    winners: readonly QueuedDelivery[],
    superseded: readonly QueuedDelivery[],
    deletions: readonly QueuedDelivery[],
  ) {
    this.#loadId = loadId
    this.#winners = winners
    this.#superseded = superseded
    this.#deletions = deletions
  }

  outcomes(): Map<string, DeliveryOutcome> {
    const outcomes = new Map<string, DeliveryOutcome>()
    const set = (delivery: QueuedDelivery, outcome: DeliveryOutcome) =>
      outcomes.set(delivery.deliveryId, this.#raced.has(delivery.deliveryId) ? 'duplicate' : outcome)
    for (const delivery of this.#winners) set(delivery, this.#stale.has(delivery.dataRow.data_row.id) ? 'stale' : 'applied')
    for (const delivery of this.#superseded) set(delivery, 'superseded')
    for (const delivery of this.#deletions) set(delivery, 'deleted')
    return outcomes
  }

  async apply(tx: PostgresCommitTransaction): Promise<void> {
    await this.#recordDeliveries(tx)
    await this.#deleteLabels(tx)
    await this.#unstageStale(tx)
  }

  async #recordDeliveries(tx: PostgresCommitTransaction): Promise<void> {
    const all = [...this.#winners, ...this.#superseded, ...this.#deletions]
    const outcome = (delivery: QueuedDelivery) =>
      delivery.event === 'LABEL_DELETED' ? 'deleted' : this.#winners.includes(delivery) ? 'applied' : 'superseded'
    const inserted = await tx.query<{ delivery_id: string }>(
      'record the webhook deliveries',
      `INSERT INTO ${tx.target('webhook_deliveries')} (delivery_id, event, data_row_id, last_activity_at, received_at, load_id, outcome)
       SELECT d.id, d.event, d.data_row_id, d.last_activity_at, d.received_at, $7, d.outcome
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[])
         AS d (id, event, data_row_id, last_activity_at, received_at, outcome)
       ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`,
      [
        all.map((d) => d.deliveryId),
        all.map((d) => d.event),
        all.map((d) => d.dataRow.data_row.id),
        all.map((d) => (d.lastActivityMs === null ? null : new Date(d.lastActivityMs).toISOString())),
        all.map((d) => d.receivedAt.toISOString()),
        all.map(outcome),
        this.#loadId,
      ],
    )
    const recorded = new Set(inserted.rows.map((row) => row.delivery_id))
    for (const delivery of all) if (!recorded.has(delivery.deliveryId)) this.#raced.add(delivery.deliveryId)
    const unstage = this.#winners.filter((d) => this.#raced.has(d.deliveryId)).map((d) => d.dataRow.data_row.id)
    if (unstage.length > 0) await unstageDataRows(tx, unstage, 'unstage replayed deliveries')
  }

  async #deleteLabels(tx: PostgresCommitTransaction): Promise<void> {
    const tombstones = new Map<string, QueuedDelivery>()
    for (const delivery of this.#deletions) {
      if (this.#raced.has(delivery.deliveryId)) continue
      for (const labelId of labelIdsOf(delivery.dataRow)) tombstones.set(labelId, delivery)
    }
    if (tombstones.size > 0) {
      const entries = [...tombstones]
      await tx.query(
        'tombstone the deleted labels',
        `INSERT INTO ${tx.target('webhook_deleted_labels')} (label_id, data_row_id, deleted_at, delivery_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) ON CONFLICT (label_id) DO NOTHING`,
        [
          entries.map(([labelId]) => labelId),
          entries.map(([, d]) => d.dataRow.data_row.id),
          entries.map(([, d]) => d.receivedAt.toISOString()),
          entries.map(([, d]) => d.deliveryId),
        ],
      )
      for (const table of labelTables) {
        await tx.query(`delete the deleted labels from ${table}`, `DELETE FROM ${tx.target(table)} WHERE label_id = ANY($1::text[])`, [
          entries.map(([labelId]) => labelId),
        ])
      }
    }
    // flattenDataRows writes a labels row for every label it writes rows of (commit-transaction.ts), so the
    // labels staging table is enough to find a tombstoned label among the staged ones.
    const buried = await tx.query<{ label_id: string }>(
      'find staged labels that were deleted',
      `SELECT s.label_id FROM ${tx.staged('labels')} s JOIN ${tx.target('webhook_deleted_labels')} d ON d.label_id = s.label_id`,
    )
    if (buried.rows.length === 0) return
    const ids = buried.rows.map((row) => row.label_id)
    for (const table of labelTables) {
      await tx.query(`unstage deleted labels from ${table}`, `DELETE FROM ${tx.staged(table)} WHERE label_id = ANY($1::text[])`, [ids])
    }
  }

  async #unstageStale(tx: PostgresCommitTransaction): Promise<void> {
    const stale = await tx.query<{ data_row_id: string }>(
      'find staged data rows older than stored',
      `SELECT s.data_row_id FROM ${tx.staged('data_rows')} s JOIN ${tx.target('data_rows')} t ON t.data_row_id = s.data_row_id
        WHERE s.last_activity_at < t.last_activity_at`,
    )
    if (stale.rows.length === 0) return
    const ids = stale.rows.map((row) => row.data_row_id)
    for (const id of ids) this.#stale.add(id)
    await unstageDataRows(tx, ids, 'unstage stale data rows')
    await tx.query(
      'record the stale deliveries',
      `UPDATE ${tx.target('webhook_deliveries')} SET outcome = 'stale' WHERE load_id = $1 AND outcome = 'applied' AND data_row_id = ANY($2::text[])`,
      [this.#loadId, ids],
    )
  }
}

/** Every table carries data_row_id (docs/schema.md principle 4), so a data row's staged rows go table by table. */
async function unstageDataRows(tx: PostgresCommitTransaction, dataRowIds: readonly string[], what: string): Promise<void> {
  for (const table of tableNames) {
    await tx.query(`${what} (${table})`, `DELETE FROM ${tx.staged(table)} WHERE data_row_id = ANY($1::text[])`, [dataRowIds])
  }
}

/** The receiver's own tables, beside the docs/schema.md ones: the dedupe keys and the deleted labels. */
export function createWebhookTablesSql(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'webhook_deliveries')} (delivery_id text PRIMARY KEY, event text NOT NULL,
      data_row_id text NOT NULL, last_activity_at timestamptz, received_at timestamptz NOT NULL, load_id text NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('applied', 'superseded', 'stale', 'deleted')))`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'webhook_deleted_labels')} (label_id text PRIMARY KEY, data_row_id text NOT NULL,
      deleted_at timestamptz NOT NULL, delivery_id text NOT NULL)`,
  ]
}

/** Opens a session on the receiver's pool (errors as PostgresSinkError, without the password). */
export function openSession(
  context: Pick<BatchContext, 'pool' | 'schema' | 'connectTimeoutMs' | 'statementTimeoutMs'>,
  name: string,
): Promise<PgSession> {
  const options = { pool: context.pool, schema: context.schema, loadId: 'webhook', connectTimeoutMs: context.connectTimeoutMs }
  return pgTarget(options).connect(name, context.statementTimeoutMs)
}

/**
 * Creates the schema when missing and the receiver's tables, under the schema lock that table creation takes
 * in preparePostgresLoad (two creators never race). The docs/schema.md tables come with each batch's run.
 */
export async function createWebhookTables(context: BatchContext): Promise<void> {
  const session = await openSession(context, 'labelpipe webhook setup')
  try {
    await session.query('begin creating the webhook tables', 'BEGIN')
    await session.query('take the schema lock', 'SELECT pg_advisory_xact_lock($1, $2)', [schemaLockNamespace, lockKey(context.schema)])
    // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege even when the schema exists: ask first (postgres-load.ts).
    const exists = await session.query('look up the schema', 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [context.schema])
    if (exists.rowCount === 0) await session.query(`create schema ${context.schema}`, `CREATE SCHEMA ${quoteIdent(context.schema)}`)
    await session.query('create the webhook tables', createWebhookTablesSql(context.schema).join(';\n'))
    await session.query('commit the webhook tables', 'COMMIT')
  } catch (error) {
    await session.close(true)
    throw error
  }
  await session.close(false)
}

async function committedDeliveryIds(context: BatchContext, deliveries: readonly QueuedDelivery[]): Promise<Set<string>> {
  const session = await openSession(context, 'labelpipe webhook')
  try {
    const found = await session.query<{ delivery_id: string }>(
      'look up replayed deliveries',
      `SELECT delivery_id FROM ${qualified(context.schema, 'webhook_deliveries')} WHERE delivery_id = ANY($1::text[])`,
      [deliveries.map((delivery) => delivery.deliveryId)],
    )
    await session.close(false)
    return new Set(found.rows.map((row) => row.delivery_id))
  } catch (error) {
    await session.close(true)
    throw error
  }
}

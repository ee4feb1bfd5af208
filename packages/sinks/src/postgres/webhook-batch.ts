import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  type Batch,
  defaultBatchSize,
  isLabelpipeError,
  type LabelpipeError,
  type LineageSource,
  type Located,
  newLoadId,
  type Position,
  type RecordStage,
  type TableRow,
  TransformError,
  type V2DataRow,
} from '@labelpipe/core'
import type { Pool } from 'pg'
import { dataRowTables, type TableCounts } from './commit-transaction.js'
import { type CopyRowEncoder, copyRowEncoder } from './copy-text.js'
import { DeliveryRecord, unitKey } from './delivery-record.js'
import { preparePostgresLoad } from './postgres-load.js'
import { WebhookDeliveryError, type WebhookEvent } from './webhook-delivery.js'
import { committedDeliveryIds } from './webhook-tables.js'

// One batch of webhook deliveries -> one load run -> one transaction (the receiver's single worker calls this):
//
//   pre-check ids in webhook_deliveries ──▶ duplicates answered, not staged
//   each delivery's rows through the transform and the COPY encoding ──▶ those that cannot be stored answered 400
//   pickStates: per merge unit the newest state (last_activity_at, then arrival) ──▶ flatten ──▶ one staging sink
//   commit: BEGIN ─ schema lock ─ beforeMerge: record deliveries (a raced replay is unstaged)
//                                             tombstone + delete LABEL_DELETED labels, unstage tombstoned labels
//                                             unstage the parts older than stored (data row, units) ─▶ merge ─▶ COMMIT
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
  /** Its state was written, of every merge unit it was the newest state of (see StagedState). */
  | 'applied'
  /** Newer states of each of its merge units came in the same batch and were written instead. */
  | 'superseded'
  /** What is stored is newer, of every unit it would have written (DeliveryRecord): nothing written. */
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
  // Rows that cannot be stored (a NUL, a lone surrogate, a failing transform) are found here, delivery by delivery,
  // before any run: found by staging, each cost the batch a failed run and a second staging (review repro).
  fresh = fresh.filter((delivery) => {
    const refusal = unstorable(context, delivery)
    if (refusal !== undefined) rejected.set(delivery.deliveryId, refusal)
    return refusal === undefined
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
      // What the check above cannot see (the server refusing a value): set aside, and the batch staged again.
      rejected.set(bad.deliveryId, cannotBeStored(bad, error))
      fresh = fresh.filter((delivery) => delivery !== bad)
    }
  }
  return { loadId: undefined, outcomes, rejected, rows: undefined }
}

/** The refusal of a delivery whose rows the sink's checks reject, or undefined when every row would be stored. */
function unstorable(context: BatchContext, delivery: QueuedDelivery): WebhookDeliveryError | undefined {
  const at = positionOf(delivery)
  const encoders = new Map<TableRow['table'], CopyRowEncoder>()
  try {
    // The transform and the COPY encoding the staging writer runs (the same checks), on this delivery alone.
    for (const { table, row } of context.flatten({ loadId: checkLoadId, source: 'webhook' })(delivery.dataRow, at)) {
      let encode = encoders.get(table)
      if (encode === undefined) encoders.set(table, (encode = copyRowEncoder(table, at)))
      encode(row, at)
    }
    return undefined
  } catch (cause) {
    return cannotBeStored(delivery, isLabelpipeError(cause) ? cause : new TransformError(at, { cause }))
  }
}

/** Any valid load id: the check's rows are encoded and dropped, never written. */
const checkLoadId = 'webhook-check'

function cannotBeStored(delivery: QueuedDelivery, error: LabelpipeError): WebhookDeliveryError {
  const prefix = `${positionOf(delivery).file} line 1 (byte 0): `
  const detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message
  return new WebhookDeliveryError(error.code, 400, `cannot be stored: ${detail}`, {
    deliveryId: delivery.deliveryId,
    event: delivery.event,
    cause: error,
  })
}

/**
 * What one delivery writes: the parts of its data row of which it is the batch's newest state. A delivery may carry
 * only some projects of its data row (one project's event), so the newest state is decided per merge unit
 * (docs/schema.md principle 3), not per data row: the data row itself (its data-row tables) and each (project_id,
 * data_row_id). Otherwise a newer delivery of project A would supersede an older one of project B, and B's update
 * would be lost although nothing newer of B came.
 */
export interface StagedState {
  readonly delivery: QueuedDelivery
  /** Whether it writes the data-row tables (data_rows, data_row_metadata, attachments). */
  readonly dataRow: boolean
  /** The projects whose units it writes. */
  readonly projects: readonly string[]
}

/**
 * The states a batch writes: per merge unit, the delivery with the greatest last_activity_at (a state without one
 * counts as newest: an export made without data_row_details cannot be ordered, and arrival is then the best
 * guess), ties to the later-received. A delivery that is the newest of no unit is superseded. LABEL_DELETED
 * deliveries are not states: they delete their labels.
 */
export function pickStates(deliveries: readonly QueuedDelivery[]): {
  readonly staged: readonly StagedState[]
  readonly superseded: readonly QueuedDelivery[]
  readonly deletions: readonly QueuedDelivery[]
} {
  const newest = new Map<string, QueuedDelivery>()
  const states: QueuedDelivery[] = []
  const deletions: QueuedDelivery[] = []
  const claim = (key: string, delivery: QueuedDelivery) => {
    const held = newest.get(key)
    if (held === undefined || isNewer(delivery, held)) newest.set(key, delivery)
  }
  for (const delivery of deliveries) {
    if (delivery.event === 'LABEL_DELETED') {
      deletions.push(delivery)
      continue
    }
    states.push(delivery)
    const id = delivery.dataRow.data_row.id
    claim(dataRowKey(id), delivery)
    for (const project of projectsOf(delivery)) claim(unitKey(project, id), delivery)
  }
  const staged: StagedState[] = []
  const superseded: QueuedDelivery[] = []
  for (const delivery of states) {
    const id = delivery.dataRow.data_row.id
    const dataRow = newest.get(dataRowKey(id)) === delivery
    const projects = projectsOf(delivery).filter((project) => newest.get(unitKey(project, id)) === delivery)
    if (dataRow || projects.length > 0) staged.push({ delivery, dataRow, projects })
    else superseded.push(delivery)
  }
  // Staged in arrival order; the parts are disjoint, so no two staged rows belong to one merge unit.
  return { staged: staged.sort((a, b) => a.delivery.seq - b.delivery.seq), superseded, deletions }
}

/** The projects a delivery carries a state of. */
export function projectsOf(delivery: QueuedDelivery): string[] {
  return Object.keys(delivery.dataRow.projects ?? {})
}

/**
 * The data row's own part: its id, which holds no NUL (a delivery with one is refused before its batch: PostgreSQL
 * cannot store it), where every unitKey holds one.
 */
const dataRowKey = (dataRowId: string) => dataRowId

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
  const { staged, superseded, deletions } = pickStates(deliveries)
  const loadId = newLoadId(startedAt)
  const load = await preparePostgresLoad({
    pool: context.pool,
    schema: context.schema,
    loadId,
    mode: 'merge',
    pipeline: context.pipeline,
    statementTimeoutMs: context.statementTimeoutMs,
    connectTimeoutMs: context.connectTimeoutMs,
    source: 'webhook',
    input: 'webhook',
  })
  try {
    await pipeline(Readable.from(rowBatches(context.flatten({ loadId, source: 'webhook' }), staged)), load.stagingSink(0))
  } catch (error) {
    await load.rollback()
    throw error
  }
  const record = new DeliveryRecord(loadId, staged, superseded, deletions)
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

/** The rows of each staged state's own parts: its data row's projects pruned to its units, its data-row tables only if it won them. */
function* rowBatches(stage: RecordStage<V2DataRow, TableRow>, staged: readonly StagedState[]): Generator<Batch<TableRow>> {
  let out: Located<TableRow>[] = []
  for (const { delivery, dataRow, projects } of staged) {
    const at = positionOf(delivery)
    const mine = Object.entries(delivery.dataRow.projects ?? {}).filter(([project]) => projects.includes(project))
    const state: V2DataRow = { ...delivery.dataRow, projects: Object.fromEntries(mine) }
    try {
      for (const value of stage(state, at)) {
        if (!dataRow && dataRowTableSet.has(value.table)) continue
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

const dataRowTableSet: ReadonlySet<string> = new Set(dataRowTables)

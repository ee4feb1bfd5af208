import { tableNames } from '@labelpipe/core'
import { labelTables, type PostgresCommitTransaction } from './commit-transaction.js'
import type { DeliveryOutcome, QueuedDelivery } from './webhook-batch.js'
import { labelIdsOf } from './webhook-delivery.js'

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
export class DeliveryRecord {
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

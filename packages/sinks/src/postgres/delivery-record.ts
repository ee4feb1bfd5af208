import type { TableName } from '@labelpipe/core'
import { dataRowTables, labelTables, type PostgresCommitTransaction, projectTables } from './commit-transaction.js'
import type { DeliveryOutcome, QueuedDelivery, StagedState } from './webhook-batch.js'
import { labelIdsOf } from './webhook-delivery.js'

/**
 * The batch's bookkeeping inside its commit transaction (PostgresLoad.commit's beforeMerge), under the schema's
 * commit lock, so every read of the targets holds until COMMIT, even with several receivers on one schema:
 * 1. every delivery goes into webhook_deliveries; an id already there (committed by another receiver since the
 *    pre-check) is a replay after all: its staged parts, and its deletions, are dropped;
 * 2. LABEL_DELETED labels are tombstoned and their rows deleted from every label table; staged rows of any
 *    tombstoned label are dropped, so a late, older state cannot bring a deleted label back (label ids are
 *    never reused);
 * 3. staged parts older than what is stored are dropped, part by part (StagedState):
 *    - the data row's own tables when its last_activity_at is older than the stored data row's;
 *    - a (project, data row) unit when its delivery's last_activity_at is older than the stored data row's, the
 *      unit is stored, AND it brings nothing newer than the stored unit: no label created or updated, review or
 *      workflow step later than the stored unit's latest (unitActivity). A delivery of project B that arrives
 *      after a newer one of project A still writes B's update; one that repeats a state older than stored writes
 *      nothing. A late state that only removes (a review, a label not deleted by LABEL_DELETED) has no newer time
 *      and is stale, as is a late change of project_data_rows alone (status, batch) without a workflow step.
 *    A stored row without the time, or a state without it, is replaced. load_state's cursors move with the
 *    written data rows' times (commit-transaction.ts), so a unit written without its data row's part leaves its
 *    project's cursor where it was: an incremental export from there covers it again.
 * The merge then replaces the merge units of what is left.
 */
export class DeliveryRecord {
  readonly #loadId: string
  readonly #staged: readonly StagedState[]
  readonly #superseded: readonly QueuedDelivery[]
  readonly #deletions: readonly QueuedDelivery[]
  readonly #raced = new Set<string>()
  readonly #staleDataRows = new Set<string>()
  readonly #staleUnits = new Set<string>()

  constructor(loadId: string, staged: readonly StagedState[], superseded: readonly QueuedDelivery[], deletions: readonly QueuedDelivery[]) {
    this.#loadId = loadId
    this.#staged = staged
    this.#superseded = superseded
    this.#deletions = deletions
  }

  outcomes(): Map<string, DeliveryOutcome> {
    const outcomes = new Map<string, DeliveryOutcome>()
    const set = (delivery: QueuedDelivery, outcome: DeliveryOutcome) =>
      outcomes.set(delivery.deliveryId, this.#raced.has(delivery.deliveryId) ? 'duplicate' : outcome)
    for (const state of this.#staged) set(state.delivery, this.#isStale(state) ? 'stale' : 'applied')
    for (const delivery of this.#superseded) set(delivery, 'superseded')
    for (const delivery of this.#deletions) set(delivery, 'deleted')
    return outcomes
  }

  async apply(tx: PostgresCommitTransaction): Promise<void> {
    await this.#recordDeliveries(tx)
    await this.#deleteLabels(tx)
    await this.#unstageStale(tx)
  }

  /** Whether every part the state would have written is older than what is stored. */
  #isStale({ delivery, dataRow, projects }: StagedState): boolean {
    const id = delivery.dataRow.data_row.id
    return (!dataRow || this.#staleDataRows.has(id)) && projects.every((project) => this.#staleUnits.has(unitKey(project, id)))
  }

  async #recordDeliveries(tx: PostgresCommitTransaction): Promise<void> {
    const stagedDeliveries = new Set(this.#staged.map((state) => state.delivery))
    const all = [...stagedDeliveries, ...this.#superseded, ...this.#deletions]
    const outcome = (delivery: QueuedDelivery) =>
      delivery.event === 'LABEL_DELETED' ? 'deleted' : stagedDeliveries.has(delivery) ? 'applied' : 'superseded'
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
    const replayed = this.#staged.filter((state) => this.#raced.has(state.delivery.deliveryId))
    await unstageParts(tx, replayed, 'unstage replayed deliveries')
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
    const staleRows = await tx.query<{ data_row_id: string }>(
      'find staged data rows older than stored',
      `SELECT s.data_row_id FROM ${tx.staged('data_rows')} s JOIN ${tx.target('data_rows')} t ON t.data_row_id = s.data_row_id
        WHERE s.last_activity_at < t.last_activity_at`,
    )
    for (const row of staleRows.rows) this.#staleDataRows.add(row.data_row_id)
    const live = this.#staged.filter((state) => !this.#raced.has(state.delivery.deliveryId))
    const units = live.flatMap(({ delivery, projects }) => projects.map((project) => ({ project, delivery })))
    if (units.length > 0) {
      const staleUnits = await tx.query<{ project_id: string; data_row_id: string }>(
        'find staged units older than stored',
        // Only units whose delivery is older than the stored data row are looked at, and only those of which
        // something is stored (a project new to the data row is news, whatever its times). Set-based: the stored
        // labels of those units are found in one pass (labels has no index but its primary key), the rest by
        // primary keys.
        `WITH late AS (
           SELECT u.project_id, u.data_row_id
           FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u (project_id, data_row_id, delivered_at)
           JOIN ${tx.target('data_rows')} t ON t.data_row_id = u.data_row_id WHERE u.delivered_at < t.last_activity_at),
         ${unitLabels('staged_labels', tx.staged('labels'))},
         ${unitLabels('stored_labels', tx.target('labels'))},
         activity AS (
           SELECT project_id, data_row_id, max(at) FILTER (WHERE staged) AS staged_at, max(at) FILTER (WHERE NOT staged) AS stored_at
           FROM (${unitActivity('staged_labels', (name) => tx.staged(name), true)}
                 UNION ALL ${unitActivity('stored_labels', (name) => tx.target(name), false)}) a
           GROUP BY project_id, data_row_id)
         SELECT late.project_id, late.data_row_id FROM late LEFT JOIN activity a USING (project_id, data_row_id)
         WHERE coalesce(a.staged_at, '-infinity') <= coalesce(a.stored_at, '-infinity')
           AND (EXISTS (SELECT 1 FROM stored_labels l WHERE l.project_id = late.project_id AND l.data_row_id = late.data_row_id)
                OR EXISTS (SELECT 1 FROM ${tx.target('project_data_rows')} p
                           WHERE p.project_id = late.project_id AND p.data_row_id = late.data_row_id))`,
        [
          units.map((unit) => unit.project),
          units.map((unit) => unit.delivery.dataRow.data_row.id),
          units.map(({ delivery }) => (delivery.lastActivityMs === null ? null : new Date(delivery.lastActivityMs).toISOString())),
        ],
      )
      for (const row of staleUnits.rows) this.#staleUnits.add(unitKey(row.project_id, row.data_row_id))
    }
    const staleParts = live.map(({ delivery, dataRow, projects }) => {
      const id = delivery.dataRow.data_row.id
      return {
        delivery,
        dataRow: dataRow && this.#staleDataRows.has(id),
        projects: projects.filter((project) => this.#staleUnits.has(unitKey(project, id))),
      }
    })
    await unstageParts(tx, staleParts, 'unstage stale parts')
    const stale = live.filter((state) => this.#isStale(state))
    if (stale.length === 0) return
    await tx.query(
      'record the stale deliveries',
      `UPDATE ${tx.target('webhook_deliveries')} SET outcome = 'stale' WHERE load_id = $1 AND delivery_id = ANY($2::text[])`,
      [this.#loadId, stale.map((state) => state.delivery.deliveryId)],
    )
  }
}

/** A CTE `name`: the labels in `labels` (staged or stored) of the units in `late`, with their latest time. */
function unitLabels(name: string, labels: string): string {
  return `${name} AS MATERIALIZED (
    SELECT l.label_id, l.project_id, l.data_row_id, greatest(l.created_at, l.updated_at) AS at
    FROM ${labels} l JOIN late ON late.project_id = l.project_id AND late.data_row_id = l.data_row_id)`
}

/**
 * The activity times of the units in `late`, staged or stored (`staged` tags the side): their labels' creation
 * and update (`labels`, a unitLabels CTE), those labels' reviews, the units' workflow steps.
 */
function unitActivity(labels: string, table: (name: TableName) => string, staged: boolean): string {
  return `SELECT project_id, data_row_id, at, ${staged} AS staged FROM ${labels}
    UNION ALL SELECT l.project_id, l.data_row_id, r.reviewed_at, ${staged}
      FROM ${table('label_reviews')} r JOIN ${labels} l ON l.label_id = r.label_id
    UNION ALL SELECT w.project_id, w.data_row_id, w.created_at, ${staged}
      FROM ${table('workflow_history')} w JOIN late ON late.project_id = w.project_id AND late.data_row_id = w.data_row_id`
}

/** A (project, data row) unit as one key (ids hold no NUL). */
export const unitKey = (projectId: string, dataRowId: string) => `${projectId}\u0000${dataRowId}`

/**
 * Drops the staged rows of the given parts: a data row's own tables, and each unit's rows (project tables by their
 * key, label tables through their label's row; labels last, the others find their unit through them).
 */
async function unstageParts(tx: PostgresCommitTransaction, parts: readonly StagedState[], what: string): Promise<void> {
  const dataRowIds = parts.filter((part) => part.dataRow).map((part) => part.delivery.dataRow.data_row.id)
  if (dataRowIds.length > 0) {
    for (const table of dataRowTables) {
      await tx.query(`${what} (${table})`, `DELETE FROM ${tx.staged(table)} WHERE data_row_id = ANY($1::text[])`, [dataRowIds])
    }
  }
  const units = parts.flatMap(({ delivery, projects }) => projects.map((project) => [project, delivery.dataRow.data_row.id] as const))
  if (units.length === 0) return
  const values = [units.map(([project]) => project), units.map(([, dataRowId]) => dataRowId)]
  const inUnits = (alias: string) => `(${alias}.project_id, ${alias}.data_row_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
  for (const table of projectTables) {
    await tx.query(`${what} (${table})`, `DELETE FROM ${tx.staged(table)} s WHERE ${inUnits('s')}`, values)
  }
  for (const table of labelTables.slice(1)) {
    await tx.query(
      `${what} (${table})`,
      `DELETE FROM ${tx.staged(table)} s USING ${tx.staged('labels')} l WHERE s.label_id = l.label_id AND ${inUnits('l')}`,
      values,
    )
  }
  await tx.query(`${what} (labels)`, `DELETE FROM ${tx.staged('labels')} l WHERE ${inUnits('l')}`, values)
}

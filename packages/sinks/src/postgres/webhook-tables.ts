import { type PgSession, pgTarget } from './pg-session.js'
import { lockKey, qualified, quoteIdent, schemaLockNamespace } from './sql-names.js'
import type { BatchContext, QueuedDelivery } from './webhook-batch.js'

/** The receiver's own tables, beside the docs/schema.md ones: the dedupe keys and the deleted labels. */
function createWebhookTablesSql(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'webhook_deliveries')} (delivery_id text PRIMARY KEY, event text NOT NULL,
      data_row_id text NOT NULL, last_activity_at timestamptz, received_at timestamptz NOT NULL, load_id text NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('applied', 'superseded', 'stale', 'deleted')))`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'webhook_deleted_labels')} (label_id text PRIMARY KEY, data_row_id text NOT NULL,
      deleted_at timestamptz NOT NULL, delivery_id text NOT NULL)`,
  ]
}

/** Opens a session on the receiver's pool (errors as PostgresSinkError, without the password). */
function openSession(
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

export async function committedDeliveryIds(context: BatchContext, deliveries: readonly QueuedDelivery[]): Promise<Set<string>> {
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

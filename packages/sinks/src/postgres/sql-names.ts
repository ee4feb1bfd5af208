import { createHash } from 'node:crypto'
import { type ColumnType, primaryKeys, type TableName, tableColumns, tableNames } from '@labelpipe/core'

// Identifiers are always quoted (schema.md names are lowercase already, so quoting changes nothing for them
// and everything for a hostile name). Load ids may hold '.', '-' and capitals, so they never appear unquoted.

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`
}

const postgresTypes: { readonly [T in ColumnType]: string } = {
  text: 'text',
  int: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  bool: 'boolean',
  timestamptz: 'timestamptz',
  json: 'jsonb',
}

/** The quoted column list of a table in schema order: `"label_id", "project_id", …`. */
export function columnList(table: TableName): string {
  return tableColumns(table)
    .map((column) => quoteIdent(column.name))
    .join(', ')
}

export function primaryKeyList(table: TableName): string {
  return (primaryKeys[table] as readonly string[]).map(quoteIdent).join(', ')
}

function columnDefinitions(table: TableName): string[] {
  return tableColumns(table).map((column) => `${quoteIdent(column.name)} ${postgresTypes[column.type]}${column.notNull ? ' NOT NULL' : ''}`)
}

export function createTableSql(schema: string, table: TableName): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (${[...columnDefinitions(table), `PRIMARY KEY (${primaryKeyList(table)})`].join(', ')})`
}

/** The bookkeeping tables of docs/schema.md; `rows` is table -> rows inserted by the run. */
export function createBookkeepingSql(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'load_runs')} (load_id text PRIMARY KEY, started_at timestamptz, finished_at timestamptz,
      status text NOT NULL CHECK (status IN ('running', 'committed', 'failed')), source text, input text, input_bytes bigint, rows jsonb,
      dead_letters integer, cursor_from timestamptz, cursor_to timestamptz, labelpipe_version text)`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'load_state')} (pipeline text NOT NULL, project_id text NOT NULL, cursor_name text NOT NULL,
      cursor_value timestamptz, updated_at timestamptz, PRIMARY KEY (pipeline, project_id, cursor_name))`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, 'dead_letters')} (load_id text NOT NULL, source text, line bigint, byte_offset bigint,
      error text, payload text)`,
  ]
}

// ---- Staging: one UNLOGGED table per target table and run, in the target schema. ----

export const stagingPrefix = '_lp_stage_'

/**
 * Columns after the row's own: the input byte offset of the row's record and the writer's arrival counter.
 * Together they are input order across writers (a record is flattened by one writer), which is what
 * "last wins" among duplicate keys means.
 */
export const stagingOrderColumns = ['_lp_offset', '_lp_seq'] as const

/**
 * The run key in staging names: the load id itself when the longest name still fits PostgreSQL's 63-byte
 * identifiers (`_lp_stage_` + 35 + `_` + `data_row_metadata`), else 16 hex digits of its SHA-256. Default load
 * ids (27 characters) stay readable.
 */
export function stagingKey(loadId: string): string {
  return loadId.length <= 35 ? loadId : createHash('sha256').update(loadId).digest('hex').slice(0, 16)
}

export function stagingTableName(loadId: string, table: TableName): string {
  return `${stagingPrefix}${stagingKey(loadId)}_${table}`
}

/** Every staging table name of a run, one per target table. */
export function stagingTableNames(loadId: string): string[] {
  return tableNames.map((table) => stagingTableName(loadId, table))
}

export function createStagingSql(schema: string, loadId: string, table: TableName): string {
  const order = stagingOrderColumns.map((name) => `${quoteIdent(name)} bigint NOT NULL`)
  return `CREATE UNLOGGED TABLE ${qualified(schema, stagingTableName(loadId, table))} (${[...columnDefinitions(table), ...order].join(', ')})`
}

/** `COPY … FROM STDIN` in text format (tab-separated, `\N` for NULL), every column named. */
export function copySql(schema: string, loadId: string, table: TableName): string {
  const columns = [columnList(table), ...stagingOrderColumns.map(quoteIdent)].join(', ')
  return `COPY ${qualified(schema, stagingTableName(loadId, table))} (${columns}) FROM STDIN`
}

// ---- Advisory locks: two int4 keys, the first a labelpipe namespace. ----

/** Held by a run's coordinator session for the run's life: a 'running' run whose lock is free is dead. */
export const runLockNamespace = 0x6c700001
/** Taken per transaction around table creation and each commit, so runs into one schema commit one at a time. */
export const schemaLockNamespace = 0x6c700002

/** A 32-bit key from the first bytes of SHA-256; a collision only makes a dead run look alive for a while. */
export function lockKey(name: string): number {
  return createHash('sha256').update(name).digest().readInt32BE(0)
}

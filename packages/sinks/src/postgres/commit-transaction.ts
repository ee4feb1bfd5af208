import { type DeadLetter, type RunFacts, type TableName, tableNames } from '@labelpipe/core'
import type { QueryResult, QueryResultRow } from 'pg'
import { type PgSession, PostgresSinkError } from './pg-session.js'
import type { PostgresMode } from './postgres-options.js'
import { columnList, lockKey, primaryKeyList, qualified, quoteIdent, schemaLockNamespace, stagingTableName } from './sql-names.js'

// The one transaction that moves a run from its staging tables into the targets (docs/schema.md principle 3):
//
//   BEGIN ─ schema lock ─ beforeMerge hook ─ (merge, replace: a data row's earlier lines unstaged)
//                                           ┬─ merge:   units of the run ─▶ DELETE their rows ─┐
//                                           ├─ append:  ───────────────────────────────────────┼─▶ INSERT … SELECT (dedupe on conflict)
//                                           └─ replace: TRUNCATE the 13 tables ────────────────┘      ─▶ load_runs, load_state ─▶ DROP staging ─ COMMIT
//
// Until COMMIT nothing is visible; kill -9 at any point before it leaves the targets as they were.

/** Tables whose merge unit is the data row (schema.md: "for data-row tables: data_row_id"). */
export const dataRowTables = ['data_rows', 'data_row_metadata', 'attachments'] as const satisfies readonly TableName[]
/** Tables keyed by (project_id, data_row_id, …): the unit is in the row. */
export const projectTables = ['project_data_rows', 'workflow_history'] as const satisfies readonly TableName[]
/** Tables that hang off a label: their unit is their label's (project_id, data_row_id). labels itself is first. */
export const labelTables = [
  'labels',
  'label_reviews',
  'objects',
  'frame_objects',
  'segments',
  'key_frames',
  'classifications',
  'relationships',
] as const satisfies readonly TableName[]

export interface CommitInput {
  readonly session: PgSession
  readonly schema: string
  readonly loadId: string
  readonly mode: PostgresMode
  readonly pipeline: string
  readonly facts: RunFacts | undefined
  readonly beforeMerge?: ((transaction: PostgresCommitTransaction) => Promise<void>) | undefined
  readonly deadLetters?: AsyncIterable<DeadLetter> | undefined
}

/**
 * The commit transaction as a `beforeMerge` hook sees it (`PostgresLoad.commit`): the run's staged rows are all in,
 * the schema's commit lock is held, and nothing has changed yet. What the hook does commits or rolls back with the
 * run, so a caller can keep bookkeeping of its own exactly in step with the tables (the webhook receiver records
 * its deliveries and drops staged rows older than what is stored; delivery-record.ts).
 */
export interface PostgresCommitTransaction {
  readonly schema: string
  readonly loadId: string
  /** The quoted, schema-qualified name of a table of the schema: `"labelbox"."data_rows"`. */
  target(table: string): string
  /** The quoted, schema-qualified name of this run's staging table of `table`. */
  staged(table: TableName): string
  /** One statement in the transaction; a failure rejects with a PostgresSinkError that starts with `what`, and the run rolls back. */
  query<R extends QueryResultRow = QueryResultRow>(what: string, sql: string, values?: unknown[]): Promise<QueryResult<R>>
}

/** Rows inserted per target table, every table listed. */
export type TableCounts = { readonly [T in TableName]: number }

export async function commitRun(input: CommitInput): Promise<TableCounts> {
  const { session, schema, loadId, mode } = input
  const target = (table: string) => qualified(schema, table)
  const stage = (table: TableName) => qualified(schema, stagingTableName(loadId, table))
  const run = (what: string, sql: string, values?: unknown[]) => session.query(what, sql, values)

  await run('begin the commit', 'BEGIN')
  await run('take the schema commit lock', 'SELECT pg_advisory_xact_lock($1, $2)', [schemaLockNamespace, lockKey(schema)])
  // After the lock: commits into the schema are serialized, so what the hook reads of the targets stays true until COMMIT.
  await input.beforeMerge?.({
    schema,
    loadId,
    target,
    staged: stage,
    query: <R extends QueryResultRow>(what: string, sql: string, values?: unknown[]) => session.query<R>(what, sql, values),
  })
  if (mode !== 'append') await dropSupersededLines(session, stage)
  // Replace empties every table; merge and append write into the tables as they are.
  const occupied = mode === 'replace' ? new Set<TableName>() : await occupiedTables(session, target)
  if (mode === 'merge') await deleteMergeUnits(run, target, stage, occupied)
  if (mode === 'replace') await run('truncate the target tables', `TRUNCATE ${tableNames.map(target).join(', ')}`)
  const counts = {} as Record<TableName, number>
  for (const table of tableNames) {
    const statements = insertStatements(table, target(table), stage(table))
    const unindexed = occupied.has(table) ? undefined : await insertUnindexed(session, table, target(table), stage(table), statements)
    counts[table] = unindexed ?? (await insertRows(session, mode, table, statements))
  }
  await recordRun(input, counts, target, stage)
  if (input.deadLetters !== undefined) await insertDeadLetters(session, target('dead_letters'), loadId, input.deadLetters)
  await run('drop the staging tables', `DROP TABLE ${tableNames.map(stage).join(', ')}`)
  try {
    await session.client.query('COMMIT')
  } catch (cause) {
    const error = session.fail('COMMIT', cause)
    throw new PostgresSinkError(`${error.message}; if the connection was lost during COMMIT, load_runs tells whether ${loadId} committed`, {
      sqlState: error.sqlState,
      cause: error,
    })
  }
  return counts
}

type Run = (what: string, sql: string, values?: unknown[]) => Promise<unknown>

/**
 * The target tables holding any row. Why: on a first load into empty tables (the usual backfill) there is nothing
 * to replace, and collecting the run's units alone scans every staged row of 8 tables: 3.5 s of a 16 s commit of
 * the 1 GB image export (server log, log_min_duration_statement). Read under the schema commit lock, so no other
 * labelpipe commit can fill a table before this one's COMMIT.
 */
async function occupiedTables(session: PgSession, target: (table: string) => string): Promise<ReadonlySet<TableName>> {
  const probes = tableNames.map((table, i) => `SELECT ${i} AS i WHERE EXISTS (SELECT 1 FROM ${target(table)})`)
  const found = await session.query<{ i: number }>('find the target tables holding rows', probes.join(' UNION ALL '))
  return new Set(found.rows.map(({ i }) => tableNames[i] as TableName))
}

/**
 * A data row loaded from more than one line of one run (two exports concatenated, or a line repeated) is what
 * its last line says: schema.md principle 3, a line is the complete state of its data row. Per-key "last wins"
 * alone would keep a metadata entry, a label or an object that only an earlier line had. So before the move,
 * the staged rows of earlier lines are dropped, unit by unit: the data row for data-row tables, (project_id,
 * data_row_id) for the others (a project the later line lacks keeps its earlier line's rows: that unit is in
 * the run only there). A label table's row takes its unit from its label's row of the same line. Lines are told
 * apart by `_lp_offset`; a run without repeats costs one aggregate over the data_rows staging table.
 */
async function dropSupersededLines(session: PgSession, stage: (table: TableName) => string): Promise<void> {
  const repeatedLines = `FROM ${stage('data_rows')} GROUP BY data_row_id HAVING count(DISTINCT _lp_offset) > 1`
  const repeated = await session.query('find data rows staged from more than one line', `SELECT 1 ${repeatedLines} LIMIT 1`)
  if (repeated.rowCount === 0) return
  const run = (what: string, sql: string) => session.query(what, sql)
  await run(
    'collect the last line of each repeated data row',
    `CREATE TEMP TABLE lp_last_lines ON COMMIT DROP AS SELECT data_row_id, max(_lp_offset) AS last ${repeatedLines}`,
  )
  await run(
    'collect the last line of each of their merge units',
    `CREATE TEMP TABLE lp_last_units ON COMMIT DROP AS
     SELECT u.project_id, u.data_row_id, max(u._lp_offset) AS last
     FROM (SELECT project_id, data_row_id, _lp_offset FROM ${stage('project_data_rows')}
           UNION ALL SELECT project_id, data_row_id, _lp_offset FROM ${stage('labels')}) u
     JOIN lp_last_lines USING (data_row_id) GROUP BY u.project_id, u.data_row_id`,
  )
  for (const table of dataRowTables) {
    await run(
      `unstage the earlier lines of ${table}`,
      `DELETE FROM ${stage(table)} s USING lp_last_lines l WHERE s.data_row_id = l.data_row_id AND s._lp_offset < l.last`,
    )
  }
  const earlierInUnit = (row: string) =>
    `${row}.project_id = u.project_id AND ${row}.data_row_id = u.data_row_id AND ${row}._lp_offset < u.last`
  for (const table of projectTables) {
    await run(`unstage the earlier lines of ${table}`, `DELETE FROM ${stage(table)} s USING lp_last_units u WHERE ${earlierInUnit('s')}`)
  }
  // The labels rows go last: the other label tables find their units through them.
  for (const table of labelTables.slice(1)) {
    await run(
      `unstage the earlier lines of ${table}`,
      `DELETE FROM ${stage(table)} s USING ${stage('labels')} l, lp_last_units u
       WHERE s.label_id = l.label_id AND s._lp_offset = l._lp_offset AND ${earlierInUnit('l')}`,
    )
  }
  await run('unstage the earlier lines of labels', `DELETE FROM ${stage('labels')} l USING lp_last_units u WHERE ${earlierInUnit('l')}`)
}

/**
 * Deletes every target row of the merge units present in the run: data rows (data-row tables), (project_id,
 * data_row_id) pairs (project tables and, through labels, every label table), and, so that no key of the run
 * can collide, every label the run carries by id. The run's labels are those of its `labels` staging table:
 * flattenDataRows writes a labels row for every label whose rows it writes to any label table, so a union over
 * every label table (millions of frame_objects rows on a video export) would find no other id. A v1 label without
 * project id falls back to (project_name, data_row_id), as schema.md says. Only `occupied` tables can hold rows
 * to delete, and units are collected only for those.
 */
async function deleteMergeUnits(
  run: Run,
  target: (table: string) => string,
  stage: (table: TableName) => string,
  occupied: ReadonlySet<TableName>,
): Promise<void> {
  const union = (tables: readonly TableName[], columns: string, where = '') =>
    tables.map((table) => `SELECT ${columns} FROM ${stage(table)}${where}`).join(' UNION ')
  const dataRowTargets = dataRowTables.filter((table) => occupied.has(table))
  const projectTargets = projectTables.filter((table) => occupied.has(table))
  const labelTargets = labelTables.filter((table) => occupied.has(table))
  if (dataRowTargets.length > 0) {
    await run(
      'collect the data rows of the run',
      `CREATE TEMP TABLE lp_data_row_units ON COMMIT DROP AS ${union(dataRowTables, 'data_row_id')}`,
    )
    await run('analyze the units', 'ANALYZE lp_data_row_units')
  }
  if (projectTargets.length > 0 || labelTargets.length > 0) {
    await run(
      'collect the (project, data row) units of the run',
      `CREATE TEMP TABLE lp_project_units ON COMMIT DROP AS ${union(projectTables, 'project_id, data_row_id')}
        UNION SELECT project_id, data_row_id FROM ${stage('labels')} WHERE project_id IS NOT NULL`,
    )
    await run('analyze the units', 'ANALYZE lp_project_units')
  }
  if (labelTargets.length > 0) {
    await run(
      'collect the labels the run replaces',
      `CREATE TEMP TABLE lp_labels ON COMMIT DROP AS
        SELECT t.label_id FROM ${target('labels')} t JOIN lp_project_units u ON t.project_id = u.project_id AND t.data_row_id = u.data_row_id
        UNION SELECT t.label_id FROM ${target('labels')} t JOIN ${stage('labels')} s
          ON s.project_id IS NULL AND t.project_id IS NULL AND t.project_name = s.project_name AND t.data_row_id = s.data_row_id
        UNION SELECT label_id FROM ${stage('labels')}`,
    )
    await run('analyze the units', 'ANALYZE lp_labels')
  }
  for (const table of dataRowTargets) {
    await run(
      `delete the replaced rows of ${table}`,
      `DELETE FROM ${target(table)} t USING lp_data_row_units u WHERE t.data_row_id = u.data_row_id`,
    )
  }
  for (const table of projectTargets) {
    await run(
      `delete the replaced rows of ${table}`,
      `DELETE FROM ${target(table)} t USING lp_project_units u WHERE t.project_id = u.project_id AND t.data_row_id = u.data_row_id`,
    )
  }
  for (const table of labelTargets) {
    await run(`delete the replaced rows of ${table}`, `DELETE FROM ${target(table)} t USING lp_labels u WHERE t.label_id = u.label_id`)
  }
}

interface InsertStatements {
  /** Every staged row. */
  readonly plain: string
  /** Of each primary key, the row that came last in the input (highest byte offset, then arrival). */
  readonly lastWins: string
}

function insertStatements(table: TableName, target: string, stage: string): InsertStatements {
  const columns = columnList(table)
  const keys = primaryKeyList(table)
  return {
    plain: `INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${stage}`,
    lastWins: `INSERT INTO ${target} (${columns}) SELECT DISTINCT ON (${keys}) ${columns} FROM ${stage}
      ORDER BY ${keys}, ${quoteIdent('_lp_offset')} DESC, ${quoteIdent('_lp_seq')} DESC`,
  }
}

/**
 * Staged rows from which an empty target is filled without its primary key. Why a floor: the drop and rebuild pays
 * off per row (~2 µs each), while its ACCESS EXCLUSIVE lock and catalog changes cost the same for any size; tables
 * that stay empty (frame_objects of an image project) or take a few rows (a webhook batch, an incremental merge) keep
 * the plain insert and never block a reader.
 */
const unindexedFromRows = 10_000

/** How long the commit waits for a table's ACCESS EXCLUSIVE lock before it fills the table through its key instead. */
const dropLockMs = 1000

/**
 * Why a DROP of the key may fail and the rows still go in through it: no privilege (42501), a foreign key depends
 * on the key (2BP01), the lock not granted within dropLockMs (55P03) or a deadlock with a reader (40P01), the
 * table in use (55006), statement_timeout (57014). Anything else is a failure of the commit.
 */
const dropRefusals = new Set(['42501', '2BP01', '55P03', '40P01', '55006', '57014'])

/**
 * Fills an empty target with its primary key dropped, then adds the key again from the sorted rows: half the time
 * of inserting through the index (measured on the 1 GB video export: 2.2M frame_objects rows in 3.2 s plus 2.5 s
 * for the key, against 10.3 s through the key; the commit was 17 s of a 54 s load). The key comes back with its
 * name and its definition as the server prints it (columns, INCLUDE, WITH, USING INDEX TABLESPACE). The DROP takes
 * the table's ACCESS EXCLUSIVE lock until COMMIT, so readers of the empty table wait for the commit instead of
 * seeing it empty: what TRUNCATE (mode 'replace') already does.
 *
 * Resolves undefined, with nothing changed, when this is not worth it or not safe here: fewer than
 * unindexedFromRows staged rows; no primary key, or one that carries more than its definition (the table's
 * replica identity, its CLUSTER index, a comment); a key this role may not drop, or one a foreign key depends on;
 * the lock not granted within dropLockMs (someone else's open transaction has read the table); or rows that
 * arrived between `occupiedTables` and the lock (a writer outside labelpipe). `insertRows` then inserts through the
 * index.
 */
async function insertUnindexed(
  session: PgSession,
  table: TableName,
  target: string,
  stage: string,
  statements: InsertStatements,
): Promise<number | undefined> {
  const staged = await session.query<{ rows: string }>(
    `count the staged rows of ${table}`,
    `SELECT count(*) AS rows FROM (SELECT 1 FROM ${stage} LIMIT ${unindexedFromRows}) s`,
  )
  if (Number(staged.rows[0]?.rows) < unindexedFromRows) return undefined
  const key = await session.query<{ name: string; definition: string }>(
    `find the primary key of ${table}`,
    `SELECT k.conname AS name, pg_get_constraintdef(k.oid) AS definition
     FROM pg_constraint k JOIN pg_index i ON i.indexrelid = k.conindid
     WHERE k.conrelid = $1::regclass AND k.contype = 'p' AND NOT i.indisreplident AND NOT i.indisclustered
       AND obj_description(k.oid, 'pg_constraint') IS NULL AND obj_description(k.conindid, 'pg_class') IS NULL`,
    [target],
  )
  const found = key.rows[0]
  if (found === undefined) return undefined
  await session.query('savepoint', 'SAVEPOINT lp_unindexed')
  // INSERT takes ROW EXCLUSIVE, which readers do not block; the DROP waits for every open transaction that read the
  // table (an idle BI session would hold the commit forever). It waits dropLockMs at most. The savepoint's
  // rollback also undoes the SET LOCAL.
  const lockTimeout = await session.query<{ value: string }>('read lock_timeout', `SELECT current_setting('lock_timeout') AS value`)
  await session.query('set lock_timeout', `SELECT set_config('lock_timeout', $1, true)`, [String(dropLockMs)])
  try {
    await session.client.query(`ALTER TABLE ${target} DROP CONSTRAINT ${quoteIdent(found.name)}`)
  } catch (cause) {
    if (!dropRefusals.has((cause as { code?: unknown }).code as string)) throw session.fail(`drop the primary key of ${table}`, cause)
    return await giveUp(session)
  }
  await session.query('restore lock_timeout', `SELECT set_config('lock_timeout', $1, true)`, [lockTimeout.rows[0]?.value ?? '0'])
  if ((await session.query(`look into ${table}`, `SELECT 1 FROM ${target} LIMIT 1`)).rowCount !== 0) return await giveUp(session)

  const addKey = `ALTER TABLE ${target} ADD CONSTRAINT ${quoteIdent(found.name)} ${found.definition}`
  // Duplicate keys within the run show as the key failing to build (or as another unique index of the table
  // refusing the insert): the rows go again, last wins.
  await session.query('savepoint', 'SAVEPOINT lp_rows')
  let rows: number
  try {
    rows = (await session.client.query(statements.plain)).rowCount ?? 0
    await session.client.query(addKey)
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== '23505') throw session.fail(`insert into ${table}`, cause)
    await session.query('savepoint', 'ROLLBACK TO SAVEPOINT lp_rows')
    rows = (await session.query(`insert into ${table}`, statements.lastWins)).rowCount ?? 0
    await session.query(`build the primary key of ${table}`, addKey)
  }
  await session.query('savepoint', 'RELEASE SAVEPOINT lp_unindexed')
  return rows
}

/** Undoes everything since SAVEPOINT lp_unindexed (the DROP, the lock_timeout) and ends the savepoint. */
async function giveUp(session: PgSession): Promise<undefined> {
  await session.query('savepoint', 'ROLLBACK TO SAVEPOINT lp_unindexed')
  await session.query('savepoint', 'RELEASE SAVEPOINT lp_unindexed')
  return undefined
}

/**
 * Inserts a table's staged rows through its primary key. Duplicate primary keys within the run are rare (the
 * same data row twice in an export), so the plain INSERT is tried first under a savepoint; on a unique violation
 * it is redone keeping, of each key, the row that came last in the input: last wins, as a later line is the
 * later state of its data row.
 */
async function insertRows(session: PgSession, mode: PostgresMode, table: TableName, statements: InsertStatements): Promise<number> {
  await session.query('savepoint', 'SAVEPOINT lp_insert')
  try {
    const inserted = await session.client.query(statements.plain)
    await session.query('savepoint', 'RELEASE SAVEPOINT lp_insert')
    return inserted.rowCount ?? 0
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== '23505') throw session.fail(`insert into ${table}`, cause)
  }
  await session.query('savepoint', 'ROLLBACK TO SAVEPOINT lp_insert')
  try {
    return (await session.client.query(statements.lastWins)).rowCount ?? 0
  } catch (cause) {
    const error = session.fail(`insert into ${table}`, cause)
    if (error.sqlState !== '23505' || mode !== 'append') throw error
    const key = (cause as { detail?: unknown }).detail
    throw new PostgresSinkError(
      `append into ${table}: a row's primary key is already in the table${typeof key === 'string' ? ` (${key.replace(/\s*\n\s*/g, ' ')})` : ''}; mode 'append' never replaces rows (use 'merge') (SQLSTATE 23505)`,
      { sqlState: '23505', cause },
    )
  }
}

/** The run's load_runs row becomes 'committed' with its facts and counts, and load_state's cursors move forward only. */
async function recordRun(input: CommitInput, counts: TableCounts, target: (table: string) => string, stage: (table: TableName) => string) {
  const { session, loadId, facts, pipeline } = input
  const updated = await session.query(
    'record the run in load_runs',
    `UPDATE ${target('load_runs')} SET status = 'committed', finished_at = now(), started_at = COALESCE($2, started_at),
       source = $3, input = $4, input_bytes = $5, dead_letters = $6, rows = $7::jsonb,
       cursor_from = (SELECT min(last_activity_at) FROM ${stage('data_rows')}),
       cursor_to = (SELECT max(last_activity_at) FROM ${stage('data_rows')})
     WHERE load_id = $1 AND status = 'running'`,
    [
      loadId,
      facts?.startedAt ?? null,
      facts?.source ?? null,
      facts?.input ?? null,
      facts?.inputBytes ?? null,
      facts?.deadLetters ?? null,
      JSON.stringify(counts),
    ],
  )
  if (updated.rowCount !== 1) {
    throw new PostgresSinkError(`record the run in load_runs: ${loadId} is no longer 'running' there (marked failed by another run?)`)
  }
  // The cursor of an incremental export: per project, the latest data-row activity this run has seen.
  if (facts?.recordsCursors === false) return
  await session.query(
    'advance load_state',
    `INSERT INTO ${target('load_state')} AS s (pipeline, project_id, cursor_name, cursor_value, updated_at)
       SELECT $1, p.project_id, 'last_activity_at', max(d.last_activity_at), now()
       FROM ${stage('project_data_rows')} p JOIN ${stage('data_rows')} d ON d.data_row_id = p.data_row_id
       WHERE d.last_activity_at IS NOT NULL GROUP BY p.project_id
     ON CONFLICT (pipeline, project_id, cursor_name)
       DO UPDATE SET cursor_value = GREATEST(s.cursor_value, EXCLUDED.cursor_value), updated_at = EXCLUDED.updated_at`,
    [pipeline],
  )
}

/**
 * Dead letters per INSERT: at most 500, and at most 8 MiB of text (a bad line can be megabytes; pg builds an
 * array parameter as one string). A single larger letter goes alone.
 */
const deadLettersPerInsert = 500
const deadLetterBytesPerInsert = 8 * 1024 * 1024

/**
 * The run's dead letters into `dead_letters` (load_id, source: the file, line, byte_offset, error: code and
 * reason, payload: the record's text), in the commit transaction. Text cannot hold NUL, and a dead letter is
 * kept for reading, not for loading: a NUL becomes U+FFFD.
 */
async function insertDeadLetters(session: PgSession, table: string, loadId: string, letters: AsyncIterable<DeadLetter>): Promise<void> {
  const text = (value: string) => (value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value)
  let batch: DeadLetter[] = []
  let batchChars = 0
  const insert = async () => {
    await session.query(
      `record ${batch.length} dead letters`,
      `INSERT INTO ${table} (load_id, source, line, byte_offset, error, payload)
       SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])`,
      [
        loadId,
        batch.map((letter) => text(letter.file)),
        batch.map((letter) => letter.line),
        batch.map((letter) => letter.byteOffset),
        batch.map((letter) => text(`${letter.code}: ${letter.reason}`)),
        batch.map((letter) => text(letter.raw)),
      ],
    )
    batch = []
    batchChars = 0
  }
  for await (const letter of letters) {
    const chars = letter.raw.length + letter.reason.length + letter.file.length
    if (batch.length > 0 && batchChars + chars > deadLetterBytesPerInsert) await insert()
    batch.push(letter)
    batchChars += chars
    if (batch.length === deadLettersPerInsert) await insert()
  }
  if (batch.length > 0) await insert()
}

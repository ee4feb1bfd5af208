import { type DeadLetter, type RunFacts, tableNames } from '@labelpipe/core'
import { labelpipeVersion } from '../labelpipe-version.js'
import { parseOptions } from '../options.js'
import { commitRun, type PostgresCommitTransaction, type TableCounts } from './commit-transaction.js'
import { sweepDeadRuns } from './dead-runs.js'
import { type PgSession, PostgresSinkError, pgTarget } from './pg-session.js'
import {
  connectionOf,
  type ParsedLoadOptions,
  type PostgresLoadOptions,
  type PostgresMode,
  postgresLoadOptions,
} from './postgres-options.js'
import {
  createBookkeepingSql,
  createStagingSql,
  createTableSql,
  lockKey,
  qualified,
  quoteIdent,
  runLockNamespace,
  schemaLockNamespace,
  stagingTableName,
} from './sql-names.js'
import { type PostgresStagingSink, postgresStagingSink } from './staging-sink.js'

/** What a committed run did. */
export interface PostgresLoadResult {
  readonly loadId: string
  readonly schema: string
  readonly mode: PostgresMode
  /** Rows inserted per table by the commit (after last-wins among duplicate keys), every table listed; also `load_runs.rows`. */
  readonly rows: TableCounts
}

/** Options of `PostgresLoad.commit`. */
export interface PostgresCommitOptions {
  /**
   * Runs inside the commit transaction once the schema's commit lock is held, before the merge (or append, or
   * truncate) changes anything: statements that must commit or roll back with the run, such as the webhook
   * receiver's delivery records and its pruning of staged rows older than the stored ones. A rejection rolls the
   * run back. Default: none.
   */
  readonly beforeMerge?: (transaction: PostgresCommitTransaction) => Promise<void>
  /** The run's dead letters, inserted into `dead_letters` in the commit transaction. Default: none. */
  readonly deadLetters?: AsyncIterable<DeadLetter>
}

/**
 * A prepared run: its tables exist, its `load_runs` row says 'running', its staging tables are empty, and its
 * coordinator session holds the run lock (so no other run mistakes it for dead). Compose it as
 *
 * ```
 * preparePostgresLoad ─▶ stagingSink(0) … stagingSink(N-1)  (each its own connection; all must 'finish')
 *                     ─▶ commit(facts)                       (one transaction)
 *                     or rollback()                          (on any failure; after destroying every staging sink)
 * ```
 *
 * Staging sinks can also live in other threads or processes: `postgresStagingSink({ connectionString, schema,
 * loadId, writer })` there, with this run's schema and load id. `commit` must run only once every staging sink
 * has emitted 'finish': it cannot see a writer that is still streaming.
 */
export interface PostgresLoad {
  readonly loadId: string
  readonly schema: string
  readonly mode: PostgresMode
  /** A new staging writer of this run on its own connection (from the pool, or a new client). */
  stagingSink(writer: number, options?: { readonly highWaterMark?: number }): PostgresStagingSink
  /**
   * Moves the staged rows into the target tables in one transaction (merge units replaced, appended, or tables
   * replaced, per `mode`), marks `load_runs` committed with `facts` and the counts, advances `load_state`, drops
   * the staging tables, and ends the session. On failure it rolls back (as `rollback()`) and rejects with a
   * PostgresSinkError; the targets are as before. `options.beforeMerge` runs in the same transaction.
   */
  commit(facts?: RunFacts, options?: PostgresCommitOptions): Promise<PostgresLoadResult>
  /**
   * Drops the staging tables, marks the run 'failed' and ends the session. Resolves also when the server is
   * gone (the next run then sweeps the leftovers); a no-op after `commit` resolved. Never rejects.
   */
  rollback(): Promise<void>
}

/**
 * Connects, creates the schema and the docs/schema.md tables when missing (primary keys as listed, json as
 * jsonb, timestamps as timestamptz), sweeps the leftovers of dead runs, registers the run as 'running' and
 * creates its staging tables. Options are checked first (InvalidOptionError); a load id already committed, or
 * running elsewhere, is refused (PostgresSinkError).
 */
export async function preparePostgresLoad(options: PostgresLoadOptions): Promise<PostgresLoad> {
  const parsed = parseOptions(postgresLoadOptions, options)
  const target = pgTarget(parsed)
  const session = await target.connect(`labelpipe ${parsed.loadId}`, parsed.statementTimeoutMs)
  try {
    await setUpRun(session, parsed)
  } catch (error) {
    await session.close(true)
    throw error
  }
  return new CoordinatedLoad(parsed, session)
}

async function setUpRun(session: PgSession, options: ParsedLoadOptions): Promise<void> {
  const { schema, loadId, source, input } = options
  const locked = await session.query<{ locked: boolean }>('take the run lock', 'SELECT pg_try_advisory_lock($1, $2) AS locked', [
    runLockNamespace,
    lockKey(loadId),
  ])
  if (locked.rows[0]?.locked !== true) {
    throw new PostgresSinkError(`load ${loadId} is running in another session; use a new load id`)
  }
  await session.query('begin creating tables', 'BEGIN')
  await session.query('take the schema lock', 'SELECT pg_advisory_xact_lock($1, $2)', [schemaLockNamespace, lockKey(schema)])
  // CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege even when the schema exists: ask first.
  const exists = await session.query('look up the schema', 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
  if (exists.rowCount === 0) await session.query(`create schema ${schema}`, `CREATE SCHEMA ${quoteIdent(schema)}`)
  const tables = [...tableNames.map((table) => createTableSql(schema, table)), ...createBookkeepingSql(schema)]
  await session.query(`create the tables of schema ${schema}`, tables.join(';\n'))
  await session.query('commit the tables', 'COMMIT')

  await sweepDeadRuns(session, schema, loadId)
  // A failed load id may be run again; a committed one never (its rows are in the tables).
  const registered = await session.query(
    'register the run in load_runs',
    `INSERT INTO ${qualified(schema, 'load_runs')} AS r (load_id, started_at, status, labelpipe_version, source, input)
     VALUES ($1, now(), 'running', $2, $3, $4)
     ON CONFLICT (load_id) DO UPDATE SET started_at = now(), finished_at = NULL, status = 'running', source = EXCLUDED.source,
       input = EXCLUDED.input, input_bytes = NULL, rows = NULL, dead_letters = NULL, cursor_from = NULL, cursor_to = NULL,
       labelpipe_version = EXCLUDED.labelpipe_version
     WHERE r.status = 'failed'`,
    [loadId, await labelpipeVersion(), source ?? null, input ?? null],
  )
  if (registered.rowCount !== 1) {
    throw new PostgresSinkError(`load ${loadId} is already committed (${schema}.load_runs); use a new load id`)
  }
  await session.query('create the staging tables', tableNames.map((table) => createStagingSql(schema, loadId, table)).join(';\n'))
}

type LoadState = 'open' | 'committing' | 'committed' | 'rolled back'

class CoordinatedLoad implements PostgresLoad {
  readonly #options: ParsedLoadOptions
  readonly #session: PgSession
  #state: LoadState = 'open'

  constructor(options: ParsedLoadOptions, session: PgSession) {
    this.#options = options
    this.#session = session
  }

  get loadId(): string {
    return this.#options.loadId
  }

  get schema(): string {
    return this.#options.schema
  }

  get mode(): PostgresMode {
    return this.#options.mode
  }

  stagingSink(writer: number, options: { readonly highWaterMark?: number } = {}): PostgresStagingSink {
    const { schema, loadId, connectTimeoutMs } = this.#options
    return postgresStagingSink({
      ...connectionOf(this.#options),
      schema,
      loadId,
      connectTimeoutMs,
      writer,
      ...options,
    })
  }

  async commit(facts?: RunFacts, options: PostgresCommitOptions = {}): Promise<PostgresLoadResult> {
    if (this.#state !== 'open') throw new PostgresSinkError(`commit: load ${this.loadId} is ${this.#state}`)
    this.#state = 'committing'
    const { schema, loadId, mode, pipeline } = this.#options
    let rows: TableCounts
    try {
      rows = await commitRun({
        session: this.#session,
        schema,
        loadId,
        mode,
        pipeline,
        facts,
        beforeMerge: options.beforeMerge,
        deadLetters: options.deadLetters,
      })
    } catch (error) {
      await this.#rollBack()
      throw this.#session.fail('commit', error)
    }
    this.#state = 'committed'
    await this.#release()
    return { loadId, schema, mode, rows }
  }

  async rollback(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'rolled back') return
    await this.#rollBack()
  }

  async #rollBack(): Promise<void> {
    this.#state = 'rolled back'
    const session = this.#session
    if (session.broken) {
      await session.close(true)
      return
    }
    const { schema, loadId } = this.#options
    try {
      // A commit that failed half-way left its transaction open (and aborted): end it first.
      await session.query('roll back', 'ROLLBACK')
      const staging = tableNames.map((table) => qualified(schema, stagingTableName(loadId, table)))
      await session.query('drop the staging tables', `DROP TABLE IF EXISTS ${staging.join(', ')}`)
      await session.query(
        'mark the run failed',
        `UPDATE ${qualified(schema, 'load_runs')} SET status = 'failed', finished_at = now() WHERE load_id = $1 AND status = 'running'`,
        [loadId],
      )
      await this.#release()
    } catch {
      // The server is unreachable or refuses: ending the session frees the run lock, and the next run's sweep
      // drops the staging tables and marks the run failed (dead-runs.ts).
      await session.close(true)
    }
  }

  async #release(): Promise<void> {
    const ok = await this.#session
      .query('release the run lock', 'SELECT pg_advisory_unlock($1, $2)', [runLockNamespace, lockKey(this.loadId)])
      .then(
        () => true,
        () => false,
      )
    await this.#session.close(!ok)
  }
}

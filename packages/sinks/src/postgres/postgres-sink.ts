import { Writable } from 'node:stream'
import { type Batch, type RunFacts, SinkError, type TableName, type TableRow } from '@labelpipe/core'
import { parseOptions } from '../options.js'
import { messageOf } from '../part-file.js'
import { type PostgresLoad, type PostgresLoadResult, preparePostgresLoad } from './postgres-load.js'
import { connectionOf, type ParsedPostgresSinkOptions, type PostgresSinkOptions, postgresSinkOptions } from './postgres-options.js'
import { closeStaging, type OpenStaging, openStaging, rowCountsOf, stagingOf, trackInto } from './staging-sink.js'

/**
 * Loads `Batch<TableRow>` into PostgreSQL: the one-writer composition of `preparePostgresLoad`, one staging
 * writer and `commit`. On construction it connects, creates the schema and tables when missing, sweeps dead
 * runs and creates the run's staging tables; `write()` COPYs into staging; `_final` commits in one transaction
 * and only then is 'finish' emitted; `destroy()`, an error or an abort before 'finish' rolls back (staging
 * dropped, `load_runs` says 'failed', targets untouched). Options are checked here (InvalidOptionError).
 */
export function postgresSink(options: PostgresSinkOptions): PostgresSink {
  return new PostgresSink(parseOptions(postgresSinkOptions, options))
}

/** The Postgres sink; create it with `postgresSink()`, which checks the options this constructor trusts. */
export class PostgresSink extends Writable {
  readonly #options: ParsedPostgresSinkOptions
  #load: PostgresLoad | undefined
  #staging: OpenStaging | undefined
  #result: PostgresLoadResult | undefined
  /** The write or commit in progress; `_destroy` waits for it before rolling back. */
  #busy: Promise<void> = Promise.resolve()

  constructor(options: ParsedPostgresSinkOptions) {
    super({ objectMode: true, highWaterMark: options.highWaterMark })
    this.#options = options
  }

  /** Rows accepted per table so far (every table, 0 when none). */
  get rowCounts(): { readonly [T in TableName]: number } {
    return rowCountsOf(this.#staging)
  }

  /** What the commit did (rows inserted per table); undefined until 'finish'. */
  get loadRun(): PostgresLoadResult | undefined {
    return this.writableFinished ? this.#result : undefined
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const { schema, loadId, mode, statementTimeoutMs, connectTimeoutMs, pipeline, source, input } = this.#options
    const start = async () => {
      this.#load = await preparePostgresLoad({
        ...connectionOf(this.#options),
        schema,
        loadId,
        mode,
        statementTimeoutMs,
        connectTimeoutMs,
        pipeline,
        ...(source === undefined ? {} : { source }),
        ...(input === undefined ? {} : { input }),
      })
      this.#staging = await openStaging(this.#options, 0)
    }
    trackInto(start(), callback)
  }

  override _write(batch: Batch<TableRow>, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#busy = trackInto(stagingOf(this.#staging).writer.write(batch), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#busy = trackInto(this.#commit(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const rollBack = async () => {
      await closeStaging(this.#staging, this.#busy, this.#result !== undefined)
      await this.#load?.rollback()
    }
    rollBack().then(() => callback(error))
  }

  async #commit(): Promise<void> {
    const staging = stagingOf(this.#staging)
    await staging.writer.finish()
    await staging.session.close(false)
    // Upstream is done when _final runs, so the facts (dead letters, input bytes) are final here.
    let facts: RunFacts | undefined
    try {
      facts = this.#options.describeRun?.()
    } catch (cause) {
      throw new SinkError(`load_runs: describeRun() threw: ${messageOf(cause)}`, { cause })
    }
    const load = this.#load
    if (load === undefined) throw new SinkError('the run was not prepared')
    const deadLetters = this.#options.deadLetters?.()
    this.#result = await load.commit(facts, deadLetters === undefined ? {} : { deadLetters })
  }
}

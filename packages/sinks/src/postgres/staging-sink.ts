import { Writable } from 'node:stream'
import { type Batch, isLabelpipeError, SinkError, type TableName, type TableRow, tableNames } from '@labelpipe/core'
import { parseOptions } from '../options.js'
import { messageOf } from '../part-file.js'
import { type PgSession, pgTarget } from './pg-session.js'
import { type ParsedTargetOptions, type PostgresStagingSinkOptions, postgresStagingSinkOptions } from './postgres-options.js'
import { StagingWriter } from './staging-writer.js'

/**
 * One staging writer of a prepared run (see `PostgresLoad`): a Writable of `Batch<TableRow>` that COPYs into the
 * run's staging tables over its own connection. Options are checked here (InvalidOptionError); it connects on
 * construction. 'finish' means every row it accepted is in a staging table (each COPY got ReadyForQuery); the
 * rows become visible in the target tables only when the run's `commit()` runs. `destroy()` cancels the COPY in
 * flight (CopyFail) and ends the connection; rows already staged wait for the run's `rollback()`.
 */
export function postgresStagingSink(options: PostgresStagingSinkOptions): PostgresStagingSink {
  const parsed = parseOptions(postgresStagingSinkOptions, options)
  return new PostgresStagingSink(parsed, parsed.writer, parsed.highWaterMark)
}

/** A connected staging writer and its session, owned by one sink. */
export interface OpenStaging {
  readonly session: PgSession
  readonly writer: StagingWriter
}

/** Opens a staging writer's connection; no statement_timeout there, since a COPY lasts as long as its input. */
export async function openStaging(options: ParsedTargetOptions, writer: number): Promise<OpenStaging> {
  const session = await pgTarget(options).connect(`labelpipe ${options.loadId} writer ${writer}`, 0)
  return { session, writer: new StagingWriter(session, options.schema, options.loadId) }
}

/** The staging Writable; create it with `postgresStagingSink()` or `PostgresLoad.stagingSink()`. */
export class PostgresStagingSink extends Writable {
  readonly #options: ParsedTargetOptions
  readonly #writerIndex: number
  #staging: OpenStaging | undefined
  #busy: Promise<void> = Promise.resolve()

  constructor(options: ParsedTargetOptions, writer: number, highWaterMark: number) {
    super({ objectMode: true, highWaterMark })
    this.#options = options
    this.#writerIndex = writer
  }

  /** Rows accepted per table so far (every table, 0 when none). */
  get rowCounts(): { readonly [T in TableName]: number } {
    return rowCountsOf(this.#staging)
  }

  override _construct(callback: (error?: Error | null) => void): void {
    trackInto(
      openStaging(this.#options, this.#writerIndex).then((staging) => {
        this.#staging = staging
      }),
      callback,
    )
  }

  override _write(batch: Batch<TableRow>, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#busy = trackInto(stagingOf(this.#staging).writer.write(batch), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    const staging = stagingOf(this.#staging)
    this.#busy = trackInto(
      staging.writer.finish().then(() => staging.session.close(false)),
      callback,
    )
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    closeStaging(this.#staging, this.#busy, this.writableFinished).then(() => callback(error))
  }
}

/** Every table at 0 until a writer exists. */
export function rowCountsOf(staging: OpenStaging | undefined): { readonly [T in TableName]: number } {
  if (staging !== undefined) return staging.writer.rowCounts
  return Object.fromEntries(tableNames.map((table) => [table, 0])) as Record<TableName, number>
}

export function stagingOf(staging: OpenStaging | undefined): OpenStaging {
  if (staging === undefined) throw new SinkError('the staging connection is not open')
  return staging
}

/**
 * Cancels the COPY in flight, waits for the write or commit in progress, and ends the connection (discarded:
 * its state is unknown). After 'finish' the session is already closed and nothing remains to undo.
 */
export async function closeStaging(staging: OpenStaging | undefined, busy: Promise<void>, finished: boolean): Promise<void> {
  if (staging === undefined || finished) return
  await staging.writer.abort()
  await busy
  await staging.session.close(true)
}

/** Settles a Writable callback from `work`, with any failure as a LabelpipeError; returns a promise that never rejects. */
export function trackInto(work: Promise<void>, callback: (error?: Error | null) => void): Promise<void> {
  return work.then(
    () => callback(),
    (error: unknown) => callback(asSinkError(error)),
  )
}

function asSinkError(error: unknown): Error {
  if (isLabelpipeError(error)) return error
  return new SinkError(messageOf(error), { cause: error })
}

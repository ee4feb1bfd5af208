import { finished } from 'node:stream/promises'
import { type Batch, type Position, SinkError, type TableName, type TableRow, tableNames } from '@labelpipe/core'
import { from as copyFrom } from 'pg-copy-streams'
import { describe } from '../options.js'
import { type CopyRowEncoder, copyRowEncoder } from './copy-text.js'
import type { PgSession } from './pg-session.js'
import { copySql } from './sql-names.js'

// One connection runs one COPY at a time, and a data row's records reach 10 tables interleaved, so each table's
// rows collect as COPY text in a buffer of its own; a full buffer goes to its staging table as one
// `COPY … FROM STDIN` while the next rows are encoded (the server parses while we encode).
// 1 MiB per COPY keeps the per-statement round trip under 1% of its time.
const chunkBytes = 1024 * 1024
// Full chunks queued behind the COPY in flight before write() waits. Why: with none queued, each full buffer
// waited for the previous COPY to complete, and the server's pace varies by table (jsonb, timestamps): on 200 MB
// of the image export the loader sat 1.0-1.4 s of ~6 s in those waits; with 3 queued, 0.14-0.18 s. Memory: 13
// table buffers plus at most 4 chunks on their way, 17 MiB.
const queuedChunks = 3

/** The CopyFail message: written to the server log (docs/facts.md), so it is fixed text, never an error message. */
const copyFailMessage = 'labelpipe: load rolled back'

class TableBuffer {
  readonly table: TableName
  readonly sql: string
  readonly encode: CopyRowEncoder
  bytes: Buffer
  end = 0
  rows = 0

  constructor(table: TableName, sql: string, encode: CopyRowEncoder, bytes: Buffer) {
    this.table = table
    this.sql = sql
    this.encode = encode
    this.bytes = bytes
  }

  /** Whether `line` surely fits in the room left: at most 3 UTF-8 bytes per UTF-16 unit. */
  fits(line: string): boolean {
    return this.end + 3 * line.length <= this.bytes.length
  }

  append(line: string): void {
    // Only a line longer than an empty buffer (a giant json value) grows it: a fuller one is sent first (write()).
    if (!this.fits(line)) {
      const grown = Buffer.allocUnsafe(Math.max(chunkBytes, this.end + 3 * line.length))
      this.bytes.copy(grown, 0, 0, this.end)
      this.bytes = grown
    }
    this.end += this.bytes.write(line, this.end, 'utf8')
    this.rows++
  }
}

/**
 * Streams rows into a run's staging tables over one session. Not a stream itself: `PostgresStagingSink` and
 * `PostgresSink` own one and give it their writes, so the COPY logic exists once.
 */
export class StagingWriter {
  readonly #session: PgSession
  readonly #schema: string
  readonly #loadId: string
  readonly #tables = new Map<TableName, TableBuffer>()
  /** Buffers whose COPY is done, reused by the next table that flushes. */
  readonly #spare: Buffer[] = []
  /** The last COPY queued: each chunk's COPY starts when the one before it is complete. */
  #lastQueued: Promise<void> = Promise.resolve()
  /** The COPYs queued or in flight, oldest first. */
  readonly #queue: Promise<void>[] = []
  #failure: unknown
  #copying: ReturnType<typeof copyFrom> | undefined
  #seq = 0
  #aborted = false

  constructor(session: PgSession, schema: string, loadId: string) {
    this.#session = session
    this.#schema = schema
    this.#loadId = loadId
  }

  /** Rows accepted per table so far (every table, 0 when none). */
  get rowCounts(): { readonly [T in TableName]: number } {
    const counts = Object.fromEntries(tableNames.map((table) => [table, 0])) as Record<TableName, number>
    for (const [table, buffer] of this.#tables) counts[table] = buffer.rows
    return counts
  }

  async write(batch: Batch<TableRow>): Promise<void> {
    if (!Array.isArray(batch)) throw new SinkError(`expected a batch (an array of located table rows), got ${describe(batch)}`)
    for (const { value, at } of batch) {
      const buffer = this.#tables.get(value.table) ?? this.#open(value.table, at)
      const line = `${buffer.encode(value.row, at)}\t${at.byteOffset}\t${this.#seq++}\n`
      // Sent before it would have to grow. Flushing after the line, as before, grew (copied) every chunk once: a
      // 1 MiB buffer reaches 1 MiB only by overflowing.
      if (buffer.end > 0 && !buffer.fits(line)) await this.#flush(buffer)
      buffer.append(line)
      if (buffer.end >= chunkBytes) await this.#flush(buffer)
    }
  }

  /** Sends every buffered row and waits until the last COPY is complete (ReadyForQuery): the rows are in staging. */
  async finish(): Promise<void> {
    for (const buffer of this.#tables.values()) if (buffer.end > 0) await this.#flush(buffer)
    await this.#lastQueued
  }

  /** Cancels the COPY in flight with CopyFail (the server discards its rows) and refuses further writes. Never throws. */
  async abort(): Promise<void> {
    this.#aborted = true
    this.#copying?.destroy(new Error(copyFailMessage))
    await this.#lastQueued.catch(() => undefined)
  }

  #open(table: TableName, at: Position): TableBuffer {
    const buffer = new TableBuffer(table, copySql(this.#schema, this.#loadId, table), copyRowEncoder(table, at), this.#takeSpare())
    this.#tables.set(table, buffer)
    return buffer
  }

  async #flush(buffer: TableBuffer): Promise<void> {
    if (this.#aborted) throw new SinkError('the staging writer was aborted')
    if (this.#failure !== undefined) throw this.#failure
    const { table, sql } = buffer
    const chunk = buffer.bytes.subarray(0, buffer.end)
    const owner = buffer.bytes
    buffer.bytes = this.#takeSpare()
    buffer.end = 0
    const copied = this.#lastQueued
      .then(() => this.#copy(table, sql, chunk))
      .then(() => {
        this.#spare.push(owner)
      })
    // Observed by the next flush, finish() or abort(); a failed COPY fails every one queued after it.
    copied.catch((error: unknown) => {
      this.#failure ??= error
    })
    this.#lastQueued = copied
    this.#queue.push(copied)
    while (this.#queue.length > queuedChunks) await this.#queue.shift()
  }

  async #copy(table: TableName, sql: string, chunk: Buffer): Promise<void> {
    if (this.#aborted) throw new SinkError('the staging writer was aborted')
    const stream = copyFrom(sql)
    this.#copying = stream
    const done = finished(stream)
    done.catch(() => undefined)
    try {
      this.#session.client.query(stream)
      // One CopyData message per chunk; when the socket is behind, write() says so and we wait for 'drain'.
      if (!stream.write(chunk)) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), done])
      stream.end()
      await done
    } catch (cause) {
      throw this.#aborted
        ? new SinkError('the staging writer was aborted')
        : this.#session.fail(`COPY into the staging table of ${table}`, cause)
    } finally {
      this.#copying = undefined
    }
  }

  #takeSpare(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafe(chunkBytes)
  }
}

import { basename, dirname, join } from 'node:path'
import { isLabelpipeError, type Position, SinkError, type TableName, type TableRow } from '@labelpipe/core'
import type * as Arrow from 'apache-arrow'
import type * as ParquetWasm from 'parquet-wasm/node'
import { type CheckedColumn, checkedColumns, columnValue } from '../column-values.js'
import type { TableWriter } from '../file-sink.js'
import { messageOf, type PartFile } from '../part-file.js'
import { type ArrowModule, arrowType, type ColumnBuffer, columnBuffer, takeRecordBatch } from './arrow-columns.js'
import { checkParquetFooter } from './parquet-footer.js'
import { RowGroupAssembler } from './row-group-assembler.js'
import { RowSpool, type SpoolReadBuffer } from './row-spool.js'
import { encodeRowGroup, type RowGroupSettings } from './wasm-row-group.js'

// The default engine (docs/facts.md: parquet-wasm 0.8 + apache-arrow 21, dictionary encoded, 2.6x smaller and
// ~11x faster than parquetjs-lite). Per table:
//
//   append() ─▶ column buffers ─flush()─▶ Arrow IPC slice ─▶ RowSpool (temp file, current row group only)
//      (typed arrays, UTF-8)    (every sliceRows / sliceBytes, or the sink's memory budget)
//                                                               │ group complete: pulled slice by slice
//   PartFile ◀─ RowGroupAssembler ◀─ one-group Parquet file ◀─ encodeRowGroup (a short-lived arrow-rs writer)
//
// Measured on the 1 GB image export (4M rows into 10 tables): writers kept open per table, fed slices as they
// came, peaked at 220 MiB of wasm memory and 590 MB RSS, growing with the input until every table had cut a row
// group; spooling and encoding one group at a time keeps wasm memory to one group of one table.

interface WasmEngine {
  readonly arrow: ArrowModule
  readonly parquet: typeof ParquetWasm
}

let engine: Promise<WasmEngine> | undefined

/** Loaded on the first flush, so `engine: 'parquetjs-lite'` never compiles the 4 MB wasm module. */
function loadEngine(): Promise<WasmEngine> {
  engine ??= Promise.all([import('apache-arrow'), import('parquet-wasm/node')]).then(([arrow, parquet]) => ({ arrow, parquet }))
  return engine
}

/**
 * A table's buffered rows go to the spool every this many rows or string bytes, whichever comes first. The
 * slice bounds the JS memory of a table (its column buffers, the IPC copy) and costs one IPC encode and one wasm
 * call; the row group size does not depend on it. Measured on the 236 MB image export (10 tables): 8,192 rows /
 * 2 MiB per slice peaked at 92 MiB of ArrayBuffers, 4,096 / 512 KiB at 47 MiB, 2,048 / 256 KiB at 29-35 MiB
 * (peak RSS 290 -> 280 MB), for +0-5% wall time.
 */
const sliceRows = 2048
const sliceBytes = 256 * 1024

export class WasmTableWriter implements TableWriter {
  readonly #table: TableName
  readonly #file: PartFile
  readonly #settings: RowGroupSettings
  readonly #columns: readonly CheckedColumn[]
  readonly #buffers: readonly ColumnBuffer[]
  readonly #spool: RowSpool
  readonly #assembler: RowGroupAssembler
  #schema: Arrow.Schema | undefined
  /** The slice being written to the spool; the next one is built meanwhile. */
  #spooling: Promise<void> = Promise.resolve()
  #failure: Error | undefined
  #rows = 0
  #buffered = 0
  #bufferedChars = 0
  /** Rows in the spool: the current row group's, minus those still buffered. */
  #spooled = 0

  constructor(table: TableName, file: PartFile, at: Position, settings: RowGroupSettings, readBuffer: SpoolReadBuffer) {
    this.#table = table
    this.#file = file
    this.#settings = settings
    this.#columns = checkedColumns(table, at)
    const rows = Math.min(sliceRows, settings.rowGroupRows)
    this.#buffers = this.#columns.map((column) => columnBuffer(column, rows))
    this.#spool = new RowSpool(join(dirname(file.tempPath), `_${basename(file.path)}.rows.tmp`), table, readBuffer)
    this.#assembler = new RowGroupAssembler(file, table)
  }

  get rows(): number {
    return this.#rows
  }

  get bufferedBytes(): number {
    return this.#bufferedChars + 8 * this.#columns.length * this.#buffered
  }

  get full(): boolean {
    return this.#buffered >= sliceRows || this.#bufferedChars >= sliceBytes || this.#spooled + this.#buffered >= this.#settings.rowGroupRows
  }

  append(row: TableRow['row'], at: Position): void {
    const record = row as Readonly<Record<string, unknown>>
    const columns = this.#columns
    const buffers = this.#buffers
    let chars = 0
    try {
      for (let i = 0; i < columns.length; i++) {
        const value = columnValue(record, columns[i] as CheckedColumn, this.#table, at)
        if (typeof value === 'string') chars += value.length
        ;(buffers[i] as ColumnBuffer).append(value)
      }
    } catch (error) {
      // Earlier columns of this row are buffered and later ones are not: the writer cannot go on. The error
      // fails the run; this keeps a caller that carries on anyway from writing misaligned columns.
      this.#failure ??= error as Error
      throw error
    }
    this.#bufferedChars += chars
    this.#rows++
    this.#buffered++
  }

  async flush(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#buffered > 0) await this.#spoolSlice()
    if (this.#spooled >= this.#settings.rowGroupRows) await this.#encodeGroup()
  }

  async finish(): Promise<void> {
    await this.flush()
    if (this.#spooled > 0) await this.#encodeGroup()
    try {
      await this.#assembler.finish()
    } catch (error) {
      throw this.#fail('finish', error)
    }
    await checkParquetFooter(this.#file, this.#table, this.#rows)
    await this.#file.seal()
    await this.#spool.discard()
  }

  async abort(): Promise<void> {
    this.#failure ??= new SinkError(`${this.#table}: aborted`)
    await this.#spooling.catch(() => undefined)
    await this.#spool.discard().catch(() => undefined)
  }

  async #spoolSlice(): Promise<void> {
    const { arrow } = await this.#engine()
    let ipc: Uint8Array
    try {
      this.#schema ??= new arrow.Schema(
        this.#columns.map((column) => new arrow.Field(column.name, arrowType(arrow, column), !column.notNull)),
      )
      ipc = arrow.tableToIPC(new arrow.Table(takeRecordBatch(arrow, this.#schema, this.#buffers, this.#buffered)), 'stream')
    } catch (error) {
      throw this.#fail('encode rows for', error)
    }
    this.#spooled += this.#buffered
    this.#buffered = 0
    this.#bufferedChars = 0
    await this.#spooling
    const spooling = this.#spool.append(ipc).catch((error: unknown) => {
      throw this.#fail('spool rows for', error)
    })
    // Awaited by the next slice or the group's encoding; meanwhile a failure must not count as unhandled.
    spooling.catch(() => undefined)
    this.#spooling = spooling
  }

  async #encodeGroup(): Promise<void> {
    await this.#spooling
    const { parquet } = await this.#engine()
    const rows = this.#spooled
    let file: Uint8Array
    try {
      file = await encodeRowGroup(parquet, this.#spool.read(), this.#settings)
    } catch (error) {
      throw this.#fail('encode a row group for', error)
    }
    try {
      await this.#assembler.append(file, rows)
    } catch (error) {
      throw this.#fail('write', error)
    }
    this.#spooled = 0
    await this.#spool.clear()
  }

  async #engine(): Promise<WasmEngine> {
    try {
      return await loadEngine()
    } catch (error) {
      throw this.#fail('load apache-arrow and parquet-wasm to write', error)
    }
  }

  #fail(operation: string, error: unknown): Error {
    this.#failure ??= isLabelpipeError(error)
      ? error
      : new SinkError(`${this.#table}: cannot ${operation} ${this.#file.tempPath}: ${messageOf(error)}`, { cause: error })
    return this.#failure
  }
}

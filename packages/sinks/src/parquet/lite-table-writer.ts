import { type ColumnType, isLabelpipeError, type Position, SinkError, type TableName, type TableRow } from '@labelpipe/core'
import type { ParquetFieldDefinition, ParquetOutput, ParquetWriter } from 'parquetjs-lite'
import { type CheckedColumn, checkedColumns, columnValue } from '../column-values.js'
import type { TableWriter } from '../file-sink.js'
import { messageOf, type PartFile } from '../part-file.js'
import { checkParquetFooter } from './parquet-footer.js'
import type { ParquetCompression } from './parquet-settings.js'

// The pure-JS engine: same columns, types and rows as parquet-wasm, no WebAssembly, ~10x slower (docs/facts.md:
// 69k rows/s on flat rows; measured ~19k on the 26-column `objects` table, most of it in its per-record
// shredding). parquetjs-lite buffers a row group itself (encoded page by page every 8,192 rows), so rows are
// handed over in small slices and our own buffer stays tiny.

type LiteModule = typeof import('parquetjs-lite')

let lite: Promise<LiteModule> | undefined

function loadLite(): Promise<LiteModule> {
  // A CommonJS module: its exports object is the default export.
  lite ??= import('parquetjs-lite').then((module) => (module as { default?: LiteModule }).default ?? module)
  return lite
}

const liteType: { readonly [T in ColumnType]: ParquetFieldDefinition['type'] } = {
  text: 'UTF8',
  json: 'UTF8',
  int: 'INT32',
  bigint: 'INT64',
  double: 'DOUBLE',
  bool: 'BOOLEAN',
  timestamptz: 'TIMESTAMP_MILLIS',
}

const liteCompression: { readonly [C in ParquetCompression]: ParquetFieldDefinition['compression'] } = {
  snappy: 'SNAPPY',
  gzip: 'GZIP',
  none: 'UNCOMPRESSED',
  zstd: undefined,
}

/** Rows handed to parquetjs-lite per flush. */
const sliceRows = 1024

export interface LiteWriterSettings {
  readonly compression: ParquetCompression
  readonly rowGroupRows: number
}

export class LiteTableWriter implements TableWriter {
  readonly #table: TableName
  readonly #file: PartFile
  readonly #settings: LiteWriterSettings
  readonly #columns: readonly CheckedColumn[]
  #pending: Record<string, unknown>[] = []
  #pendingChars = 0
  #writer: ParquetWriter | undefined
  #failure: Error | undefined
  #rows = 0

  constructor(table: TableName, file: PartFile, at: Position, settings: LiteWriterSettings) {
    this.#table = table
    this.#file = file
    this.#settings = settings
    this.#columns = checkedColumns(table, at)
  }

  get rows(): number {
    return this.#rows
  }

  get bufferedBytes(): number {
    return this.#pendingChars + 8 * this.#columns.length * this.#pending.length
  }

  get full(): boolean {
    return this.#pending.length >= Math.min(sliceRows, this.#settings.rowGroupRows)
  }

  append(row: TableRow['row'], at: Position): void {
    const record = row as Readonly<Record<string, unknown>>
    const out: Record<string, unknown> = {}
    for (const column of this.#columns) {
      const value = columnValue(record, column, this.#table, at)
      if (typeof value === 'string') this.#pendingChars += value.length
      // A Date, not the number: parquetjs-lite rejects negative epoch numbers (toPrimitive_TIMESTAMP_MILLIS)
      // but takes any Date's getTime(), so pre-1970 instants survive.
      out[column.name] = column.type === 'timestamptz' && value !== null ? new Date(value as number) : value
    }
    this.#pending.push(out)
    this.#rows++
  }

  async flush(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    const rows = this.#pending
    if (rows.length === 0) return
    this.#pending = []
    this.#pendingChars = 0
    const writer = this.#writer ?? (await this.#open())
    try {
      for (const row of rows) await writer.appendRow(row)
    } catch (error) {
      throw this.#fail('encode a row group for', error)
    }
    if (this.#failure !== undefined) throw this.#failure
  }

  async finish(): Promise<void> {
    await this.flush()
    try {
      await this.#writer?.close()
    } catch (error) {
      throw this.#fail('finish', error)
    }
    if (this.#failure !== undefined) throw this.#failure
    await checkParquetFooter(this.#file, this.#table, this.#rows)
    await this.#file.seal()
  }

  async abort(): Promise<void> {
    this.#pending = []
    // parquetjs-lite has no abort; what it buffered is dropped with the writer, and the sink discards the file.
    this.#writer = undefined
  }

  async #open(): Promise<ParquetWriter> {
    let module: LiteModule
    try {
      module = await loadLite()
    } catch (error) {
      throw this.#fail('load parquetjs-lite to write', error)
    }
    const { ParquetSchema, ParquetWriter } = module
    const compression = liteCompression[this.#settings.compression]
    const fields: Record<string, ParquetFieldDefinition> = {}
    for (const column of this.#columns) {
      const text = column.type === 'text' || column.type === 'json'
      // No min/max statistics on strings: parquetjs-lite compares them as UTF-16 (JS `<`), Parquet readers
      // as unsigned bytes, which disagree past U+FFFF, and a wrong max lets an engine skip a matching group.
      fields[column.name] = {
        type: liteType[column.type],
        optional: !column.notNull,
        ...(compression && { compression }),
        ...(text && { statistics: false }),
      }
    }
    // Write errors are recorded, not passed back: parquetjs-lite does not await its header write, so a
    // rejection there would be unhandled. The file's first failure sticks and is rethrown after each step.
    const output: ParquetOutput = {
      write: (chunk, callback) => {
        this.#file.write(chunk).then(
          () => callback(),
          (error: unknown) => {
            this.#fail('write', error)
            callback()
          },
        )
      },
      end: (callback) => callback(),
    }
    try {
      this.#writer = await ParquetWriter.openStream(new ParquetSchema(fields), output, {
        rowGroupSize: this.#settings.rowGroupRows,
        // Data page v1: what arrow-rs writes too, and what every reader supports.
        useDataPageV2: false,
      })
    } catch (error) {
      throw this.#fail('open', error)
    }
    return this.#writer
  }

  #fail(operation: string, error: unknown): Error {
    // parquetjs-lite throws strings ('invalid value for INT32: x'); they become the message.
    this.#failure ??= isLabelpipeError(error)
      ? error
      : new SinkError(`${this.#table}: parquetjs-lite cannot ${operation} ${this.#file.tempPath}: ${messageOf(error)}`, { cause: error })
    return this.#failure
  }
}

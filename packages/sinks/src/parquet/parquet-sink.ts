import type { z } from 'zod'
import { FileSink, type FileSinkOptions, fileSinkOptionShape } from '../file-sink.js'
import { boundedInteger, integerOption, oneOf, optionsSchema, parseOptions, type SameShape } from '../options.js'
import { LiteTableWriter } from './lite-table-writer.js'
import { liteCompressions, type ParquetCompression, type ParquetEngine, parquetCompressions, parquetEngines } from './parquet-settings.js'
import { SpoolReadBuffer } from './row-spool.js'
import { WasmTableWriter } from './wasm-table-writer.js'

export interface ParquetSinkOptions extends FileSinkOptions {
  /**
   * `'parquet-wasm'` (default): arrow-rs compiled to WebAssembly, fed Arrow record batches; dictionary-encoded
   * strings, ~11x faster than parquetjs-lite and 2.6x smaller files (docs/facts.md). `'parquetjs-lite'`: pure
   * JavaScript, for runtimes without WebAssembly; same schema, same rows, plain encoding, fewer codecs.
   */
  readonly engine?: ParquetEngine
  /** Page compression. Default `'snappy'`. parquetjs-lite supports `'snappy'`, `'gzip'` and `'none'` (no `'zstd'`). */
  readonly compression?: ParquetCompression
  /**
   * Rows per row group. Default 100,000 with parquet-wasm: row groups sized for query engines (docs/schema.md),
   * not parquetjs-lite's 4,096. There a table's rows wait in a temp file beside its part file
   * (`_part-….parquet.rows.tmp`, Arrow IPC) until it has this many, then the group is encoded in one go; memory
   * does not grow with it beyond one group of one table in the encoder (~40 MiB of wasm memory for 100k rows).
   * Default 12,500 with parquetjs-lite, which holds every table's open row group as JS values until it encodes
   * it: on the 1 GB image export, 100,000-row groups peaked at 713 MiB RSS in 181 s, 12,500-row ones at 363 MiB
   * in 169 s.
   */
  readonly rowGroupRows?: number
  /**
   * Bytes of rows held in JavaScript across all tables before they are written out (an estimate: string
   * lengths plus 8 bytes per value); past it, the table holding most is written early: to its row spool with
   * parquet-wasm, to parquetjs-lite's encoder otherwise. Default 16 MiB. parquet-wasm also writes each table's
   * rows out every 2,048 rows or 256 KiB of strings, so the default is reached only with many tables.
   */
  readonly maxBufferedBytes?: number
}

const defaultRowGroupRows: { readonly [E in ParquetEngine]: number } = { 'parquet-wasm': 100_000, 'parquetjs-lite': 12_500 }

const parquetSinkOptions = optionsSchema({
  ...fileSinkOptionShape,
  engine: oneOf(parquetEngines, 'parquet-wasm'),
  compression: oneOf(parquetCompressions, 'snappy'),
  rowGroupRows: boundedInteger(1, 10_000_000).optional(),
  maxBufferedBytes: integerOption(16 * 1024 * 1024, 1, 2 ** 40),
}).superRefine((options, context) => {
  if (options.engine === 'parquetjs-lite' && !(liteCompressions as readonly string[]).includes(options.compression)) {
    context.addIssue({
      code: 'custom',
      path: ['compression'],
      message: `'${options.compression}' is not supported by engine 'parquetjs-lite' (supported: ${liteCompressions.map((c) => `'${c}'`).join(', ')})`,
    })
  }
})

/** Options as parsed: defaults applied, frozen. */
export type ParsedParquetSinkOptions = Readonly<z.output<typeof parquetSinkOptions>>

const parquetSinkOptionsAgree: SameShape<z.input<typeof parquetSinkOptions>, ParquetSinkOptions> = true
void parquetSinkOptionsAgree

/**
 * Writes each table's rows to one Parquet file, `<dir>/<table>/part-<loadId>-00000.parquet`, with many row
 * groups, then `<dir>/_manifests/<loadId>.json`. Options are checked here, before any file is opened; a bad
 * one (or a codec the engine lacks) throws InvalidOptionError.
 */
export function parquetSink(options: ParquetSinkOptions): ParquetSink {
  return new ParquetSink(parseOptions(parquetSinkOptions, options))
}

/** The Parquet file sink; create it with `parquetSink()`, which checks the options this constructor trusts. */
export class ParquetSink extends FileSink {
  constructor(options: ParsedParquetSinkOptions) {
    const { engine, compression, maxBufferedBytes } = options
    const settings = { compression, rowGroupRows: options.rowGroupRows ?? defaultRowGroupRows[engine] }
    const readBuffer = new SpoolReadBuffer()
    super(options, {
      name: 'parquet',
      extension: '.parquet',
      maxBufferedBytes,
      createWriter: (table, file, at) =>
        engine === 'parquet-wasm'
          ? new WasmTableWriter(table, file, at, settings, readBuffer)
          : new LiteTableWriter(table, file, at, settings),
    })
  }
}

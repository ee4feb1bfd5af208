import { InvalidOptionError } from '@labelpipe/core'
import { FileSink, type FileSinkOptions, fileSinkOptionRules, type ParsedFileSinkOptions } from '../file-sink.js'
import { integerRule, oneOf, parseOptions } from '../options.js'
import { LiteTableWriter } from './lite-table-writer.js'
import {
  liteCompressions,
  type ParquetCompression,
  type ParquetEngine,
  parquetCompressions,
  parquetEngines,
} from './parquet-settings.js'
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
   * Rows per row group. Default 100,000: row groups sized for query engines (docs/schema.md), not
   * parquetjs-lite's 4,096. Each table's rows are buffered column-wise up to this many, then encoded as one
   * row group of that table's single file.
   */
  readonly rowGroupRows?: number
  /**
   * Bytes of not-yet-encoded rows held in memory across all tables (an estimate: string lengths plus 8 bytes
   * per value). When passed, the table holding most is encoded early. Default 64 MiB, which keeps a whole load
   * under ~300 MB RSS with parquet-wasm.
   */
  readonly maxBufferedBytes?: number
}

const optionRules = {
  ...fileSinkOptionRules,
  engine: oneOf(parquetEngines, 'parquet-wasm'),
  compression: oneOf(parquetCompressions, 'snappy'),
  rowGroupRows: integerRule(100_000, 1, 10_000_000),
  maxBufferedBytes: integerRule(64 * 1024 * 1024, 1, 2 ** 40),
}

export interface ParsedParquetSinkOptions extends ParsedFileSinkOptions {
  readonly engine: ParquetEngine
  readonly compression: ParquetCompression
  readonly rowGroupRows: number
  readonly maxBufferedBytes: number
}

/**
 * Writes each table's rows to one Parquet file, `<dir>/<table>/part-<loadId>-00000.parquet`, with many row
 * groups, then `<dir>/_manifests/<loadId>.json`. Options are checked here, before any file is opened; a bad
 * one (or a codec the engine lacks) throws InvalidOptionError.
 */
export function parquetSink(options: ParquetSinkOptions): ParquetSink {
  const parsed: ParsedParquetSinkOptions = parseOptions(options, optionRules)
  if (parsed.engine === 'parquetjs-lite' && !liteCompressions.includes(parsed.compression)) {
    throw new InvalidOptionError(
      'compression',
      `'${parsed.compression}' is not supported by engine 'parquetjs-lite' (supported: ${liteCompressions.map((c) => `'${c}'`).join(', ')})`,
    )
  }
  return new ParquetSink(parsed)
}

/** The Parquet file sink; create it with `parquetSink()`, which checks the options this constructor trusts. */
export class ParquetSink extends FileSink {
  constructor(options: ParsedParquetSinkOptions) {
    const { engine, compression, rowGroupRows, maxBufferedBytes } = options
    const settings = { compression, rowGroupRows }
    super(options, {
      name: 'parquet',
      extension: '.parquet',
      maxBufferedBytes,
      createWriter: (table, file, at) =>
        engine === 'parquet-wasm' ? new WasmTableWriter(table, file, at, settings) : new LiteTableWriter(table, file, at, settings),
    })
  }
}

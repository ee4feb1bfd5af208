import { isLabelpipeError, type Position, SinkError, type TableName, type TableRow } from '@labelpipe/core'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { createGzip, type Gzip } from 'node:zlib'
import { FileSink, type FileSinkOptions, fileSinkOptionRules, type ParsedFileSinkOptions, type TableWriter } from '../file-sink.js'
import { booleanRule, parseOptions } from '../options.js'
import { messageOf, type PartFile } from '../part-file.js'
import { type LineEncoder, lineEncoder } from './ndjson-line.js'

export interface NdjsonSinkOptions extends FileSinkOptions {
  /** Gzip every part file: `part-<loadId>-00000.ndjson.gz`, one gzip member per file. Default false (`.ndjson`). */
  readonly gzip?: boolean
}

const optionRules = { ...fileSinkOptionRules, gzip: booleanRule(false) }

export interface ParsedNdjsonSinkOptions extends ParsedFileSinkOptions {
  readonly gzip: boolean
}

/**
 * Writes each table's rows as NDJSON, one object per line with every column in schema order, to
 * `<dir>/<table>/part-<loadId>-00000.ndjson[.gz]`, then `<dir>/_manifests/<loadId>.json`. Options are checked
 * here, before any file is opened; a bad one throws InvalidOptionError.
 */
export function ndjsonSink(options: NdjsonSinkOptions): NdjsonSink {
  return new NdjsonSink(parseOptions(options, optionRules))
}

// Text is handed to the file (or gzip) in ~1 MiB pieces: large enough that the write syscall and the promise
// per write disappear from the profile, small enough that 13 tables buffer at most ~13 MiB.
const chunkChars = 1 << 20
const maxBufferedBytes = 64 * 1024 * 1024

/** The NDJSON file sink; create it with `ndjsonSink()`, which checks the options this constructor trusts. */
export class NdjsonSink extends FileSink {
  constructor(options: ParsedNdjsonSinkOptions) {
    const { gzip } = options
    super(options, {
      name: 'ndjson',
      extension: gzip ? '.ndjson.gz' : '.ndjson',
      maxBufferedBytes,
      createWriter: (table, file, at) => new NdjsonTableWriter(table, file, at, gzip),
    })
  }
}

class NdjsonTableWriter implements TableWriter {
  readonly #encode: LineEncoder
  readonly #file: PartFile
  readonly #gzip: GzipOutput | undefined
  #text = ''
  #rows = 0
  #inFlight: Promise<void> = Promise.resolve()

  constructor(table: TableName, file: PartFile, at: Position, gzip: boolean) {
    this.#encode = lineEncoder(table, at)
    this.#file = file
    this.#gzip = gzip ? new GzipOutput(table, file) : undefined
  }

  get rows(): number {
    return this.#rows
  }

  get bufferedBytes(): number {
    return this.#text.length
  }

  get full(): boolean {
    return this.#text.length >= chunkChars
  }

  append(row: TableRow['row'], at: Position): void {
    this.#text += this.#encode(row, at)
    this.#rows++
  }

  async flush(): Promise<void> {
    if (this.#text === '') return
    const bytes = Buffer.from(this.#text, 'utf8')
    this.#text = ''
    // One chunk in flight: the next is encoded while this one goes to disk, and a failure of this one
    // surfaces at the next flush or at finish. Blocking on every write let the upstream batches pile up in
    // the Writable buffer, where they outlived scavenges and doubled GC time.
    await this.#inFlight
    const written = this.#gzip === undefined ? this.#file.write(bytes) : this.#gzip.write(bytes)
    written.catch(() => undefined)
    this.#inFlight = written
  }

  async finish(): Promise<void> {
    await this.flush()
    await this.#inFlight
    await this.#gzip?.end()
    await this.#file.seal()
  }

  async abort(): Promise<void> {
    this.#text = ''
    await this.#inFlight.catch(() => undefined)
    await this.#gzip?.abort()
  }
}

/**
 * One gzip stream per file, drained into the PartFile by a pipeline. `write()` waits for 'drain' when zlib's
 * buffer is full, so a slow disk slows the sink instead of growing memory.
 */
class GzipOutput {
  readonly #gzip: Gzip = createGzip()
  readonly #drained: Promise<void>
  readonly #label: string
  #failure: Error | undefined

  constructor(table: TableName, file: PartFile) {
    this.#label = `${table}: cannot gzip into ${file.tempPath}`
    this.#drained = pipeline(this.#gzip, async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await file.write(chunk)
    }).catch((error: unknown) => {
      throw this.#fail(error)
    })
    // Observed by write()/end(); this keeps a failure between two writes from being reported as unhandled.
    this.#drained.catch(() => undefined)
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#gzip.write(bytes)) return
    try {
      await Promise.race([once(this.#gzip, 'drain'), this.#drained])
    } catch (error) {
      throw this.#fail(error)
    }
  }

  async end(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    this.#gzip.end()
    await this.#drained
  }

  async abort(): Promise<void> {
    this.#gzip.destroy()
    await this.#drained.catch(() => undefined)
  }

  #fail(error: unknown): Error {
    this.#failure ??= isLabelpipeError(error) ? error : new SinkError(`${this.#label}: ${messageOf(error)}`, { cause: error })
    return this.#failure
  }
}

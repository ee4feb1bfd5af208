import { once } from 'node:events'
import { type FileHandle, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import { type Batch, SinkError, type V2DataRow } from '@labelpipe/core'
import { messageOf } from '../part-file.js'

/** Options of `v2ExportSink`. */
export interface V2ExportSinkOptions {
  /**
   * Where the Export v2 NDJSON goes: a file path, written under a temp name beside it and renamed over `path` only
   * once complete (so an existing file is never half-overwritten), or a stream such as stdout, which is written
   * with its backpressure honoured and never ended.
   */
  readonly to: string | NodeJS.WritableStream
}

/** The Writable `v2ExportSink` returns: takes batches of located v2 data rows; `dataRows` counts the lines written. */
export interface V2ExportSink extends Writable {
  readonly dataRows: number
}

/** Lines are joined into writes of about this many characters: one syscall per ~1 MiB, not one per data row. */
const writeChunkChars = 1024 * 1024

/**
 * An Export v2 NDJSON writer (formats.md "Export v2"): one data row a line, as `JSON.stringify` gives it, in the
 * order received. The sink of `labelpipe convert`, whose output `readV2Export` and any v2 consumer read back.
 * A file target is created with a temp name (`.<name>.<pid>-<time>.tmp` in the same folder, so the rename is
 * atomic), fsynced and renamed in `_final`; a failure or an abort removes the temp file and leaves `path` as it was.
 */
export function v2ExportSink(options: V2ExportSinkOptions): V2ExportSink {
  const { to } = options
  if (typeof to === 'string') {
    if (to === '') throw new SinkError('v2ExportSink: `to` must be a file path or a writable stream')
    return new FileExportSink(to)
  }
  if (typeof to?.write !== 'function') throw new SinkError('v2ExportSink: `to` must be a file path or a writable stream')
  return new StreamExportSink(to)
}

abstract class ExportSink extends Writable implements V2ExportSink {
  #dataRows = 0

  constructor() {
    // Batches of records: a few in flight are enough, the reader is paused behind them.
    super({ objectMode: true, highWaterMark: 4 })
  }

  get dataRows(): number {
    return this.#dataRows
  }

  protected abstract writeText(text: string): Promise<void>
  protected abstract complete(): Promise<void>

  override _write(batch: Batch<V2DataRow>, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeBatch(batch).then(() => callback(), callback)
  }

  async #writeBatch(batch: Batch<V2DataRow>): Promise<void> {
    let text = ''
    for (const { value } of batch) {
      text += `${JSON.stringify(value)}\n`
      this.#dataRows++
      if (text.length >= writeChunkChars) {
        await this.writeText(text)
        text = ''
      }
    }
    if (text !== '') await this.writeText(text)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.complete().then(() => callback(), callback)
  }
}

class FileExportSink extends ExportSink {
  readonly #path: string
  readonly #temp: string
  // Writes chain on the open: lines keep their order, and the first write waits for the file.
  #chain: Promise<FileHandle | undefined>
  /** The temp file while it exists: set once opened, cleared once renamed (or removed). */
  #opened: FileHandle | undefined

  constructor(path: string) {
    super()
    this.#path = path
    this.#temp = join(dirname(path), `.${basename(path)}.${process.pid}-${Date.now()}.tmp`)
    this.#chain = open(this.#temp, 'wx').then(
      (handle) => {
        this.#opened = handle
        return handle
      },
      (cause: unknown) => {
        throw new SinkError(`cannot create ${this.#temp} to write ${path}: ${messageOf(cause)}`, { cause })
      },
    )
    // A failed open is reported by the first write or by _final; this keeps it from being an unhandled rejection.
    this.#chain.catch(() => {})
  }

  protected writeText(text: string): Promise<void> {
    const written = this.#chain.then(async (handle) => {
      try {
        // A write may take fewer bytes than given (write(2)): loop until all are in.
        const bytes = Buffer.from(text)
        for (let offset = 0; offset < bytes.length; ) offset += (await (handle as FileHandle).write(bytes, offset)).bytesWritten
      } catch (cause) {
        throw new SinkError(`cannot write ${this.#temp}: ${messageOf(cause)}`, { cause })
      }
      return handle
    })
    this.#chain = written
    return written.then(() => {})
  }

  protected async complete(): Promise<void> {
    const handle = (await this.#chain) as FileHandle
    try {
      await handle.sync()
      await handle.close()
      await rename(this.#temp, this.#path)
      this.#opened = undefined
    } catch (cause) {
      throw new SinkError(`cannot finish ${this.#path}: ${messageOf(cause)}`, { cause })
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A failed write (a full disk) leaves #chain rejected: the handle is taken from #opened, not from the chain.
    const discard = async () => {
      await this.#chain.catch(() => undefined)
      const handle = this.#opened
      if (handle === undefined) return
      this.#opened = undefined
      await handle.close().catch(() => {})
      await unlink(this.#temp).catch(() => {})
    }
    discard().then(
      () => callback(error),
      () => callback(error),
    )
  }
}

class StreamExportSink extends ExportSink {
  readonly #out: NodeJS.WritableStream

  constructor(out: NodeJS.WritableStream) {
    super()
    this.#out = out
  }

  protected async writeText(text: string): Promise<void> {
    if (!this.#out.write(text)) await once(this.#out as Writable, 'drain')
  }

  protected async complete(): Promise<void> {}
}

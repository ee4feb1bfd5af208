import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { SinkError } from '@labelpipe/core'
import { messageOf } from '../part-file.js'

/**
 * The not-yet-encoded rows of one table's current row group, as Arrow IPC slices in a temp file beside the part
 * file (`_part-….parquet.rows.tmp`: the `_` and `.tmp` keep it out of readers' globs, as for the part file).
 *
 * Why a file: a Parquet row group is written column by column, so a table's rows must be held somewhere until
 * its group is complete, and there are ten tables filling groups at once. Held in the encoder (one open wasm
 * writer per table) that measured 220 MiB of wasm memory on the 1 GB image export; held here, rows cost page
 * cache, not heap, and one row group at a time is encoded, whatever the number of tables. At most one row group
 * per table is spooled (~25 MB of Arrow for 100k `workflow_history` rows), the file is emptied after each group
 * and removed when the table finishes or the run is rolled back.
 */
/**
 * The buffer spooled slices are read back into, shared by the writers of one sink: a sink encodes one row group
 * at a time, so one buffer as large as the largest slice serves every table (instead of one per table, or a new
 * one per row group, left to the garbage collector).
 */
export class SpoolReadBuffer {
  #buffer: Buffer = Buffer.allocUnsafe(0)

  /** A buffer of at least `length` bytes; valid until the next call. */
  take(length: number): Buffer {
    if (this.#buffer.length < length) this.#buffer = Buffer.allocUnsafe(Math.max(length, this.#buffer.length * 2))
    return this.#buffer
  }
}

export class RowSpool {
  readonly path: string
  readonly #label: string
  #handle: Promise<FileHandle> | undefined
  /** Byte length of each slice, in order; slices are contiguous from offset 0. */
  #slices: number[] = []
  #size = 0
  readonly #readBuffer: SpoolReadBuffer
  #discarded = false

  constructor(path: string, label: string, readBuffer: SpoolReadBuffer) {
    this.path = path
    this.#label = label
    this.#readBuffer = readBuffer
  }

  get slices(): number {
    return this.#slices.length
  }

  async append(bytes: Uint8Array): Promise<void> {
    const handle = await this.#open()
    try {
      let offset = 0
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset, this.#size + offset)
        offset += bytesWritten
      }
    } catch (cause) {
      throw this.#fail('write', cause)
    }
    this.#slices.push(bytes.byteLength)
    this.#size += bytes.byteLength
  }

  /**
   * Reads every slice back in order into the shared read buffer: a yielded slice is valid until the next one is
   * read (parquet-wasm copies it into wasm memory at once).
   */
  async *read(): AsyncGenerator<Uint8Array, void, undefined> {
    const handle = await this.#open()
    let position = 0
    for (const length of this.#slices) {
      const buffer = this.#readBuffer.take(length)
      try {
        let done = 0
        while (done < length) {
          const { bytesRead } = await handle.read(buffer, done, length - done, position + done)
          if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`)
          done += bytesRead
        }
      } catch (cause) {
        throw this.#fail('read back', cause)
      }
      position += length
      yield buffer.subarray(0, length)
    }
  }

  /** Empties the spool for the next row group (truncating drops its dirty pages before they reach the disk). */
  async clear(): Promise<void> {
    this.#slices = []
    this.#size = 0
    const handle = await this.#handle
    try {
      await handle?.truncate(0)
    } catch (cause) {
      throw this.#fail('truncate', cause)
    }
  }

  /** Closes and removes the file. Safe in any state, and more than once. */
  async discard(): Promise<void> {
    this.#discarded = true
    const opening = this.#handle
    if (opening === undefined) return
    let handle: FileHandle
    try {
      handle = await opening
    } catch {
      return // never created
    }
    await handle.close().catch(() => undefined)
    try {
      await unlink(this.path)
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw this.#fail('remove', cause)
    }
  }

  #open(): Promise<FileHandle> {
    if (this.#discarded) return Promise.reject(new SinkError(`${this.#label}: ${this.path} was already removed`))
    this.#handle ??= (async () => {
      try {
        await mkdir(dirname(this.path), { recursive: true })
        return await open(this.path, 'wx+')
      } catch (cause) {
        throw this.#fail('create', cause)
      }
    })()
    return this.#handle
  }

  #fail(operation: string, cause: unknown): SinkError {
    return new SinkError(`${this.#label}: cannot ${operation} ${this.path}: ${messageOf(cause)}`, { cause })
  }
}

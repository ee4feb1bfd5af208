import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { type ByteRange, openRange, type RangeOrigin, rangeCut } from './byte-range.js'

/**
 * An input's bytes, decompressed when they are gzip (detected by the magic number, not the file name), with
 * how many raw bytes have been read: progress is reported against the file size, which is the raw size.
 * With a byte range (file paths only, never gzip), only the lines that start in it, and progress against it.
 */
export class InputBytes {
  readonly name: string
  #input: string | Readable
  readonly #range: ByteRange | undefined
  #origin: Promise<RangeOrigin> | undefined = undefined
  #rawBytesRead = 0
  #raw: Readable | undefined = undefined
  #destroyedBy: Error | undefined = undefined
  #totalBytes: number | undefined = undefined

  constructor(input: string | Readable, name: string, range?: ByteRange) {
    this.#input = input
    this.name = name
    this.#range = range
  }

  /** Where the first line read starts in the file: line 1, byte 0, unless a byte range starts later (resolved once). */
  origin(): Promise<RangeOrigin> {
    const input = this.#input
    if (this.#range === undefined || typeof input !== 'string') return Promise.resolve({ line: 1, byteOffset: 0 })
    this.#origin ??= openRange(input, this.#range).then(({ origin, fileBytes }) => {
      const { start, end } = this.#range as ByteRange
      this.#totalBytes = Math.max(0, Math.min(end, fileBytes) - start)
      return origin
    })
    return this.#origin
  }

  /** The file read, or undefined for a stream. */
  get path(): string | undefined {
    return typeof this.#input === 'string' ? this.#input : undefined
  }

  get rawBytesRead(): number {
    return this.#rawBytesRead
  }

  get totalBytes(): number | undefined {
    return this.#totalBytes
  }

  /**
   * Streams the bytes; the input stream is owned here and destroyed however iteration ends. `chunkBytes`: how much
   * of a file is read, or of gzip inflated, at a time (a stream's chunks are its own). Default: fs's and zlib's.
   */
  async *chunks(chunkBytes?: number): AsyncGenerator<Buffer> {
    if (this.#range !== undefined && typeof this.#input === 'string') {
      yield* this.#rangeChunks(this.#input, this.#range, chunkBytes)
      return
    }
    // stat() first: it fails cleanly for a missing file, where an opened stream would also emit an unheard 'error'.
    if (typeof this.#input === 'string') {
      const stats = await stat(this.#input)
      // A FIFO or /dev/stdin has no size to report progress against.
      this.#totalBytes = stats.isFile() ? stats.size : undefined
    }
    const raw = typeof this.#input === 'string' ? createReadStream(this.#input, { highWaterMark: chunkBytes }) : this.#input
    this.#raw = raw
    if (this.#destroyedBy !== undefined) raw.destroy(this.#destroyedBy)
    try {
      const counted = this.#count(raw)
      // Two bytes decide gzip; a pipe may deliver them in separate chunks.
      let head: Buffer = Buffer.alloc(0)
      while (head.length < 2) {
        const next = await counted.next()
        if (next.done) break
        head = head.length === 0 ? next.value : Buffer.concat([head, next.value])
      }
      if (head.length === 0) return
      const rest = prepend(head, counted)
      if (head[0] === 0x1f && head[1] === 0x8b) yield* gunzip(rest, chunkBytes)
      else yield* rest
    } finally {
      raw.destroy()
    }
  }

  /** Destroys the input stream, so a read waiting for bytes rejects with `error` (see PipelineSource.destroy). */
  destroy(error: Error): void {
    this.#destroyedBy ??= error
    this.#raw?.destroy(error)
  }

  /** The bytes of the range's lines: from its first line's start through the end of the last line starting before `end`. */
  async *#rangeChunks(path: string, { start, end }: ByteRange, chunkBytes: number | undefined): AsyncGenerator<Buffer> {
    const { byteOffset } = await this.origin()
    // Progress covers [start, end): the skipped head of the first partial line counts, the tail read past `end` does not.
    const reached = (position: number) => {
      this.#rawBytesRead = Math.min(Math.max(position - start, 0), end - start)
    }
    reached(byteOffset)
    if (byteOffset >= end) return
    const raw = createReadStream(path, { start: byteOffset, highWaterMark: chunkBytes })
    this.#raw = raw
    if (this.#destroyedBy !== undefined) raw.destroy(this.#destroyedBy)
    let position = byteOffset
    try {
      for await (const chunk of raw as AsyncIterable<Buffer>) {
        const cut = rangeCut(chunk, position, end)
        position += cut === -1 ? chunk.length : cut
        reached(position)
        if (cut !== -1) {
          yield chunk.subarray(0, cut)
          return
        }
        yield chunk
      }
    } finally {
      raw.destroy()
    }
  }

  async *#count(raw: Readable): AsyncGenerator<Buffer> {
    for await (const chunk of raw as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      this.#rawBytesRead += bytes.length
      yield bytes
    }
  }
}

async function* prepend(head: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield head
  yield* rest
}

async function* gunzip(compressed: AsyncGenerator<Buffer>, chunkSize: number | undefined): AsyncGenerator<Buffer> {
  const inflater = createGunzip({ chunkSize })
  // pipeline() owns both ends: an error on either side destroys the other, and ours ends the iteration below.
  pipeline(compressed, inflater, () => {})
  try {
    yield* inflater
  } finally {
    inflater.destroy()
  }
}

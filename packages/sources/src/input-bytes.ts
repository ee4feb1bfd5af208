import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'

/**
 * An input's bytes, decompressed when they are gzip (detected by the magic number, not the file name), with
 * how many raw bytes have been read: progress is reported against the file size, which is the raw size.
 */
export class InputBytes {
  readonly name: string
  #input: string | Readable
  #rawBytesRead = 0
  #raw: Readable | undefined = undefined
  #destroyedBy: Error | undefined = undefined
  #totalBytes: number | undefined = undefined

  constructor(input: string | Readable, name: string) {
    this.#input = input
    this.name = name
  }

  get rawBytesRead(): number {
    return this.#rawBytesRead
  }

  get totalBytes(): number | undefined {
    return this.#totalBytes
  }

  /** Streams the bytes; the input stream is owned here and destroyed however iteration ends. */
  async *chunks(): AsyncGenerator<Buffer> {
    // stat() first: it fails cleanly for a missing file, where an opened stream would also emit an unheard 'error'.
    if (typeof this.#input === 'string') {
      const stats = await stat(this.#input)
      // A FIFO or /dev/stdin has no size to report progress against.
      this.#totalBytes = stats.isFile() ? stats.size : undefined
    }
    const raw = typeof this.#input === 'string' ? createReadStream(this.#input) : this.#input
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
      if (head[0] === 0x1f && head[1] === 0x8b) yield* gunzip(rest)
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

async function* gunzip(compressed: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  const inflater = createGunzip()
  // pipeline() owns both ends: an error on either side destroys the other, and ours ends the iteration below.
  pipeline(compressed, inflater, () => {})
  try {
    yield* inflater
  } finally {
    inflater.destroy()
  }
}

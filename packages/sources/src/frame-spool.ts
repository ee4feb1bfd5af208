import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FrameStore, V2Frame } from '@labelpipe/core'

// Frames of a giant line wait here between the scan of the line and their expansion: the expansion needs the
// label's segments and key frames first, and exports write `frames` before them (formats.md), so frames
// cannot be expanded as they stream past. The file is unlinked as soon as it is open: the kernel frees it
// when the last descriptor closes, so a crash or kill -9 leaves nothing behind. What stays in memory is
// 16 bytes a frame (number, offset, length), against the ~35 bytes a key that the parsed path's `for...in`
// snapshot holds.

const writeBufferBytes = 1024 * 1024
const readWindowBytes = 1024 * 1024
let spoolSequence = 0

// A record whose frames were never expanded (a consumer that ignores them) still frees its descriptor.
const closeWhenCollected = new FinalizationRegistry<number>((fd) => closeSync(fd))

/** One spool file per giant line, shared by the line's frame stores; closed when the last store is released. */
export class FrameSpool {
  #fd: number
  #fileBytes = 0
  readonly #buffer = Buffer.allocUnsafe(writeBufferBytes)
  #buffered = 0
  #openStores = 0
  #sealed = false

  constructor(dir = tmpdir()) {
    const path = join(dir, `labelpipe-frames-${process.pid}-${Date.now()}-${spoolSequence++}.spool`)
    this.#fd = openSync(path, 'wx+', 0o600)
    unlinkSync(path)
    closeWhenCollected.register(this, this.#fd, this)
  }

  /** A store for the next frames map of the line. */
  newStore(): SpooledFrames {
    this.#openStores++
    return new SpooledFrames(this)
  }

  /** Appends one frame's JSON text; returns its offset in the file. */
  append(bytes: Buffer): number {
    const offset = this.#fileBytes + this.#buffered
    if (bytes.length > this.#buffer.length - this.#buffered) this.#flush()
    if (bytes.length >= this.#buffer.length) this.#writeAll(bytes)
    else {
      bytes.copy(this.#buffer, this.#buffered)
      this.#buffered += bytes.length
    }
    return offset
  }

  /** Flushes the write buffer: the line is scanned, its stores start reading. */
  seal(): void {
    this.#flush()
    this.#sealed = true
    if (this.#openStores === 0) this.close()
  }

  read(into: Buffer, length: number, position: number): number {
    let done = 0
    while (done < length) {
      const got = readSync(this.#fd, into, done, length - done, position + done)
      if (got === 0) break
      done += got
    }
    return done
  }

  /** @internal a store was released */
  storeReleased(): void {
    if (--this.#openStores === 0 && this.#sealed) this.close()
  }

  /** False once the file is closed. */
  get isOpen(): boolean {
    return this.#fd !== -1
  }

  /** Closes the file (idempotent); its space is freed then. */
  close(): void {
    if (this.#fd === -1) return
    closeWhenCollected.unregister(this)
    closeSync(this.#fd)
    this.#fd = -1
  }

  #flush(): void {
    if (this.#buffered === 0) return
    this.#writeAll(this.#buffer.subarray(0, this.#buffered))
    this.#buffered = 0
  }

  #writeAll(bytes: Buffer): void {
    let done = 0
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#fileBytes + done)
    this.#fileBytes += bytes.length
  }
}

/** The FrameStore of one frames map: an index of (frame, offset, length) into the spool, 16 bytes a frame. */
export class SpooledFrames implements FrameStore {
  readonly #spool: FrameSpool
  #frames = new Int32Array(1024)
  #offsets = new Float64Array(1024)
  #lengths = new Int32Array(1024)
  #count = 0
  #ascending = true
  #order: Int32Array | undefined = undefined
  #invalidKeys = 0
  #released = false

  /** @internal created by FrameSpool.newStore */
  constructor(spool: FrameSpool) {
    this.#spool = spool
  }

  get invalidKeys(): number {
    return this.#invalidKeys
  }

  get size(): number {
    return this.#sorted().length
  }

  /** Records a key that is not a frame number (its value was validated, it is not kept). */
  countInvalidKey(): void {
    this.#invalidKeys++
  }

  /** Records frame `frame`, whose JSON text is `bytes`. */
  add(frame: number, bytes: Buffer): void {
    const offset = this.#spool.append(bytes)
    const n = this.#count
    if (n === this.#frames.length) this.#grow()
    if (n > 0 && frame <= (this.#frames[n - 1] as number)) this.#ascending = false
    this.#frames[n] = frame
    this.#offsets[n] = offset
    this.#lengths[n] = bytes.length
    this.#count = n + 1
  }

  *entries(): Generator<readonly [string, V2Frame], void, undefined> {
    if (this.#released) throw new Error('labelpipe bug: frames read after their store was released')
    const order = this.#sorted()
    let window = Buffer.allocUnsafe(readWindowBytes)
    let windowStart = 0
    let windowLength = 0
    for (let i = 0; i < order.length; i++) {
      const entry = order[i] as number
      const offset = this.#offsets[entry] as number
      const length = this.#lengths[entry] as number
      if (offset < windowStart || offset + length > windowStart + windowLength) {
        // Frames spooled in ascending order (the usual case) are read sequentially, a window at a time.
        if (length > window.length) window = Buffer.allocUnsafe(length)
        windowStart = offset
        windowLength = this.#spool.read(window, window.length, offset)
      }
      const start = offset - windowStart
      const frame = JSON.parse(window.toString('utf8', start, start + length)) as V2Frame
      yield [String(this.#frames[entry]), frame]
    }
  }

  release(): void {
    if (this.#released) return
    this.#released = true
    this.#spool.storeReleased()
  }

  /**
   * Entry indexes in `for...in` order: frame numbers ascending, and for a number seen twice only its last
   * entry (JSON.parse keeps the last value of a duplicate key).
   */
  #sorted(): Int32Array {
    if (this.#order !== undefined) return this.#order
    const n = this.#count
    let order = new Int32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    if (!this.#ascending) {
      const frames = this.#frames
      order.sort((a, b) => (frames[a] as number) - (frames[b] as number) || a - b)
      let kept = 0
      for (let i = 0; i < n; i++) {
        const entry = order[i] as number
        const next = order[i + 1]
        if (next === undefined || frames[next] !== frames[entry]) order[kept++] = entry
      }
      order = order.slice(0, kept)
    }
    this.#order = order
    return order
  }

  #grow(): void {
    const size = this.#frames.length * 2
    const frames = new Int32Array(size)
    frames.set(this.#frames)
    this.#frames = frames
    const offsets = new Float64Array(size)
    offsets.set(this.#offsets)
    this.#offsets = offsets
    const lengths = new Int32Array(size)
    lengths.set(this.#lengths)
    this.#lengths = lengths
  }
}

import { isUtf8 } from 'node:buffer'
import { JsonSplitError, type JsonSplitHandler, JsonSplitter } from './json-splitter.js'
import { invalidOffsets } from './line-scanner.js'

/** One element of the root JSON array, taken out whole. */
export interface ArrayElement {
  /** 0-based index in the array. */
  readonly index: number
  /** 1-based line of the element's first byte. */
  readonly line: number
  /** Absolute offset of the element's first byte. */
  readonly byteOffset: number
  /** The element's text; empty when it was longer than `maxElementBytes` (then `oversized` is true). */
  readonly text: string
  /** The element's length in bytes. */
  readonly byteLength: number
  readonly oversized: boolean
  /** The absolute offset of the element's first byte that is not UTF-8 (then `text` has U+FFFD there), or undefined. */
  readonly invalidUtf8At: number | undefined
}

/** The input ended in the middle of the array (truncated file): what was read of the element it ended in. */
export interface UnfinishedElement {
  readonly index: number
  readonly line: number
  readonly byteOffset: number
  /** The element's bytes before the input ended, as text (empty if none, or past `maxElementBytes`). */
  readonly text: string
}

const newline = 0x0a
const openArray = 0x5b
const openObject = 0x7b

/**
 * Cuts the elements out of a root JSON array fed in chunks (the Export v1 label array), each with its
 * index, line and byte offset, without holding more than one element: a JsonSplitter with the root pattern
 * `[]` checks the array's structure and reports each element's bytes; this class joins them, counts lines
 * (memchr-speed `indexOf` over each chunk) and decodes the text. A root object (the SDK's single-label
 * samples, SOURCES.md) is one element, index 0.
 *
 * An element that spans chunks is copied once it is clear it does (the splitter's views are valid only
 * during its call); one inside a chunk is decoded straight from the chunk, with no copy.
 */
export class ArrayElements implements JsonSplitHandler {
  readonly #maxElementBytes: number
  #splitter: JsonSplitter | undefined = undefined
  /** The root is an object: the whole text is one element. */
  #single = false
  #ready: ArrayElement[] = []
  // Line counting: lines are counted in `#chunk` up to `#countedTo` (absolute).
  #chunk: Buffer = Buffer.alloc(0)
  #chunkStart = 0
  #countedTo = 0
  #line = 1
  #offset = 0
  // The open element.
  #index = -1
  #elementLine = 0
  #elementAt = 0
  #parts: Buffer[] = []
  #bytes = 0
  #partsAreViews = false
  #open = false

  constructor(maxElementBytes: number) {
    this.#maxElementBytes = maxElementBytes
  }

  /** Feeds the next chunk; returns the elements that completed in it (throws JsonSplitError on bad structure). */
  write(chunk: Buffer): ArrayElement[] {
    this.#chunk = chunk
    this.#chunkStart = this.#offset
    const rest = this.#splitter === undefined ? this.#start(chunk) : chunk
    if (rest.length > 0) {
      this.#splitter?.write(rest)
      if (this.#single) this.#append(rest)
    }
    this.#offset = this.#chunkStart + chunk.length
    this.#countLinesTo(this.#offset)
    if (this.#partsAreViews) {
      // The open element continues in the next chunk: keep a copy, the chunk's views end with this call.
      this.#parts = [Buffer.concat(this.#parts)]
      this.#partsAreViews = false
    }
    const ready = this.#ready
    this.#ready = []
    return ready
  }

  /** The input has ended: the last element of a single-object input, or throws JsonSplitError if the text is incomplete. */
  end(): ArrayElement[] {
    if (this.#splitter === undefined) throw new JsonSplitError('no JSON value', this.#offset)
    this.#splitter.end()
    if (this.#single) this.#finish()
    return this.#ready
  }

  /** The element the input ended in, if it ended inside one (call after `end()` threw). */
  unfinished(): UnfinishedElement | undefined {
    if (!this.#open) return undefined
    const text = this.#bytes > this.#maxElementBytes ? '' : Buffer.concat(this.#parts).toString('utf8')
    return { index: this.#index, line: this.#elementLine, byteOffset: this.#elementAt, text }
  }

  /** The elements completed before `write()` or `end()` threw: they are good, and come before the error. */
  drain(): ArrayElement[] {
    const ready = this.#ready
    this.#ready = []
    return ready
  }

  /** The 1-based line of an absolute byte offset at or after the last element start (a JsonSplitError's byte). */
  lineOf(byteOffset: number): number {
    if (byteOffset > this.#countedTo) this.#countLinesTo(Math.min(byteOffset, this.#chunkStart + this.#chunk.length))
    return this.#line
  }

  /** How many elements have started. */
  get started(): number {
    return this.#index + 1
  }

  targetOpen(): void {}

  targetClose(): void {}

  headerBytes(): void {}

  memberStart(key: string | number, byteOffset: number): void {
    this.#index = key as number
    this.#beginElement(byteOffset)
  }

  memberBytes(bytes: Buffer): void {
    this.#append(bytes)
  }

  memberEnd(): void {
    this.#finish()
  }

  /** Decides the root's kind from its first significant byte; skips a UTF-8 byte order mark. */
  #start(chunk: Buffer): Buffer {
    let i = 0
    if (this.#chunkStart === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3
    while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09)) i++
    // Only whitespace so far: wait for the root's first byte.
    if (i === chunk.length) return chunk.subarray(i)
    if (chunk[i] === openObject) {
      this.#single = true
      this.#index = 0
      this.#splitter = new JsonSplitter([], this, this.#chunkStart + i)
      this.#beginElement(this.#chunkStart + i)
    } else if (chunk[i] === openArray) {
      this.#splitter = new JsonSplitter([[]], this, this.#chunkStart + i)
    } else {
      throw new JsonSplitError('expected a JSON array of labels ("[") or one label ("{")', this.#chunkStart + i)
    }
    return chunk.subarray(i)
  }

  #beginElement(byteOffset: number): void {
    this.#countLinesTo(byteOffset)
    this.#elementLine = this.#line
    this.#elementAt = byteOffset
    this.#parts = []
    this.#bytes = 0
    this.#partsAreViews = false
    this.#open = true
  }

  #append(bytes: Buffer): void {
    this.#bytes += bytes.length
    if (this.#bytes > this.#maxElementBytes) {
      // Past one JSON.parse's reach: stop keeping it, only its length is counted on.
      this.#parts = []
      this.#partsAreViews = false
      return
    }
    this.#parts.push(bytes)
    this.#partsAreViews = true
  }

  #finish(): void {
    const oversized = this.#bytes > this.#maxElementBytes
    const parts = this.#parts
    const bytes = oversized ? undefined : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
    const text = bytes === undefined ? '' : bytes.toString('utf8')
    // toString turns a byte that is not UTF-8 into U+FFFD: an id or a name would change without a word.
    const invalidUtf8At =
      bytes === undefined || isUtf8(bytes) ? undefined : this.#elementAt + (invalidOffsets(bytes, 0, bytes.length)[0] ?? 0)
    this.#ready.push({
      index: this.#index,
      line: this.#elementLine,
      byteOffset: this.#elementAt,
      text,
      byteLength: this.#bytes,
      oversized,
      invalidUtf8At,
    })
    this.#parts = []
    this.#partsAreViews = false
    this.#open = false
  }

  #countLinesTo(absolute: number): void {
    const chunk = this.#chunk
    let i = this.#countedTo - this.#chunkStart
    const end = absolute - this.#chunkStart
    if (i < 0) i = 0
    for (;;) {
      const at = chunk.indexOf(newline, i)
      if (at === -1 || at >= end) break
      this.#line++
      i = at + 1
    }
    this.#countedTo = absolute
  }
}

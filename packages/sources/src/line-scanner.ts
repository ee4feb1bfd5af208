import { isUtf8 } from 'node:buffer'
import { JsonTextBatch, type JsonTextSpan } from './json-text.js'

/** A line the scanner found bad: too long, not UTF-8, or parsed by a LineStream. */
export interface BadLine {
  /** 1-based line number. */
  readonly line: number
  readonly byteOffset: number
  /** The line's true length in bytes, without its newline. */
  readonly byteLength: number
  readonly problem: 'too-long' | 'invalid-utf8' | 'streamed'
  /** For invalid-utf8: absolute offset of the first byte that is not UTF-8. */
  readonly badByteOffset: number
  /** For streamed: what the line's LineStream made of it, or the error it threw. */
  readonly streamed?: StreamedLine
}

export type StreamedLine = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

/** The parse of one line fed in pieces, for lines longer than `streamLinesOver` (giant-row.ts). */
export interface LineStream {
  write(bytes: Buffer): void
  /** The line ended; returns what it parsed to. */
  end(): unknown
  /** The line was abandoned (bad, or the input was destroyed): free what it holds. */
  destroy(): void
}

/** Lines longer than `over` bytes are parsed by a LineStream as they come instead of decoded whole. */
export interface LineStreaming {
  readonly over: number
  readonly open: (line: number, byteOffset: number) => LineStream
}

/** Where the scanned bytes start in their file. */
export interface ScanOrigin {
  /** 1-based line number of the first byte. */
  readonly line: number
  readonly byteOffset: number
}

const newline = 0x0a

/** One line of the input, without its newline, where it is in the file, and what was wrong with it. */
export interface ScannedLine {
  /**
   * A good line as JSON text for JSON.parse: ASCII, every other character a \u escape, a byte order mark at the
   * input's start left out; it parses to what the line's UTF-8 text parses to, and fails where that fails (json-text.ts).
   * Undefined for a bad or streamed line.
   */
  readonly json: string | undefined
  /**
   * The line decoded as UTF-8 (for a good line, decoded when first read: a parse needs only `json`). A bad or
   * streamed line's text is only what a dead letter needs: a too-long line's first maxLineLength bytes, a streamed
   * line's first `over` bytes, invalid bytes as U+FFFD.
   */
  readonly text: string
  /** 1-based line number. */
  readonly line: number
  readonly byteOffset: number
  /** The line's true length in bytes, without its newline. */
  readonly byteLength: number
  readonly bad: BadLine | undefined
}

/**
 * A whole, valid line. One not in a JSON text batch is decoded at once: its `json` is its UTF-8 text, and it keeps
 * no view of the read chunk (a chunk held by its lines outlives young collections). A batched line's `json` is
 * set when its batch is decoded, and its UTF-8 text is decoded only if asked for.
 */
class GoodLine implements ScannedLine {
  json: string | undefined
  readonly bad = undefined
  #bytes: Buffer | readonly Buffer[] | undefined
  readonly #span: JsonTextSpan | undefined
  #text: string | undefined

  constructor(
    bytes: Buffer | readonly Buffer[],
    span: JsonTextSpan | undefined,
    readonly line: number,
    readonly byteOffset: number,
    readonly byteLength: number,
  ) {
    this.#span = span
    this.#bytes = span === undefined ? undefined : bytes
    this.#text = span === undefined ? utf8(bytes) : undefined
    this.json = this.#text
  }

  get text(): string {
    if (this.#text === undefined) {
      this.#text = utf8(this.#bytes as Buffer | readonly Buffer[])
      this.#bytes = undefined
    }
    return this.#text
  }

  /** Sets a batched line's `json` from the string of its batch. */
  decoded(batch: string): void {
    if (this.#span !== undefined) this.json = batch.slice(this.#span.start, this.#span.end)
  }
}

function utf8(bytes: Buffer | readonly Buffer[]): string {
  if (Buffer.isBuffer(bytes)) return bytes.toString('utf8')
  // Buffer.concat copies even a single part.
  return bytes.length === 1 ? (bytes[0] as Buffer).toString('utf8') : Buffer.concat(bytes).toString('utf8')
}

/**
 * Splits bytes into lines itself, one `indexOf` pass and one decode per read chunk (json-text.ts), because split2 cannot do
 * what a loader needs: it decodes invalid UTF-8 to U+FFFD silently, its maxLength error carries no line number,
 * and it joins and re-splits a long line's text on every chunk (docs/facts.md: quadratic on long lines; on the
 * 1 GB mixed export, split2 alone took 3.4x as long as this splitter). The scanner counts lines, validates UTF-8
 * with `isUtf8` (simdutf in Node >= 18.14; a chunk's split multi-byte tail is carried to the next chunk), keeps
 * at most `maxLineLength` bytes of a line, and hands lines over `streaming.over` bytes to a LineStream.
 */
export class LineScanner {
  readonly #maxLineLength: number
  #offset = 0
  #line = 1
  #lineStart = 0
  #lineTooLong = false
  #carry: Buffer | undefined = undefined
  readonly #streaming: LineStreaming | undefined
  /** The current line's kept bytes in earlier chunks (views): its text, and what a stream opened late is fed. */
  #parts: Buffer[] = []
  #stream: LineStream | undefined = undefined
  #streamFailure: { ok: false; error: unknown } | undefined = undefined
  /** Undefined when no line is batched (batchLinesFrom Infinity): its 1 MB buffer is not allocated. */
  readonly #batch: JsonTextBatch | undefined
  readonly #batchLinesFrom: number

  /**
   * `origin`: the absolute line number and byte offset of the first byte scanned, so positions stay the file's
   * own when only a byte range of it is read (byte-range.ts). Default line 1, byte 0. `batchLinesFrom`: good
   * lines of at least this many bytes get their `json` from one JSON text batch per scan (json-text.ts), shorter
   * ones their UTF-8 text; Infinity batches none. Default 64 KiB: a shorter line's own string is a cheap young V8
   * object, and a batch that is not ~1 MB long must be padded to be external (on the 1 GB image export, ~4 KB lines,
   * batching every line cost 10 more CPU-seconds in 64 KiB reads and gained nothing in 1 MiB ones).
   */
  constructor(
    maxLineLength: number,
    origin: ScanOrigin = { line: 1, byteOffset: 0 },
    streaming?: LineStreaming,
    batchLinesFrom = 64 * 1024,
  ) {
    this.#maxLineLength = maxLineLength
    this.#streaming = streaming
    this.#batchLinesFrom = batchLinesFrom
    this.#batch = Number.isFinite(batchLinesFrom) ? new JsonTextBatch() : undefined
    this.#line = origin.line
    this.#offset = origin.byteOffset
    this.#lineStart = origin.byteOffset
  }

  /** Whether any line is decoded in a JSON text batch (batchLinesFrom is finite). */
  get batching(): boolean {
    return this.#batch !== undefined
  }

  /** The lines that end in `chunk`; the bytes of a line it does not end are kept (views) until one does. */
  scan(chunk: Buffer): ScannedLine[] {
    this.#validate(chunk)
    const lines: ScannedLine[] = []
    let pos = 0
    while (pos < chunk.length) {
      const nl = chunk.indexOf(newline, pos)
      if (nl === -1) {
        this.#take(chunk, pos, chunk.length)
        break
      }
      const end = this.#offset + nl
      // The common case, decoded straight from the chunk: a whole, short, valid line.
      if (this.#parts.length === 0 && this.#stream === undefined && !this.#lineTooLong && !this.#invalidBefore(end)) {
        const byteLength = end - this.#lineStart
        if (byteLength <= this.#maxLineLength && (this.#streaming === undefined || byteLength <= this.#streaming.over)) {
          lines.push(this.#goodLine(chunk.subarray(pos, nl), byteLength))
          this.#nextLine(end)
          pos = nl + 1
          continue
        }
      }
      this.#take(chunk, pos, nl)
      lines.push(this.#endLine(end))
      pos = nl + 1
    }
    this.#offset += chunk.length
    return this.#decoded(lines)
  }

  /** Call at the end of input: the last line may lack its newline, and a carried partial character is invalid. */
  end(): ScannedLine[] {
    if (this.#carry !== undefined) {
      this.#invalid.push(this.#offset - this.#carry.length)
      this.#carry = undefined
    }
    return this.#decoded(this.#offset > this.#lineStart ? [this.#endLine(this.#offset)] : [])
  }

  /** Frees an unfinished line stream (the input was destroyed mid-line). */
  destroy(): void {
    this.#abandonStream()
    this.#parts = []
  }

  #goodLine(bytes: Buffer | readonly Buffer[], byteLength: number): GoodLine {
    const span = byteLength >= this.#batchLinesFrom ? this.#batch?.add(bytes, this.#lineStart === 0) : undefined
    return new GoodLine(bytes, span, this.#line, this.#lineStart, byteLength)
  }

  /** Decodes the batch of the good lines among `lines`, which all came from one scan. */
  #decoded(lines: ScannedLine[]): ScannedLine[] {
    const batch = this.#batch?.take() ?? ''
    for (const line of lines) if (line instanceof GoodLine) line.decoded(batch)
    return lines
  }

  /** Takes `chunk[from, to)`, the next bytes of the current line. */
  #take(chunk: Buffer, from: number, to: number): void {
    if (from === to || this.#lineTooLong) return
    const before = this.#offset + from - this.#lineStart
    const after = this.#offset + to - this.#lineStart
    if (after > this.#maxLineLength) {
      // The text kept is the line's first `over` bytes once it would have streamed, else its first maxLineLength,
      // whether the read that crosses maxLineLength crossed `over` too or an earlier one did: a dead letter's text
      // must not depend on where reads were cut (a worker's reads start at its range).
      const over = this.#streaming?.over ?? Number.POSITIVE_INFINITY
      const keep = Math.min(over, this.#maxLineLength)
      if (this.#stream === undefined && before < keep) this.#parts.push(chunk.subarray(from, from + keep - before))
      this.#lineTooLong = true
      this.#abandonStream()
    } else if (this.#stream !== undefined) {
      this.#feed(chunk.subarray(from, to))
    } else if (this.#streaming !== undefined && after > this.#streaming.over) {
      this.#stream = this.#streaming.open(this.#line, this.#lineStart)
      for (const part of this.#parts) this.#feed(part)
      this.#feed(chunk.subarray(from, to))
      this.#parts.push(chunk.subarray(from, from + this.#streaming.over - before))
    } else {
      this.#parts.push(chunk.subarray(from, to))
    }
  }

  #feed(bytes: Buffer): void {
    if (this.#streamFailure !== undefined) return
    try {
      ;(this.#stream as LineStream).write(bytes)
    } catch (error) {
      // The line is bad: its result is this error; the rest of its bytes are skipped.
      this.#streamFailure = { ok: false, error }
      ;(this.#stream as LineStream).destroy()
    }
  }

  #abandonStream(): void {
    if (this.#stream !== undefined && this.#streamFailure === undefined) this.#stream.destroy()
    this.#stream = undefined
    this.#streamFailure = undefined
  }

  /** Whether an invalid byte not yet claimed lies before `end`. */
  #invalidBefore(end: number): boolean {
    return this.#invalid.length > 0 && (this.#invalid[0] as number) <= end
  }

  #endLine(end: number): ScannedLine {
    let invalidAt = -1
    while (this.#invalidBefore(end)) {
      const offset = this.#invalid.shift() as number
      if (invalidAt === -1) invalidAt = offset
    }
    const parts = this.#parts
    const at = { line: this.#line, byteOffset: this.#lineStart, byteLength: end - this.#lineStart }
    if (this.#stream === undefined && !this.#lineTooLong && invalidAt === -1) {
      const line = this.#goodLine(parts, at.byteLength)
      this.#nextLine(end)
      return line
    }
    const text = utf8(parts)
    let bad: BadLine
    if (this.#stream !== undefined && !this.#lineTooLong && invalidAt === -1) {
      let streamed: StreamedLine | undefined = this.#streamFailure
      if (streamed === undefined) {
        try {
          streamed = { ok: true, value: this.#stream.end() }
        } catch (error) {
          streamed = { ok: false, error }
        }
      }
      bad = { ...at, problem: 'streamed', badByteOffset: -1, streamed }
      this.#stream = undefined
      this.#streamFailure = undefined
    } else {
      bad = { ...at, problem: this.#lineTooLong ? 'too-long' : 'invalid-utf8', badByteOffset: invalidAt }
    }
    this.#abandonStream()
    this.#nextLine(end)
    return { json: undefined, text, ...at, bad }
  }

  #nextLine(end: number): void {
    this.#parts = []
    this.#line++
    this.#lineStart = end + 1
    this.#lineTooLong = false
  }

  /** Queues the absolute offset of every invalid byte in `chunk`; lines claim them as they end. */
  #validate(chunk: Buffer): void {
    let start = 0
    if (this.#carry !== undefined) {
      const carry = this.#carry
      this.#carry = undefined
      const need = sequenceLength(carry[0] as number) - carry.length
      let taken = 0
      while (taken < need && taken < chunk.length && ((chunk[taken] as number) & 0xc0) === 0x80) taken++
      const joined = Buffer.concat([carry, chunk.subarray(0, taken)])
      if (taken < need && taken === chunk.length) {
        this.#carry = joined
        return
      }
      // A complete, valid join consumed `taken` bytes; otherwise the carried lead is bad and the chunk is
      // checked from its start (a newline right after a cut-off lead byte ends that sequence).
      if (taken === need && isUtf8(joined)) start = taken
      else this.#invalid.push(this.#offset - carry.length)
    }
    let end = chunk.length
    const tail = incompleteTailStart(chunk)
    if (tail !== -1 && tail >= start) {
      this.#carry = Buffer.from(chunk.subarray(tail))
      end = tail
    }
    // isUtf8 is the fast path; the byte walk runs only for a chunk that holds a bad byte.
    if (start < end && !isUtf8(chunk.subarray(start, end))) {
      for (const bad of invalidOffsets(chunk, start, end)) this.#invalid.push(this.#offset + bad)
    }
  }

  // Absolute offsets of invalid bytes not yet claimed by a line, ascending.
  readonly #invalid: number[] = []
}

function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4
  if (lead >= 0xe0) return 3
  if (lead >= 0xc0) return 2
  return 1
}

/** Start of a multi-byte sequence cut off by the chunk's end, or -1. */
export function incompleteTailStart(chunk: Buffer): number {
  for (let i = chunk.length - 1; i >= 0 && i >= chunk.length - 3; i--) {
    const byte = chunk[i] as number
    if ((byte & 0xc0) === 0x80) continue
    if (byte >= 0xc0 && byte < 0xf8 && i + sequenceLength(byte) > chunk.length) return i
    return -1
  }
  return -1
}

/** Offsets (relative to the chunk) of every byte that starts an invalid sequence in [start, end). */
export function invalidOffsets(chunk: Buffer, start: number, end: number): number[] {
  const bad: number[] = []
  let i = start
  while (i < end) {
    const length = sequenceLength(chunk[i] as number)
    const isLead = ((chunk[i] as number) & 0xc0) !== 0x80 && (chunk[i] as number) < 0xf8
    if (isLead && i + length <= end && isUtf8(chunk.subarray(i, i + length))) i += length
    else {
      bad.push(i)
      i++
    }
  }
  return bad
}

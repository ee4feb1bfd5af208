import { isUtf8 } from 'node:buffer'

/** A line the scanner found bad before it reached the line splitter. */
export interface BadLine {
  /** 1-based line number. */
  readonly line: number
  readonly byteOffset: number
  /** The line's true length in bytes without its newline (a too-long line reaches the splitter truncated). */
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

/** Lines longer than `over` bytes go to a LineStream instead of whole to the splitter. */
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

/**
 * Watches the bytes on their way to split2, which can do neither of these itself: it decodes invalid UTF-8 to
 * U+FFFD silently, and its maxLength error carries no line number (docs/facts.md). The scanner counts lines,
 * validates UTF-8 with `isUtf8` (simdutf in Node >= 18.14; a chunk's split multi-byte tail is carried to the
 * next chunk) and truncates a line past `maxLineLength` bytes, so split2 never buffers more than that. Each bad
 * line is queued with its exact position before its bytes are forwarded; the consumer matches the queue against
 * the lines split2 gives back, in order.
 */
export class LineScanner {
  readonly #maxLineLength: number
  readonly #badLines: BadLine[] = []
  #offset = 0
  #line = 1
  #lineStart = 0
  #lineTooLong = false
  #carry: Buffer | undefined = undefined
  readonly #streaming: LineStreaming | undefined
  // The current line's bytes in earlier chunks (views), kept while it may still turn out to need streaming.
  #lineParts: Buffer[] = []
  #stream: LineStream | undefined = undefined
  #streamFailure: { ok: false; error: unknown } | undefined = undefined

  /**
   * `origin`: the absolute line number and byte offset of the first byte scanned, so positions stay the file's
   * own when only a byte range of it is read (byte-range.ts). Default line 1, byte 0.
   */
  constructor(maxLineLength: number, origin: ScanOrigin = { line: 1, byteOffset: 0 }, streaming?: LineStreaming) {
    this.#maxLineLength = maxLineLength
    this.#streaming = streaming
    this.#line = origin.line
    this.#offset = origin.byteOffset
    this.#lineStart = origin.byteOffset
  }

  /** Returns the parts of `chunk` to forward: all of it, except the bytes of a line past maxLineLength. */
  scan(chunk: Buffer): Buffer[] {
    this.#validate(chunk)
    const forward: Buffer[] = []
    let from = 0
    let pos = 0
    while (pos < chunk.length) {
      const nl = chunk.indexOf(newline, pos)
      const segmentEnd = nl === -1 ? chunk.length : nl
      const lineLengthAtEnd = this.#offset + segmentEnd - this.#lineStart
      if (!this.#lineTooLong && lineLengthAtEnd > this.#maxLineLength) {
        // Forward up to the limit, drop the rest of this line; the newline itself is forwarded below.
        const keep = this.#maxLineLength - (this.#offset + pos - this.#lineStart)
        forward.push(chunk.subarray(from, pos + keep))
        this.#lineTooLong = true
        from = segmentEnd
        this.#abandonStream()
      } else if (this.#lineTooLong) {
        from = segmentEnd
      } else if (this.#stream !== undefined) {
        this.#feed(chunk.subarray(pos, segmentEnd))
        from = segmentEnd
      } else if (this.#streaming !== undefined && lineLengthAtEnd > this.#streaming.over) {
        // Like a truncation: the splitter gets the line's first `over` bytes (its consumer only takes the
        // stream's result for that line); the stream gets the whole line, from its first byte.
        const keep = this.#streaming.over - (this.#offset + pos - this.#lineStart)
        forward.push(chunk.subarray(from, pos + keep))
        this.#stream = this.#streaming.open(this.#line, this.#lineStart)
        for (const part of this.#lineParts) this.#feed(part)
        this.#feed(chunk.subarray(pos, segmentEnd))
        from = segmentEnd
      }
      if (nl === -1) break
      this.#endLine(this.#offset + nl)
      pos = nl + 1
    }
    if (from < chunk.length) forward.push(from === 0 ? chunk : chunk.subarray(from))
    if (this.#streaming !== undefined && this.#stream === undefined && !this.#lineTooLong && pos < chunk.length) {
      this.#lineParts.push(chunk.subarray(pos))
    }
    this.#offset += chunk.length
    return forward
  }

  /** Frees an unfinished line stream (the input was destroyed mid-line). */
  destroy(): void {
    this.#abandonStream()
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
    this.#lineParts = []
  }

  /** Call at the end of input: the last line may lack its newline, and a carried partial character is invalid. */
  end(): void {
    if (this.#carry !== undefined) {
      this.#invalid.push(this.#offset - this.#carry.length)
      this.#carry = undefined
    }
    if (this.#offset > this.#lineStart) this.#endLine(this.#offset)
  }

  /** The oldest queued bad line, if it is `line`; removes it. */
  takeBadLine(line: number): BadLine | undefined {
    const first = this.#badLines[0]
    if (first === undefined || first.line !== line) return undefined
    this.#badLines.shift()
    return first
  }

  #endLine(end: number): void {
    let invalidAt = -1
    while (this.#invalid.length > 0 && (this.#invalid[0] as number) <= end) {
      const offset = this.#invalid.shift() as number
      if (invalidAt === -1) invalidAt = offset
    }
    if (this.#stream !== undefined && !this.#lineTooLong && invalidAt === -1) {
      let streamed: StreamedLine | undefined = this.#streamFailure
      if (streamed === undefined) {
        try {
          streamed = { ok: true, value: this.#stream.end() }
        } catch (error) {
          streamed = { ok: false, error }
        }
      }
      this.#badLines.push({
        line: this.#line,
        byteOffset: this.#lineStart,
        byteLength: end - this.#lineStart,
        problem: 'streamed',
        badByteOffset: -1,
        streamed,
      })
      this.#stream = undefined
      this.#streamFailure = undefined
    } else if (this.#lineTooLong || invalidAt !== -1) {
      this.#badLines.push({
        line: this.#line,
        byteOffset: this.#lineStart,
        byteLength: end - this.#lineStart,
        problem: this.#lineTooLong ? 'too-long' : 'invalid-utf8',
        badByteOffset: invalidAt,
      })
    }
    this.#abandonStream()
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
function incompleteTailStart(chunk: Buffer): number {
  for (let i = chunk.length - 1; i >= 0 && i >= chunk.length - 3; i--) {
    const byte = chunk[i] as number
    if ((byte & 0xc0) === 0x80) continue
    if (byte >= 0xc0 && byte < 0xf8 && i + sequenceLength(byte) > chunk.length) return i
    return -1
  }
  return -1
}

/** Offsets (relative to the chunk) of every byte that starts an invalid sequence in [start, end). */
function invalidOffsets(chunk: Buffer, start: number, end: number): number[] {
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

import { isAscii } from 'node:buffer'

// Why the v2 reader does not decode each line with toString('utf8') before JSON.parse (measured on this 2-core VM,
// Node 20.20, the 1 GB generated video export: lines of ~240 KB, most holding a few non-ASCII characters):
// - A string of 128 KB to 1 MB lives in V8's large-object space, on pages of its own that are mmap'd, faulted in
//   and unmapped again for every line: making a 240 KB string took 0.9 ms whether latin1 or UTF-8 (a 64 KB or a
//   1 MB one: under 0.02 ms per 64 KB). Decoding the lines was 6.3 s (20%) of a 31 s Parquet load.
// - One non-ASCII byte makes the line a two-byte string, twice its size, which JSON.parse reads more slowly.
// So the lines that end in one read chunk are written, as ASCII, into one buffer that is decoded once as latin1:
// from 0xFBEE9 bytes on, Node makes that an external string (its own malloc'd copy, no V8 page; EXTERN_APEX in
// src/string_bytes.cc), and each line is a slice of it (V8 slices strings without copying). Decoding + JSON.parse
// of the first 300 MB of that export: 3.1 s -> 1.2 s. Parsed values are copies: the batch string dies with its
// slices. If a later Node moved the threshold, only the speed would change.
//
// A non-ASCII character is written as \uXXXX escapes (two for a character beyond U+FFFF). Inside a JSON string,
// JSON.parse reads the escape as the same character; anywhere else a backslash is as invalid as the character
// was, and inside an escape (`\u0é`) it breaks the escape as the character did. The one place an escape would make
// invalid JSON valid is right after an unescaped backslash (`"\é"` is invalid, `"\\u00e9"` is not): such a line
// is not written here, and its reader parses its UTF-8 text instead.

/** The size from which Node decodes latin1 into an external string (src/string_bytes.cc EXTERN_APEX = 0xFBEE9). */
const externalStringBytes = 0xfbee9
/** Batches below this are decoded as they are: a string under 128 KB is an ordinary V8 heap object, cheap to make. */
const smallBatchBytes = 64 * 1024
/** The batch buffer kept between batches; one grown past this for a long line is dropped once decoded. */
const keptBatchBytes = 4 * 1024 * 1024
/**
 * Longer lines are left to their UTF-8 text: escapes can make a line's text 3 times its bytes, and a string has
 * at most 2^29 - 24 characters (a 180 MB line of 'é' would pass as UTF-8 and fail here). Lines over
 * readV2Export's streamLinesOver (default 8 MiB) never come here.
 */
const maxLineBytes = 64 * 1024 * 1024
/** Non-ASCII bytes are looked for in blocks of this size, each checked with isAscii (simdutf) first. */
const asciiBlockBytes = 4096

const backslash = 0x5c
const hexDigits = Buffer.from('0123456789abcdef', 'latin1')
const byteOrderMark = Buffer.from([0xef, 0xbb, 0xbf])

/** Where a line's JSON text sits in its batch's string. */
export interface JsonTextSpan {
  readonly start: number
  readonly end: number
}

/**
 * Lines of valid UTF-8, written as ASCII JSON text into one buffer and decoded together by `take()` (see above).
 * `add` returns where the line's text will be in the string `take` returns, or undefined for a line that must be
 * parsed from its UTF-8 text (a non-ASCII character right after an unescaped backslash, or a line over 64 MiB).
 */
export class JsonTextBatch {
  #out: Buffer = Buffer.allocUnsafe(Math.max(externalStringBytes, smallBatchBytes))
  #used = 0

  /**
   * Adds one line: its bytes, one view or several (a line that spans read chunks), without the newline. A UTF-8
   * byte order mark at its start is left out when `atInputStart` (it is not JSON; the reader skips it).
   */
  add(parts: Buffer | readonly Buffer[], atInputStart = false): JsonTextSpan | undefined {
    const views = Buffer.isBuffer(parts) ? [parts] : parts
    if (views.reduce((sum, view) => sum + view.length, 0) > maxLineBytes) return undefined
    const start = this.#used
    let end = start
    if (views.length > 1 && views.every((view) => isAscii(view))) {
      for (const view of views) {
        this.#reserve(end, view.length)
        end += view.copy(this.#out, end)
      }
    } else {
      // A multi-byte character (a byte order mark too) may be cut between two views: join them to see it whole.
      let line = views.length === 1 ? (views[0] as Buffer) : Buffer.concat(views)
      if (atInputStart && line.subarray(0, 3).equals(byteOrderMark)) line = line.subarray(3)
      end = this.#write(line, start)
      if (end === -1) return undefined
    }
    this.#used = end
    return { start, end }
  }

  /** The batch's lines as one string (spans index it), and an empty batch. */
  take(): string {
    const used = this.#used
    this.#used = 0
    if (used === 0) return ''
    // Past smallBatchBytes, decode at least externalStringBytes (the bytes after `used` are never read) so the
    // string is external, not a large-object page.
    const text = this.#out.toString('latin1', 0, used < smallBatchBytes ? used : Math.max(used, externalStringBytes))
    if (this.#out.length > keptBatchBytes) this.#out = Buffer.allocUnsafe(Math.max(externalStringBytes, smallBatchBytes))
    return text
  }

  /** Writes `line` at `at` as ASCII JSON text; returns the end, or -1 for a non-ASCII character after an unescaped backslash. */
  #write(line: Buffer, at: number): number {
    this.#reserve(at, line.length)
    if (isAscii(line)) return at + line.copy(this.#out, at)
    let copiedTo = 0
    for (let block = 0; block < line.length; block += asciiBlockBytes) {
      const blockEnd = Math.min(block + asciiBlockBytes, line.length)
      if (copiedTo >= blockEnd || isAscii(line.subarray(block, blockEnd))) continue
      for (let i = Math.max(block, copiedTo); i < blockEnd; i++) {
        if ((line[i] as number) < 0x80) continue
        let runEnd = i + 1
        while (runEnd < line.length && (line[runEnd] as number) >= 0x80) runEnd++
        if (oddBackslashesBefore(line, i)) return -1
        // A run of bytes >= 0x80 is whole characters: UTF-8 never puts an ASCII byte inside a character.
        const chars = line.toString('utf8', i, runEnd)
        // What is left of the line, its escapes counted: room reserved exactly, so the buffer stays near 1 MB.
        this.#reserve(at, i - copiedTo + 6 * chars.length + line.length - runEnd)
        at += line.copy(this.#out, at, copiedTo, i)
        for (let c = 0; c < chars.length; c++) at = writeEscape(this.#out, at, chars.charCodeAt(c))
        copiedTo = runEnd
        i = runEnd - 1
      }
    }
    return at + line.copy(this.#out, at, copiedTo)
  }

  /** Makes room for `bytes` more bytes at `at`, keeping what is written before it. */
  #reserve(at: number, bytes: number): void {
    if (at + bytes <= this.#out.length) return
    const grown = Buffer.allocUnsafe(Math.max(2 * this.#out.length, at + bytes))
    this.#out.copy(grown, 0, 0, at)
    this.#out = grown
  }
}

function oddBackslashesBefore(line: Buffer, i: number): boolean {
  let count = 0
  while (i - count - 1 >= 0 && line[i - count - 1] === backslash) count++
  return count % 2 === 1
}

/** Writes `\uXXXX` (lowercase hex) for one UTF-16 code unit. */
function writeEscape(out: Buffer, at: number, unit: number): number {
  out[at] = backslash
  out[at + 1] = 0x75 // u
  out[at + 2] = hexDigits[unit >> 12] as number
  out[at + 3] = hexDigits[(unit >> 8) & 0xf] as number
  out[at + 4] = hexDigits[(unit >> 4) & 0xf] as number
  out[at + 5] = hexDigits[unit & 0xf] as number
  return at + 6
}

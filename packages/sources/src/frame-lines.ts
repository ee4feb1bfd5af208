import type { Transform } from 'node:stream'
import { ExportFormatError, type V1Frame, v1Frame } from '@labelpipe/core'
import split2 from 'split2'
import { recordParser } from './parse-record.js'

const parseFrame = recordParser(v1Frame)

/**
 * The longest frames line split2 gathers, in characters. split2 re-splits a line's whole text on every chunk
 * (docs/facts.md: quadratic on long lines), so a body that is one long line (a JSON array, an HTML page) took
 * minutes and GBs (review repro: 50 MiB, 112 s at 866 MiB); at 8 Mi characters it stops after ~2 s. A frame's line
 * holds one frame's objects: kilobytes.
 */
export const maxFrameLineChars = 8 * 1024 * 1024

/** The line splitter of frames bodies and files: split2 with maxFrameLineChars (parseFrameLines names the line). */
export function frameLineSplitter(): Transform {
  return split2('\n', { maxLength: maxFrameLineChars })
}

/**
 * The frames of one v1 frames NDJSON body (formats.md "v1 video frames NDJSON"), from its lines as split2 gives
 * them: each JSON.parsed and validated with core's v1 frame schema, blank lines skipped; a bad line is an
 * ExportFormatError naming `file`, the line and its byte. `read.byteOffset` follows the lines, so a caller can name
 * where a read failed. Shared by the local and the HTTP frames resolvers.
 */
export async function* parseFrameLines(lines: AsyncIterable<string>, file: string, read: { byteOffset: number }): AsyncGenerator<V1Frame> {
  let line = 0
  try {
    for await (const text of lines) {
      const at = { file, line: ++line, byteOffset: read.byteOffset }
      read.byteOffset += Buffer.byteLength(text) + 1
      if (text.trim() === '') continue
      yield parseFrame(text, at)
    }
  } catch (error) {
    // split2's own message carries no position (docs/style.md: wrap it where the position is known).
    if (!(error instanceof Error) || error.message !== 'maximum buffer reached') throw error
    throw new ExportFormatError(
      `line ${line + 1} runs past ${maxFrameLineChars} characters without a newline: not v1 frames NDJSON (one frame a line)`,
      { at: { file, line: line + 1, byteOffset: read.byteOffset } },
    )
  }
}

import { type V1Frame, v1Frame } from '@labelpipe/core'
import { recordParser } from './parse-record.js'

const parseFrame = recordParser(v1Frame)

/**
 * The frames of one v1 frames NDJSON body (formats.md "v1 video frames NDJSON"), from its lines as split2 gives
 * them: each JSON.parsed and validated with core's v1 frame schema, blank lines skipped; a bad line is an
 * ExportFormatError naming `file`, the line and its byte. `read.byteOffset` follows the lines, so a caller can name
 * where a read failed. Shared by the local and the HTTP frames resolvers.
 */
export async function* parseFrameLines(lines: AsyncIterable<string>, file: string, read: { byteOffset: number }): AsyncGenerator<V1Frame> {
  let line = 0
  for await (const text of lines) {
    const at = { file, line: ++line, byteOffset: read.byteOffset }
    read.byteOffset += Buffer.byteLength(text) + 1
    if (text.trim() === '') continue
    yield parseFrame(text, at)
  }
}

import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream'
import { InputError, InvalidOptionError, isLabelpipeError, type V1Frame, type V1Label } from '@labelpipe/core'
import { frameLineSplitter, parseFrameLines } from './frame-lines.js'
import type { FramesResolver } from './frames-resolver.js'
import { utf8Checked } from './utf8-checked.js'

/**
 * The local FramesResolver: a label's frames are the NDJSON file `<dir>/<label ID>.ndjson`, one labeled frame
 * a line (formats.md "v1 video frames NDJSON"), as a download of each label's frames URL leaves them. Lines
 * are checked to be UTF-8 and split by split2, each JSON.parsed and validated with core's v1 frame schema; a bad line is an
 * ExportFormatError naming the file, line and byte. A missing file is an InputError, except for a skipped
 * label (`Skipped: true`), which has no frames: the 204 of the HTTP API.
 */
export function framesDirResolver(dir: string): FramesResolver {
  if (typeof dir !== 'string' || dir === '') throw new InvalidOptionError('dir', 'must be a non-empty path')
  return {
    async *frames(label: V1Label, signal: AbortSignal): AsyncGenerator<V1Frame> {
      const file = join(dir, `${label.ID}.ndjson`)
      try {
        await stat(file)
      } catch (error) {
        if (label.Skipped === true && (error as { code?: unknown }).code === 'ENOENT') return
        throw new InputError(file, 0, error)
      }
      yield* readFrames(file, signal)
    },
  }
}

async function* readFrames(file: string, signal: AbortSignal): AsyncGenerator<V1Frame> {
  const lines = frameLineSplitter()
  const bytes = createReadStream(file, { signal })
  pipeline(bytes, utf8Checked(file), lines, () => {})
  const read = { byteOffset: 0 }
  try {
    yield* parseFrameLines(lines as AsyncIterable<string>, file, read)
  } catch (error) {
    throw isLabelpipeError(error) ? error : new InputError(file, read.byteOffset, error)
  } finally {
    bytes.destroy()
    lines.destroy()
  }
}

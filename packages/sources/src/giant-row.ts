import {
  attachFrameStore,
  ExportFormatError,
  type FieldPath,
  frameNumber,
  frameStoreKey,
  frameStoreOf,
  LineTooLongError,
  type Position,
  type V2DataRow,
  v2DataRow,
  v2Frame,
} from '@labelpipe/core'
import { FrameSpool, type SpooledFrames } from './frame-spool.js'
import { JsonSplitError, type JsonSplitHandler, JsonSplitter, type SplitPattern } from './json-splitter.js'
import { recordParser } from './parse-record.js'

// Where a v2 line can be huge: the frames of a long video, of each DICOM group (formats.md). Everything else
// in a line (data row details, labels, segments, key frames) grows with the number of features, not frames.
const framesMaps: readonly SplitPattern[] = [
  ['projects', '*', 'labels', '#', 'annotations', 'frames'],
  ['projects', '*', 'labels', '#', 'annotations', 'groups', '*', 'frames'],
]

const parseDataRow = recordParser(v2DataRow)
const parseFrame = recordParser(v2Frame)

interface OpenFramesMap {
  readonly path: FieldPath
  readonly store: SpooledFrames
}

/**
 * The streaming parse of one v2 line too long for JSON.parse as a whole: the line's bytes go through a
 * JsonSplitter that takes each frame out of the frames maps; each frame is parsed and validated on its own
 * (the v2 frame schema, errors with the frame's field path and byte) and spooled to disk; the rest, the
 * header, is parsed and validated with the v2 data row schema once the line ends. The record it gives is
 * the data row with empty frames maps, each carrying a FrameStore (core's frame-store.ts) that the
 * expansion reads back frame by frame in ascending order: the same rows as the JSON.parse path, with memory
 * bounded by the header and 16 bytes a frame.
 *
 * A frame is parsed twice (once to validate, once to expand), so this path runs only above readV2Export's
 * `streamLinesOver`, where whole-line JSON.parse would hold the line several times over.
 */
export class GiantRowParser implements JsonSplitHandler {
  readonly #at: Position
  readonly #maxHeaderBytes: number
  #splitter: JsonSplitter
  #atLineStart = true
  readonly #spool: FrameSpool
  readonly #header: Buffer[] = []
  #headerBytes = 0
  readonly #maps: OpenFramesMap[] = []
  #open: OpenFramesMap | undefined = undefined
  #memberKey = ''
  #memberAt = 0
  readonly #member: Buffer[] = []
  // Where the splitter removed a frames map's content: header byte -> bytes removed before it, for offsets.
  readonly #cuts: { headerByte: number; removed: number }[] = []
  #mapStart = 0

  /** `at`: the line's position; `maxHeaderBytes`: the most the non-frame part of the line may hold. */
  constructor(at: Position, maxHeaderBytes: number, spoolDir?: string) {
    this.#at = at
    this.#maxHeaderBytes = maxHeaderBytes
    this.#splitter = new JsonSplitter(framesMaps, this, at.byteOffset)
    this.#spool = new FrameSpool(spoolDir)
  }

  /** Feeds the next bytes of the line; throws ExportFormatError (or LineTooLongError for the header) on bad input. */
  write(bytes: Buffer): void {
    if (this.#atLineStart) {
      this.#atLineStart = false
      // A UTF-8 byte order mark on the first line is not JSON; readV2Export skips it there too.
      if (this.#at.line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        this.#splitter = new JsonSplitter(framesMaps, this, this.#at.byteOffset + 3)
        bytes = bytes.subarray(3)
      }
    }
    try {
      this.#splitter.write(bytes)
    } catch (error) {
      throw this.#located(error)
    }
  }

  /** The line has ended: the data row, with each frames map backed by its store. */
  end(): V2DataRow {
    try {
      this.#splitter.end()
    } catch (error) {
      throw this.#located(error)
    }
    this.#spool.seal()
    const header = Buffer.concat(this.#header).toString('utf8')
    const record = parseDataRow(header, this.#at, () => ({ path: [], byteAt: (byte) => this.#lineByte(byte) }))
    for (const map of this.#maps) {
      let node: unknown = record
      for (const key of map.path) node = node === null || typeof node !== 'object' ? undefined : (node as Record<string, unknown>)[key]
      if (node === null || typeof node !== 'object') {
        map.store.release()
        continue
      }
      // A frames key written twice in one object: JSON.parse keeps the last map, and so does this.
      const earlier = frameStoreOf(node)
      if (earlier !== undefined) {
        earlier.release()
        delete (node as { [frameStoreKey]?: unknown })[frameStoreKey]
      }
      // An empty map stays a plain `{}`, as JSON.parse gives it; its store is freed at once.
      if (map.store.size + map.store.invalidKeys === 0) map.store.release()
      else attachFrameStore(node, map.store)
    }
    return record
  }

  /** Frees the spool of a line that failed or was abandoned; stores already handed out keep working until released. */
  destroy(): void {
    for (const map of this.#maps) map.store.release()
    this.#spool.close()
  }

  headerBytes(bytes: Buffer): void {
    this.#headerBytes += bytes.length
    if (this.#headerBytes > this.#maxHeaderBytes) {
      throw new LineTooLongError(this.#maxHeaderBytes, this.#at, 'maxHeaderBytes outside its frames maps')
    }
    this.#header.push(Buffer.from(bytes))
  }

  targetOpen(path: readonly (string | number)[], byteOffset: number): void {
    this.#open = { path, store: this.#spool.newStore() }
    this.#maps.push(this.#open)
    this.#mapStart = byteOffset + 1
  }

  memberStart(key: string | number, byteOffset: number): void {
    this.#memberKey = String(key)
    this.#memberAt = byteOffset
    this.#member.length = 0
  }

  memberBytes(bytes: Buffer): void {
    this.#member.push(Buffer.from(bytes))
  }

  memberEnd(): void {
    const map = this.#open as OpenFramesMap
    const bytes = this.#member.length === 1 ? (this.#member[0] as Buffer) : Buffer.concat(this.#member)
    const key = this.#memberKey
    const at = this.#memberAt
    // As the JSON.parse path: zod's record neither checks nor copies a `__proto__` key (compile-validator.ts's
    // decision), so that frame is not in the record there, and must not be here.
    if (key === '__proto__') return
    // Validated here, where a bad frame can still fail (or dead-letter) the whole line before any row exists.
    parseFrame(bytes.toString('utf8'), this.#at, () => ({ path: [...map.path, key], byteAt: (byte) => at + byte }))
    const frame = frameNumber(key)
    if (frame < 0) map.store.countInvalidKey()
    else map.store.add(frame, bytes)
  }

  targetClose(byteOffset: number): void {
    const removed = (this.#cuts.at(-1)?.removed ?? 0) + byteOffset - this.#mapStart
    this.#cuts.push({ headerByte: this.#headerBytes, removed })
    this.#open = undefined
  }

  #lineByte(headerByte: number): number {
    let removed = 0
    for (const cut of this.#cuts) {
      if (cut.headerByte > headerByte) break
      removed = cut.removed
    }
    return this.#at.byteOffset + headerByte + removed
  }

  #located(error: unknown): unknown {
    if (!(error instanceof JsonSplitError)) return error
    return new ExportFormatError(`invalid JSON: ${error.message}`, { at: this.#at, cause: error })
  }
}

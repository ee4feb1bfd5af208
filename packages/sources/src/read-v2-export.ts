import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import {
  type Batch,
  type DeadLetterSink,
  InputError,
  InvalidOptionError,
  InvalidUtf8Error,
  isLabelpipeError,
  type LabelpipeError,
  LineTooLongError,
  type Located,
  type PipelineSource,
  type Position,
  type SourceProgress,
  UnsupportedFormatError,
  type V2DataRow,
  v2DataRow,
} from '@labelpipe/core'
import { z } from 'zod'
import type { ByteRange } from './byte-range.js'
import { detectExportFormat, detectionHeadBytes } from './detect-format.js'
import { GiantRowParser } from './giant-row.js'
import { InputBytes } from './input-bytes.js'
import { averageLineBytes } from './line-sample.js'
import { type BadLine, LineScanner, type ScannedLine } from './line-scanner.js'
import { type PartOfRecord, recordParser } from './parse-record.js'
import { DeadLetterPolicy, parseReaderOptions } from './reader-options.js'

export interface ReadV2ExportOptions {
  /** Longest line accepted, in bytes, newline excluded. Default: no limit (long lines are streamed, see below). */
  readonly maxLineLength?: number
  /**
   * Lines longer than this many bytes are not parsed whole: the giant-line path (giant-row.ts) streams the
   * line, takes each frame of its frames maps out, validates it and spools it to a temp file, and gives a
   * record whose frames maps are empty and backed by a FrameStore (core's `frameStoreOf`); flattenDataRows
   * reads them back frame by frame. Memory then grows with the line's non-frame part and 16 bytes a frame,
   * not with the line. Default 8 MiB: a line parsed whole is held as bytes, as a string and as JSON.parse's
   * objects, several times its size.
   */
  readonly streamLinesOver?: number
  /** For a streamed line: the most bytes it may hold outside its frames maps. Default 64 MiB. */
  readonly maxHeaderBytes?: number
  /** Bad lines to dead-letter before failing the run. Default 0: the first bad line fails the run. */
  readonly maxErrors?: number
  /** Where bad lines go while under `maxErrors`; required when `maxErrors` > 0. */
  readonly deadLetters?: DeadLetterSink
  /**
   * Data rows per batch. Default 128; a batch is also cut at 1 MiB of lines, so large rows do not pile up
   * (1 GB of 240 KB video rows to Parquet: 4 MiB batches peaked at 385 MiB RSS, 1 MiB batches at 290 MiB).
   * Each data row flattens to tens of table rows, so fewer rows in flight keep fewer objects alive across
   * garbage collections: on a 1 GB image export to Parquet, 128 instead of 512 took peak RSS from 306 to
   * 228 MB and the run from 28.2 to 25.1 s.
   */
  readonly batchSize?: number
  /** Name used in positions and errors. Default: the path, or `-` for a stream (stdin). */
  readonly name?: string
  /**
   * How lines become JSON.parse's strings. `'batched'`: files are read 1 MiB at a time, and the lines of 64 KiB or
   * more that end in one read are written together into one string, non-ASCII characters as \u escapes, which
   * V8 makes without the large-object pages a 128 KB-1 MB string costs (json-text.ts). `'per-line'`: 64 KiB reads,
   * each line its own UTF-8 string. `'auto'` (default): batched when the file's lines average 16 KiB or more
   * (averageLineBytes: video, mixed exports), else per line; a stream (stdin) per line, its chunks being its own,
   * and a gzip file too (its compressed bytes say nothing of its lines).
   * On the 1 GB generated video export (~240 KB lines) batched took a one-thread load to Parquet from 29.3-32.5 s
   * to 23.9-27.7 s and to NDJSON from 34.2 to 28.4 s, for 15-25 MiB more peak RSS (1 MiB reads, and batch strings
   * that live outside V8's heap until a collection frees them). `labelpipe load --workers` reads per line: with both
   * cores busy batched gained little, and two workers are at the edge of the 300 MB budget (worker-memory.ts).
   */
  readonly lineDecoding?: 'auto' | 'batched' | 'per-line'
  /**
   * Read only the lines that start in bytes `[start, end)` of the file (byte-range.ts), for worker threads or
   * machines that split one export. File paths only, never gzip (InvalidOptionError). Positions and errors
   * keep the file's absolute line numbers and byte offsets; progress is reported against the range. Default:
   * the whole input.
   */
  readonly range?: ByteRange
  /**
   * A dead-letter count shared by readers of one run (element 0 of an Int32Array over a SharedArrayBuffer), so
   * `maxErrors` bounds the run, not each reader. Default: this reader counts alone.
   */
  readonly sharedErrorCount?: Int32Array
}

const optionsSchema = z.object({
  maxLineLength: z.number().int().positive().default(Number.MAX_SAFE_INTEGER),
  streamLinesOver: z
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  maxHeaderBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  maxErrors: z.number().int().nonnegative().default(0),
  deadLetters: z.custom<DeadLetterSink>((value) => typeof value === 'function').optional(),
  batchSize: z.number().int().positive().default(128),
  name: z.string().min(1).optional(),
  range: z
    .object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() })
    .refine((range) => range.start <= range.end, 'start must not be after end')
    .optional(),
  sharedErrorCount: z.instanceof(Int32Array).optional(),
  lineDecoding: z.enum(['auto', 'batched', 'per-line']).default('auto'),
})

const batchBytes = 1024 * 1024
/** Reads of batched decoding: the long lines ending in one read become one string, cheapest from ~1 MB on. */
const batchedReadBytes = 1024 * 1024
/** `lineDecoding: 'auto'` reads 1 MiB at a time from this average line length on (video; the mixed export: 37 KB). */
const longLineBytes = 16 * 1024
const parseDataRow = recordParser(v2DataRow)
/** EF BB BF: the UTF-8 byte order mark. */
const byteOrderMarkBytes = 3

/** Counts kept while reading; at the end, nonBlankLines = records + deadLetters (asserted). */
export interface V2ReadStats {
  readonly lines: number
  readonly blankLines: number
  readonly records: number
  readonly deadLetters: number
}

/**
 * Reads an Export v2 NDJSON file (or stream; `.gz` or not, decided by content), one data row per line,
 * validated once with the v2 zod schema. Iterating yields batches of located data rows.
 */
export function readV2Export(input: string | Readable, options: ReadV2ExportOptions = {}): V2ExportReader {
  const opts = parseReaderOptions(optionsSchema, input, options)
  if (opts.range !== undefined && typeof input !== 'string') {
    input.destroy()
    throw new InvalidOptionError('range', 'needs a file path: a stream cannot be read from a byte offset')
  }
  const name = opts.name ?? (typeof input === 'string' ? input : '-')
  return new V2ExportReader(new InputBytes(input, name, opts.range), Object.freeze({ ...opts, name }))
}

type ParsedOptions = z.infer<typeof optionsSchema> & { readonly name: string }

export class V2ExportReader implements PipelineSource<V2DataRow> {
  readonly name = 'readV2Export'
  readonly #input: InputBytes
  readonly #options: ParsedOptions
  readonly #badRecords: DeadLetterPolicy
  #lines = 0
  #blankLines = 0
  #records = 0

  /** @internal use readV2Export() */
  constructor(input: InputBytes, options: ParsedOptions) {
    this.#input = input
    this.#options = options
    this.#badRecords = new DeadLetterPolicy(options)
  }

  get stats(): V2ReadStats {
    return { lines: this.#lines, blankLines: this.#blankLines, records: this.#records, deadLetters: this.#badRecords.count }
  }

  destroy(error: Error): void {
    this.#input.destroy(error)
  }

  progress(): SourceProgress {
    return { bytesRead: this.#input.rawBytesRead, totalBytes: this.#input.totalBytes }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch<V2DataRow>> {
    const { batchSize, maxLineLength, streamLinesOver, maxHeaderBytes } = this.#options
    const file = this.#options.name
    // A byte range starts at its first whole line; positions stay the file's own (byte-range.ts).
    const ready = async () => [await this.#input.origin(), await this.#batched()] as const
    const [origin, batched] = await ready().catch((error: unknown) => {
      throw isLabelpipeError(error) ? error : new InputError(file, this.#options.range?.start ?? 0, error)
    })
    const scanner = new LineScanner(
      maxLineLength,
      origin,
      { over: streamLinesOver, open: (line, byteOffset) => new GiantRowParser({ file, line, byteOffset }, maxHeaderBytes) },
      batched ? undefined : Number.POSITIVE_INFINITY,
    )
    let offset = origin.byteOffset
    let batch: Located<V2DataRow>[] = []
    let bytesInBatch = 0
    try {
      for await (const lines of this.#scannedLines(scanner, origin.byteOffset === 0)) {
        for (const scanned of lines) {
          const at: Position = { file, line: scanned.line, byteOffset: scanned.byteOffset }
          // Where reading is if what follows fails: past this line.
          offset = scanned.byteOffset + scanned.byteLength + 1
          this.#lines++
          // A good line is parsed from its ASCII JSON text (json-text.ts: the same value, decoded 2.6x faster), with
          // no await on the way. A blank line, or one that fails there, is looked at again as its UTF-8 text, so
          // blank lines, errors and dead letters are exactly those of the text.
          const { json } = scanned
          let record: V2DataRow | undefined
          let failure: unknown
          if (json !== undefined && !isBlank(json)) {
            try {
              record = parseDataRow(json, at)
            } catch (error) {
              failure = error
            }
          }
          record ??= await this.#recordFromText(scanned, at, failure)
          if (record === undefined) continue
          this.#records++
          batch.push({ value: record, at })
          bytesInBatch += scanned.byteLength
          if (batch.length >= batchSize || bytesInBatch >= batchBytes) {
            yield batch
            batch = []
            bytesInBatch = 0
          }
        }
      }
      if (batch.length > 0) yield batch
    } catch (error) {
      throw isLabelpipeError(error) ? error : new InputError(file, offset, error)
    } finally {
      scanner.destroy()
    }
    if (this.#lines - this.#blankLines !== this.#records + this.#badRecords.count) {
      throw new Error(
        `labelpipe bug: ${this.#lines - this.#blankLines} lines but ${this.#records} records + ${this.#badRecords.count} dead letters`,
      )
    }
  }

  /**
   * The record of a line that has no JSON text (bad or streamed) or failed or was blank there (`failure`: what its
   * JSON text failed with), from its UTF-8 text; undefined for a blank line or a dead letter.
   */
  async #recordFromText(scanned: ScannedLine, at: Position, failure: unknown): Promise<V2DataRow | undefined> {
    const { bad, json } = scanned
    let text = scanned.text
    // A UTF-8 byte order mark (Windows tools write one) is not JSON; its 3 bytes still count in offsets: the
    // record keeps its line's start, and a syntax error names its byte past the mark.
    let afterMark: (() => PartOfRecord) | undefined
    if (at.line === 1 && text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1)
      afterMark = () => ({ path: [], byteAt: (byte) => at.byteOffset + byteOrderMarkBytes + byte })
    }
    if (bad?.streamed !== undefined) {
      // A streamed line: `text` is only its first streamLinesOver bytes, the record came from the stream.
      if (!bad.streamed.ok) {
        if (!isLabelpipeError(bad.streamed.error)) throw bad.streamed.error
        await this.#badRecords.reject(bad.streamed.error, text)
        return undefined
      }
      return bad.streamed.value as V2DataRow
    }
    if (bad !== undefined) {
      await this.#badRecords.reject(badLineError(bad, this.#options.maxLineLength, at), text)
      return undefined
    }
    if (isBlank(text)) {
      this.#blankLines++
      return undefined
    }
    try {
      // A line decoded on its own has its text as `json`: its failure stands, parsing it again would repeat it.
      if (failure !== undefined && text === json) throw failure
      return parseDataRow(text, at, afterMark)
    } catch (error) {
      if (!isLabelpipeError(error)) throw error
      await this.#badRecords.reject(error, text)
      return undefined
    }
  }

  /**
   * The input's lines, a chunk's worth at a time; the input is destroyed however iteration ends. The format is
   * checked where the file starts (`atFileStart`): a byte range further in starts at some line of it, which says
   * nothing of the file's format (a line there starting with `[` is a bad line, as in a whole read).
   */
  async *#scannedLines(scanner: LineScanner, atFileStart: boolean): AsyncGenerator<ScannedLine[]> {
    let checked = !atFileStart
    let head: Buffer = Buffer.alloc(0)
    for await (const chunk of this.#input.chunks(scanner.batching ? batchedReadBytes : undefined)) {
      if (!checked) {
        // Decide the format from the first 64 KiB (or the whole input if smaller) before any line is parsed.
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
        if (head.length < detectionHeadBytes) continue
        checked = true
        yield this.#scanHead(scanner, head)
        continue
      }
      yield scanner.scan(chunk)
    }
    if (!checked) yield this.#scanHead(scanner, head)
    yield scanner.end()
  }

  /** Whether long lines are decoded in batches (see lineDecoding). */
  async #batched(): Promise<boolean> {
    const { lineDecoding, range } = this.#options
    const path = this.#input.path
    if (lineDecoding === 'per-line' || path === undefined) return false
    if (lineDecoding === 'batched') return true
    // Only a regular file is sampled: opening a FIFO would wait for its writer, and reading it would eat its bytes.
    // A gzip file is sampled too, as it is: compressed bytes hold a newline byte every ~256 bytes, far under
    // longLineBytes, so it is read per line (what its chunks, inflated at zlib's size, suit).
    return (await stat(path)).isFile() && (await averageLineBytes(path, range)) >= longLineBytes
  }

  #scanHead(scanner: LineScanner, head: Buffer): ScannedLine[] {
    // The first 64 KiB only, however much the first reads brought (1 MiB when batched): what is past it is lines.
    if (detectExportFormat(head.subarray(0, detectionHeadBytes)) === 'v1') {
      throw new UnsupportedFormatError(
        'this is an Export v1 file (label-centric JSON); readV2Export reads Export v2 NDJSON, one data row per line',
        { at: { file: this.#options.name, line: 1, byteOffset: 0 } },
      )
    }
    return scanner.scan(head)
  }
}

function badLineError(bad: BadLine, maxLineLength: number, at: Position): LabelpipeError {
  return bad.problem === 'too-long' ? new LineTooLongError(maxLineLength, at) : new InvalidUtf8Error(bad.badByteOffset, at)
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0xfeff) return false
  }
  return true
}

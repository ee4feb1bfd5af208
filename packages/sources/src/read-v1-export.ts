import type { Readable } from 'node:stream'
import {
  type Batch,
  type DeadLetterSink,
  ExportFormatError,
  InputError,
  InvalidUtf8Error,
  isLabelpipeError,
  type Located,
  type PipelineSource,
  type Position,
  type SourceProgress,
  UnsupportedFormatError,
  type V1Label,
  v1Label,
} from '@labelpipe/core'
import { z } from 'zod'
import { type ArrayElement, ArrayElements } from './array-elements.js'
import { detectExportFormat, detectionHeadBytes } from './detect-format.js'
import { InputBytes } from './input-bytes.js'
import { JsonSplitError } from './json-splitter.js'
import { recordParser } from './parse-record.js'
import { DeadLetterPolicy, parseReaderOptions } from './reader-options.js'

//   file / stream ─▶ InputBytes (gunzip by magic) ─chunks─▶ ArrayElements (JsonSplitter, root pattern `[]`)
//        ─element text + index, line, byte─▶ recordParser(v1Label): JSON.parse + compiled zod check ─▶ batches

export interface ReadV1ExportOptions {
  /** Bad elements to dead-letter before failing the run. Default 0: the first bad element fails the run. */
  readonly maxErrors?: number
  /** Where bad elements go while under `maxErrors`; required when `maxErrors` > 0. */
  readonly deadLetters?: DeadLetterSink
  /** Labels per batch. Default 128, also cut at 1 MiB of element text (readV2Export's reasons). */
  readonly batchSize?: number
  /** Name used in positions and errors. Default: the path, or `-` for a stream (stdin). */
  readonly name?: string
  /**
   * Longest element accepted, in bytes. Default 256 MiB: an element is one JSON.parse, and V8 strings end
   * at 512 MiB (docs/facts.md) with the parse holding several times the text. A longer element (a video
   * label with millions of inlined frames) is out of scope: it is a bad element (dead-lettered under
   * `maxErrors`, its raw text left empty) whose error names its index.
   */
  readonly maxElementBytes?: number
}

const optionsSchema = z.object({
  maxErrors: z.number().int().nonnegative().default(0),
  deadLetters: z.custom<DeadLetterSink>((value) => typeof value === 'function').optional(),
  batchSize: z.number().int().positive().default(128),
  name: z.string().min(1).optional(),
  maxElementBytes: z
    .number()
    .int()
    .positive()
    .max(256 * 1024 * 1024)
    .default(256 * 1024 * 1024),
})

type ParsedOptions = z.infer<typeof optionsSchema> & { readonly name: string }

const batchBytes = 1024 * 1024
const parseLabel = recordParser(v1Label)

/** Counts kept while reading; at the end, elements = records + deadLetters (asserted). */
export interface V1ReadStats {
  /** Array elements met (a truncated last one included). */
  readonly elements: number
  readonly records: number
  readonly deadLetters: number
}

/**
 * Reads an Export v1 file (or stream; gzip or not, decided by content): the top-level JSON array of labels,
 * one label at a time, each JSON.parsed and validated once with core's v1 label schema. Iterating yields
 * batches of located labels; a label's position is the 1-based line and the byte offset of its first byte,
 * plus its array index (`Position.arrayIndex`). A root object (one label, as the SDK's samples) is read as
 * one label. Memory holds one batch, whatever the file size.
 *
 * Errors: a bad element (invalid JSON inside it, or not a v1 label) is an ExportFormatError naming its
 * index, line, byte and field path, dead-lettered under `maxErrors`. A broken array structure between
 * elements cannot be resynchronised and always fails the run. An array cut short (a truncated file) fails
 * after every complete element before it was yielded, naming the index it stopped in; under `maxErrors`
 * the partial element is dead-lettered and the read ends normally.
 */
export function readV1Export(input: string | Readable, options: ReadV1ExportOptions = {}): V1ExportReader {
  const opts = parseReaderOptions(optionsSchema, input, options)
  const name = opts.name ?? (typeof input === 'string' ? input : '-')
  return new V1ExportReader(new InputBytes(input, name), Object.freeze({ ...opts, name }))
}

/** The source readV1Export returns: a PipelineSource of located v1 labels, with `stats`. */
export class V1ExportReader implements PipelineSource<V1Label> {
  readonly name = 'readV1Export'
  readonly #input: InputBytes
  readonly #options: ParsedOptions
  readonly #badRecords: DeadLetterPolicy
  #elements = 0
  #records = 0

  /** @internal use readV1Export() */
  constructor(input: InputBytes, options: ParsedOptions) {
    this.#input = input
    this.#options = options
    this.#badRecords = new DeadLetterPolicy(options)
  }

  get stats(): V1ReadStats {
    return { elements: this.#elements, records: this.#records, deadLetters: this.#badRecords.count }
  }

  destroy(error: Error): void {
    this.#input.destroy(error)
  }

  progress(): SourceProgress {
    return { bytesRead: this.#input.rawBytesRead, totalBytes: this.#input.totalBytes }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch<V1Label>> {
    const { batchSize, maxElementBytes } = this.#options
    const file = this.#options.name
    const elements = new ArrayElements(maxElementBytes)
    let batch: Located<V1Label>[] = []
    let textInBatch = 0
    let offset = 0
    const take = async (ready: readonly ArrayElement[]): Promise<boolean> => {
      for (const element of ready) {
        this.#elements++
        const at: Position = { file, line: element.line, byteOffset: element.byteOffset, arrayIndex: element.index }
        if (element.oversized) {
          const error = new ExportFormatError(
            `the element is ${element.byteLength} bytes, more than maxElementBytes (${maxElementBytes}): one JSON.parse cannot take it`,
            { at },
          )
          await this.#badRecords.reject(error, '')
          continue
        }
        if (element.invalidUtf8At !== undefined) {
          await this.#badRecords.reject(new InvalidUtf8Error(element.invalidUtf8At, at), element.text)
          continue
        }
        let label: V1Label
        try {
          label = parseLabel(element.text, at)
        } catch (error) {
          if (!isLabelpipeError(error)) throw error
          await this.#badRecords.reject(error, element.text)
          continue
        }
        this.#records++
        batch.push({ value: label, at })
        textInBatch += element.text.length
      }
      return batch.length >= batchSize || textInBatch >= batchBytes
    }
    try {
      for await (const chunk of this.#input.chunks()) {
        // The v2 reader's check, the other way round: an Export v2 file would fail as "expected nothing after the
        // JSON value" at its second data row, which says nothing of what is wrong.
        if (offset === 0 && detectExportFormat(chunk.subarray(0, detectionHeadBytes)) === 'v2') {
          throw new UnsupportedFormatError(
            'this is an Export v2 file (NDJSON, one data row per line); readV1Export reads Export v1 (a JSON array of labels): load it with `labelpipe load`',
            { at: { file, line: 1, byteOffset: 0 } },
          )
        }
        let ready: ArrayElement[]
        try {
          ready = elements.write(chunk)
        } catch (error) {
          // The elements completed before the break are good: hand them on first.
          await take(elements.drain())
          if (batch.length > 0) yield batch
          batch = []
          throw this.#structureError(error, elements)
        }
        offset += chunk.length
        if (await take(ready)) {
          yield batch
          batch = []
          textInBatch = 0
        }
      }
      let last: ArrayElement[] = []
      let truncated: unknown
      try {
        last = elements.end()
      } catch (error) {
        last = elements.drain()
        truncated = this.#structureError(error, elements)
      }
      await take(last)
      // Every complete element is handed on before the truncation is reported (issue 4).
      if (batch.length > 0) yield batch
      batch = []
      if (truncated !== undefined) {
        const partial = elements.unfinished()
        if (partial === undefined || !isLabelpipeError(truncated)) throw truncated
        this.#elements++
        await this.#badRecords.reject(truncated, partial.text)
      }
    } catch (error) {
      throw isLabelpipeError(error) ? error : new InputError(file, offset, error)
    }
    if (this.#elements !== this.#records + this.#badRecords.count) {
      throw new Error(`labelpipe bug: ${this.#elements} elements but ${this.#records} records + ${this.#badRecords.count} dead letters`)
    }
  }

  /** A JsonSplitError (structure broken, or the text ends early) located at the element it happened in. */
  #structureError(error: unknown, elements: ArrayElements): unknown {
    if (!(error instanceof JsonSplitError)) return error
    const file = this.#options.name
    const cutShort = /ends inside/.test(error.message)
    const partial = elements.unfinished()
    if (partial !== undefined) {
      const at: Position = { file, line: partial.line, byteOffset: partial.byteOffset, arrayIndex: partial.index }
      const detail = cutShort
        ? `the array is cut short inside this element (${error.message}): the ${partial.index} elements before it were read`
        : `invalid JSON: ${error.message}`
      return new ExportFormatError(detail, { at, cause: error })
    }
    // Between elements: the position is the byte where it broke, the index the element that would come next.
    const at: Position = { file, line: elements.lineOf(error.byteOffset), byteOffset: error.byteOffset, arrayIndex: elements.started }
    const detail = cutShort
      ? `the array is cut short after ${elements.started} elements (${error.message}): every complete element was read`
      : `invalid JSON array: ${error.message}`
    return new ExportFormatError(detail, { at, cause: error })
  }
}

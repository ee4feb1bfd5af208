import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { InvalidOptionError } from '@labelpipe/core'
import { GenerateContext, type GeneratedTableCounts } from './generate-context.js'
import { type RowMedia, writeDataRow } from './generate-row.js'

// A deterministic synthetic Labelbox Export v2 (NDJSON, docs/formats.md) for benchmarks and tests:
//
//   options --resolve--> GenerateContext (Prng, cuids, World, ChunkBuffer, counts)
//        writeDataRow* --strings--> ChunkBuffer --Buffer chunks--> sync generator --_read--> V2ExportStream
//
// Same options, same bytes: all randomness comes from one seeded Prng, nothing reads the clock. The output
// is produced lazily, one chunk per _read, so memory stays flat for any size, including a single video line
// of a gigabyte (frames are written one at a time; see generate-frames.ts).

export type GeneratedMedia = 'image' | 'video' | 'dicom' | 'mixed'

export interface GenerateV2Options {
  /** Seed of the PRNG, an integer from 0 to 2^32-1. Default 1. */
  readonly seed?: number | undefined
  /** Media of the data rows; 'mixed' draws each row (85% image, 10% video, 5% DICOM). Default 'image'. */
  readonly media?: GeneratedMedia | undefined
  /** Stop after the line that makes the output reach this many bytes. Exclusive with dataRows. */
  readonly targetBytes?: number | undefined
  /** Exactly this many data rows (lines). Default 1000 when targetBytes is not given. */
  readonly dataRows?: number | undefined
  /**
   * Frames of every video, and of every DICOM plane. Above 10,000 a row is labelled once (one project, one
   * label), so a line holds 0.25-1.1 KB per frame depending on the seed (its 2-4 tracks and their coverage):
   * `media: 'video', dataRows: 1, framesPerVideo: 1_300_000` is a ~1 GB line with seed 1 (2,000,000: 1.58 GB).
   * Default 300.
   */
  readonly framesPerVideo?: number | undefined
  /**
   * Write classifications inside video/DICOM frames (a frame-level question, and a question on frame objects).
   * They are counted in `stats.frameClassifications`, not in `stats.tables`. Default true.
   */
  readonly frameClassifications?: boolean | undefined
  /** Approximate size in bytes of the emitted chunks (ASCII-dominated text). Default 65536. */
  readonly chunkSize?: number | undefined
}

export interface GeneratedStats {
  readonly seed: number
  readonly media: GeneratedMedia
  /** UTF-8 bytes of the export, newlines included. */
  readonly bytes: number
  /** Lines written, one per data row. */
  readonly dataRows: number
  /**
   * Rows each warehouse table should receive: one per data row; metadata value (a multi-valued enum: one
   * per option); attachment; (project, data row); workflow history entry; label; review; object of
   * non-frame media; classification answer (radio 1, checklist 1 per selected option, text 1, at any depth,
   * global and object-nested on non-frame media, global only on video/DICOM); relationship; and on
   * video/DICOM one per (label, group, frame, feature) object, per segment and per key frame entry.
   */
  readonly tables: GeneratedTableCounts
  /** Video/DICOM features: docs/schema.md's `objects` has one row per track, `tables.objects` counts none. */
  readonly tracks: number
  /** Classification answers inside video/DICOM frames, outside `tables.classifications`. */
  readonly frameClassifications: number
}

interface ResolvedOptions {
  readonly seed: number
  readonly media: GeneratedMedia
  readonly targetBytes: number | undefined
  readonly dataRows: number | undefined
  readonly framesPerVideo: number
  readonly frameClassifications: boolean
  readonly chunkSize: number
}

const MEDIA: readonly GeneratedMedia[] = ['image', 'video', 'dicom', 'mixed']

function resolveOptions(options: GenerateV2Options): ResolvedOptions {
  const { seed = 1, media = 'image', targetBytes, framesPerVideo = 300, frameClassifications = true, chunkSize = 65_536 } = options
  const integer = (name: string, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max)
      throw new InvalidOptionError(name, `must be an integer from ${min} to ${max}, got ${value}`)
  }
  integer('seed', seed, 0, 0xffff_ffff)
  if (!MEDIA.includes(media)) throw new InvalidOptionError('media', `must be one of ${MEDIA.join(', ')}, got ${String(media)}`)
  if (targetBytes !== undefined && options.dataRows !== undefined)
    throw new InvalidOptionError('targetBytes', 'cannot be combined with dataRows')
  if (targetBytes !== undefined) integer('targetBytes', targetBytes, 1, Number.MAX_SAFE_INTEGER)
  const dataRows = targetBytes === undefined ? (options.dataRows ?? 1000) : undefined
  if (dataRows !== undefined) integer('dataRows', dataRows, 0, Number.MAX_SAFE_INTEGER)
  integer('framesPerVideo', framesPerVideo, 1, 2 ** 31 - 1)
  integer('chunkSize', chunkSize, 1024, 64 * 1024 * 1024)
  if (typeof frameClassifications !== 'boolean') throw new InvalidOptionError('frameClassifications', 'must be a boolean')
  return Object.freeze({ seed, media, targetBytes, dataRows, framesPerVideo, frameClassifications, chunkSize })
}

const MIXED: readonly RowMedia[] = [...Array<RowMedia>(17).fill('image'), 'video', 'video', 'dicom']

function* exportChunks(options: ResolvedOptions, ctx: GenerateContext): Generator<Buffer, void, undefined> {
  const mixed = ctx.rng.fork()
  const { out } = ctx
  for (let seq = 0; options.dataRows === undefined ? out.bytes < (options.targetBytes ?? 0) : seq < options.dataRows; seq++) {
    const media = options.media === 'mixed' ? mixed.pick(MIXED) : options.media
    yield* writeDataRow(ctx, media, seq)
  }
  yield* out.end()
}

/** The export as a byte stream; `stats` counts what was generated so far and is final after 'end'. */
export interface V2ExportStream extends Readable {
  readonly stats: GeneratedStats
}

class V2ExportReadable extends Readable implements V2ExportStream {
  readonly #options: ResolvedOptions
  readonly #ctx: GenerateContext
  readonly #chunks: Generator<Buffer, void, undefined>
  #bytes = 0

  constructor(options: ResolvedOptions) {
    super({ highWaterMark: options.chunkSize })
    this.#options = options
    this.#ctx = new GenerateContext(options)
    this.#chunks = exportChunks(options, this.#ctx)
  }

  get stats(): GeneratedStats {
    const ctx = this.#ctx
    return {
      seed: this.#options.seed,
      media: this.#options.media,
      bytes: this.#bytes,
      dataRows: ctx.counts.data_rows,
      tables: { ...ctx.counts },
      tracks: ctx.tracks,
      frameClassifications: ctx.frameAnswers,
    }
  }

  override _read(): void {
    try {
      for (;;) {
        const next = this.#chunks.next()
        if (next.done === true) {
          this.push(null)
          return
        }
        this.#bytes += next.value.length
        if (!this.push(next.value)) return
      }
    } catch (error) {
      this.destroy(error instanceof Error ? error : new Error(String(error)))
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#chunks.return()
    callback(error)
  }
}

/** A deterministic synthetic Export v2 as a Readable of Buffer chunks. Options are validated here. */
export function generateV2Export(options: GenerateV2Options = {}): V2ExportStream {
  return new V2ExportReadable(resolveOptions(options))
}

/**
 * Streams the export to `path` with backpressure (one pipeline) and returns its stats. On failure the
 * partial file is removed.
 */
export async function writeV2Export(path: string, options: GenerateV2Options = {}): Promise<GeneratedStats> {
  const source = generateV2Export(options)
  try {
    await pipeline(source, createWriteStream(path, { highWaterMark: 1024 * 1024 }))
  } catch (error) {
    await rm(path, { force: true })
    throw error
  }
  return source.stats
}

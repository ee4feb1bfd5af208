import { createWriteStream } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline as pipelineCallback, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { InvalidOptionError } from '@labelpipe/core'
import split2 from 'split2'
import { type GeneratedStats, type GenerateV2Options, generateV2Export } from './generate-v2-export.js'
import { Prng } from './prng.js'
import { type V1LabelOut, v2DataRowToV1Labels } from './v2-to-v1-label.js'

// A deterministic synthetic Export v1 made from the SAME content as generateV2Export with the same options:
//
//   generateV2Export ─lines─▶ split2 ─JSON.parse─▶ v2DataRowToV1Labels ─labels─▶ spread reservoir ─▶ "[\n…,\n…\n]\n"
//                                                                       └─video frames─▶ <framesDir>/<label ID>.ndjson
//
// One v2 line is in memory at a time, plus the reservoir: any size streams.

export interface GenerateV1Options extends GenerateV2Options {
  /**
   * Scatter each data row's labels across the array: labels pass through a reservoir of this many, each new
   * label taking a random slot and pushing its occupant out, so a data row's labels land up to about this
   * many positions apart. Default 0: each data row's labels adjacent, in v2 order.
   */
  readonly spread?: number | undefined
  /**
   * Write video labels raw (`Label: {frames: "<URL>", classifications}`) with their frames as
   * `<framesDir>/<label ID>.ndjson`, for framesDirResolver. Default: frames inlined as `Label.frames: [...]`.
   * Only with writeV1Export.
   */
  readonly framesDir?: string | undefined
}

export interface GeneratedV1Stats {
  /** The stats of the v2 export the labels were made from. */
  readonly v2: GeneratedStats
  readonly labels: number
  /** Data rows with at least one label: v1 has no others (formats.md "Export v1"). */
  readonly dataRows: number
  readonly bytes: number
  /** Project name -> project id, for v1LabelsToDataRows' `projectId` (v1 has no project id). */
  readonly projectIds: Readonly<Record<string, string>>
}

/** Streams a v1 export; `stats()` is final once the stream ended. */
export interface V1ExportStream extends Readable {
  stats(): GeneratedV1Stats
}

/** A deterministic synthetic Export v1 as a Readable; video frames inlined (or written with `framesDir`, see writeV1Export). */
export function generateV1Export(options: GenerateV1Options = {}): V1ExportStream {
  const spread = options.spread ?? 0
  if (!Number.isInteger(spread) || spread < 0) throw new InvalidOptionError('spread', `must be a non-negative integer, got ${spread}`)
  if (options.media === 'dicom' || options.media === 'mixed') {
    throw new InvalidOptionError('media', 'must be image or video: Export v1 has no DICOM (formats.md)')
  }
  const v2 = generateV2Export(options)
  const state = { labels: 0, dataRows: 0, bytes: 0, projectIds: {} as Record<string, string> }
  const stream = Readable.from(v1Chunks(v2, options, spread, state)) as V1ExportStream
  stream.stats = () => ({
    v2: v2.stats,
    labels: state.labels,
    dataRows: state.dataRows,
    bytes: state.bytes,
    projectIds: { ...state.projectIds },
  })
  return stream
}

async function* v1Chunks(
  v2: Readable,
  options: GenerateV1Options,
  spread: number,
  state: { labels: number; dataRows: number; bytes: number; projectIds: Record<string, string> },
): AsyncGenerator<Buffer> {
  const lines = split2('\n')
  // pipeline() owns both streams: an error on either destroys the other and ends the loop below.
  pipelineCallback(v2, lines, () => {})
  const rng = new Prng(((options.seed ?? 1) ^ 0x5bd1e995) >>> 0)
  const reservoir: string[] = []
  let text = '['
  const emit = (element: string) => {
    text += `${state.labels === 0 ? '\n' : ',\n'}${element}`
    state.labels++
  }
  try {
    for await (const line of lines as AsyncIterable<string>) {
      const labels = v2DataRowToV1Labels(JSON.parse(line) as Record<string, unknown>)
      if (labels.length > 0) state.dataRows++
      for (const out of labels) {
        state.projectIds[out.projectName] = out.projectId
        const element = await labelText(out, options.framesDir)
        if (spread === 0) emit(element)
        else if (reservoir.length < spread) reservoir.push(element)
        else {
          const slot = rng.int(spread)
          emit(reservoir[slot] as string)
          reservoir[slot] = element
        }
      }
      if (text.length >= 65_536) {
        state.bytes += Buffer.byteLength(text)
        yield Buffer.from(text)
        text = ''
      }
    }
    // Empty the reservoir in random order (Fisher-Yates from the back).
    for (let i = reservoir.length - 1; i >= 0; i--) {
      const j = rng.int(i + 1)
      emit(reservoir[j] as string)
      reservoir[j] = reservoir[i] as string
    }
    text += '\n]\n'
    state.bytes += Buffer.byteLength(text)
    yield Buffer.from(text)
  } finally {
    v2.destroy()
    lines.destroy()
  }
}

async function labelText(out: V1LabelOut, framesDir: string | undefined): Promise<string> {
  if (out.frames === undefined) return JSON.stringify(out.label)
  const content = out.label.Label as Record<string, unknown>
  if (framesDir === undefined) return JSON.stringify({ ...out.label, Label: { ...content, frames: out.frames } })
  // A skipped label has no frames file: the resolver's 204.
  if (out.frames.length > 0 || out.label.Skipped !== true) {
    await writeFile(join(framesDir, `${String(out.label.ID)}.ndjson`), out.frames.map((frame) => `${JSON.stringify(frame)}\n`).join(''))
  }
  return JSON.stringify(out.label)
}

/** Streams the v1 export to `path` (and frames files to `framesDir`, created if needed); on failure the partial file is removed. */
export async function writeV1Export(path: string, options: GenerateV1Options = {}): Promise<GeneratedV1Stats> {
  if (options.framesDir !== undefined) await mkdir(options.framesDir, { recursive: true })
  const source = generateV1Export(options)
  try {
    await pipeline(source, createWriteStream(path, { highWaterMark: 1024 * 1024 }))
  } catch (error) {
    await rm(path, { force: true })
    throw error
  }
  return source.stats()
}

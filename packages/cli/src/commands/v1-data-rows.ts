import type { Readable } from 'node:stream'
import {
  type DeadLetterSink,
  InvalidOptionError,
  type PipelineStage,
  type Position,
  runStagePerBatch,
  type V1Frame,
  type V1Label,
} from '@labelpipe/core'
import {
  type FramesResolver,
  framesDirResolver,
  groupV1Labels,
  readV1Export,
  resolveV1Frames,
  type V1ExportReader,
} from '@labelpipe/sources'
import type { HttpFramesResolver, HttpFramesRetry, HttpFramesStats } from '@labelpipe/sources/http'
import { type V1ConvertStats, type V1ToV2Converter, v1LabelsToDataRows } from '@labelpipe/transforms'
import type { LoadConfig } from '../args.js'
import { formatCount } from '../format.js'
import type { CliIo } from '../io.js'

/** The options `load` and `convert` share for an Export v1 input (args.ts `v1Options`). */
export type V1Config = Pick<
  LoadConfig,
  'input' | 'projectId' | 'assumeGrouped' | 'framesDir' | 'framesConcurrency' | 'skipFrames' | 'memoryBudgetMb' | 'maxErrors'
>

/** The v1 half of `load` and `convert`: a reader of labels and the stages that make v2 data rows of them. */
export interface V1DataRows {
  readonly reader: V1ExportReader
  /** groupV1Labels -> resolveV1Frames (from --frames-dir, or over HTTP) -> v1LabelsToDataRows. */
  readonly transforms: readonly PipelineStage<never, unknown>[]
  readonly convert: V1ToV2Converter
  /** What the HTTP resolver did, once it has been used. */
  httpStats(): HttpFramesStats | undefined
  /** Closes the HTTP resolver's connections, if it opened any; call once the run has ended, however it ended. */
  close(): Promise<void>
}

/** What the CLI passes the v1 path from its process: the key's environment and where retries are reported. */
export interface V1Io {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly onRetry: (retry: HttpFramesRetry) => void
}

/** The CLI's V1Io: the process environment, and each retry as one line on stderr (the URL without its query). */
export function v1Io(io: CliIo): V1Io {
  return {
    env: io.env,
    onRetry: (retry) =>
      io.stderr.write(
        `labelpipe: frames of label ${retry.labelId} (${retry.url}): ${retry.reason}; attempt ${retry.attempt + 1} in ${(retry.delayMs / 1000).toFixed(1)} s\n`,
      ),
  }
}

/**
 * labels -> groupV1Labels (by data row, spilling past --memory-budget-mb) -> frames -> v1LabelsToDataRows.
 * `input`: the export's path, or its one stream (stdin, a FIFO), named `config.input` in errors.
 */
export function v1DataRows(input: string | Readable, config: V1Config, deadLetters: DeadLetterSink | undefined, io: V1Io): V1DataRows {
  const reader = readV1Export(input, {
    name: config.input,
    maxErrors: config.maxErrors,
    ...(deadLetters === undefined ? {} : { deadLetters }),
  })
  const convert = v1LabelsToDataRows(config.projectId === undefined ? {} : { projectId: config.projectId })
  const http = config.framesDir === undefined && !config.skipFrames ? new LazyHttpFrames(io, config.framesConcurrency) : undefined
  const frames: FramesResolver | undefined = config.framesDir === undefined ? http : framesDirResolver(config.framesDir)
  const transforms = [
    groupV1Labels({ memoryBudget: config.memoryBudgetMb * 1024 * 1024, assumeGrouped: config.assumeGrouped }),
    ...(frames === undefined ? [] : [resolveV1Frames(frames, { concurrency: config.framesConcurrency })]),
    // One data row per group, batch for batch: groupV1Labels cuts its batches by size as readV2Export does.
    { name: 'v1LabelsToDataRows', run: runStagePerBatch(convert) },
  ]
  return { reader, transforms, convert, httpStats: () => http?.stats, close: async () => http?.close() }
}

/**
 * The HTTP frames resolver, made when the first label needs it: undici is loaded, and LABELBOX_API_KEY required,
 * only for an export whose video labels point to their frames by URL (formats.md); an image export needs neither.
 * The key is read from the environment only, never from an argument (it would show in `ps` and shell history).
 */
class LazyHttpFrames implements FramesResolver {
  readonly #io: V1Io
  readonly #concurrency: number
  #resolver: Promise<HttpFramesResolver> | undefined
  #made: HttpFramesResolver | undefined

  constructor(io: V1Io, concurrency: number) {
    this.#io = io
    this.#concurrency = concurrency
  }

  get stats(): HttpFramesStats | undefined {
    return this.#made?.stats
  }

  async *frames(label: V1Label, signal: AbortSignal, at: Position): AsyncGenerator<V1Frame> {
    const resolver = await this.#resolve(label)
    yield* resolver.frames(label, signal, at)
  }

  async close(): Promise<void> {
    await this.#made?.close()
  }

  #resolve(label: V1Label): Promise<HttpFramesResolver> {
    this.#resolver ??= (async () => {
      const apiKey = this.#io.env.LABELBOX_API_KEY
      if (apiKey === undefined || apiKey === '') {
        throw new InvalidOptionError(
          'LABELBOX_API_KEY',
          `label ${label.ID} has its video frames at a URL: set LABELBOX_API_KEY to fetch them, give --frames-dir, or --skip-frames`,
        )
      }
      const { httpFramesResolver } = await import('@labelpipe/sources/http')
      this.#made = httpFramesResolver({ apiKey, concurrency: this.#concurrency, onRetry: this.#io.onRetry })
      return this.#made
    })()
    return this.#resolver
  }
}

/**
 * The summary lines for what a v1 conversion counted but could not express in v2: labels of media types
 * labelpipe does not map (passed through, formats.md), video labels left without frames, features drawn twice
 * in one frame. None when there was nothing to say.
 */
export function formatV1Warnings(stats: V1ConvertStats): string[] {
  const lines: string[] = []
  const unknown = Object.entries(stats.unknownMediaTypes)
  if (unknown.length > 0) {
    const list = unknown.map(([type, n]) => `${type} ${formatCount(n)}`).join(', ')
    lines.push(`warning: labels of media types labelpipe does not map, converted with the generic mapping: ${list}`)
  }
  if (stats.videoLabelsWithoutFrames > 0) {
    lines.push(`warning: ${formatCount(stats.videoLabelsWithoutFrames)} video labels were converted without their frames (--skip-frames)`)
  }
  if (stats.duplicateFrameObjects > 0) {
    lines.push(`warning: ${formatCount(stats.duplicateFrameObjects)} features drawn twice in one frame: the last one of each was kept`)
  }
  return lines
}

/** The summary line of the frames fetched over HTTP, when any were. */
export function formatHttpFrames(stats: HttpFramesStats | undefined): string[] {
  if (stats === undefined || stats.requests === 0) return []
  return [
    `frames over HTTP: ${formatCount(stats.frames)} frames of ${formatCount(stats.labels)} labels (${formatCount(stats.skippedLabels)} skipped), ` +
      `${formatCount(stats.requests)} requests, ${formatCount(stats.redirects)} redirects, ${formatCount(stats.retries)} retries`,
  ]
}

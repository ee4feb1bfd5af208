import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import {
  fanOutSink,
  InvalidOptionError,
  newLoadId,
  type PipelineProgress,
  type PipelineSource,
  type PipelineStage,
  type RunFacts,
  runPipeline,
  type TableName,
} from '@labelpipe/core'
import { assertNotCommitted, uncommittedParts } from '@labelpipe/sinks/ndjson'
import { readV2Export } from '@labelpipe/sources'
import type { HttpFramesStats } from '@labelpipe/sources/http'
import type { FilterStats, V1ConvertStats } from '@labelpipe/transforms'
import { describeTarget, fileTargets, type LoadConfig } from '../args.js'
import { formatBytes, formatCount, formatTable } from '../format.js'
import { type CliIo, reportCleanupFailure } from '../io.js'
import { ProgressReporter, StoppedRun } from '../progress.js'
import { readCursors } from './cursors.js'
import { cursorFacts, dataRowStages, formatFilterStats } from './data-row-stages.js'
import { type OpenedExport, openExport, readableOnce } from './export-format.js'
import { type LoadDeadLetters, loadDeadLetters } from './load-dead-letters.js'
import { createSinks } from './load-sinks.js'
import { loadableInWorker, loadSharded, shardRunName } from './sharded-load.js'
import { formatHttpFrames, formatV1Warnings, v1DataRows, v1Io } from './v1-data-rows.js'

export interface LoadSummary {
  readonly loadId: string
  /** v2: the source's records are data rows; v1: labels. */
  readonly inputFormat: 'v1' | 'v2'
  readonly progress: PipelineProgress
  readonly rowsByTable: Readonly<Record<TableName, number>>
  readonly deadLetters: number
  readonly deadLetterFile: string | undefined
  readonly v1Stats?: V1ConvertStats
  readonly httpFrames?: HttpFramesStats | undefined
  readonly filterStats?: FilterStats | undefined
}

/** What one load run reports, in one thread or many. */
export interface LoadRun {
  readonly progress: PipelineProgress
  readonly rowsByTable: Readonly<Record<TableName, number>>
  readonly deadLetters: number
  /** An Export v1 input: what its conversion counted (warnings in the summary). */
  readonly v1Stats?: V1ConvertStats
  /** An Export v1 input whose video frames were fetched over HTTP. */
  readonly httpFrames?: HttpFramesStats | undefined
  /** With --filter or --exclude: data rows kept and dropped. */
  readonly filterStats?: FilterStats | undefined
}

/**
 * `labelpipe load`: export -> flattenDataRows -> every --to sink, under one pipeline; with --workers or --shard,
 * one such pipeline per worker thread over its byte range, committed once (sharded-load.ts).
 */
export async function runLoad(config: LoadConfig, io: CliIo): Promise<LoadSummary> {
  const loadId = config.loadId ?? newLoadId()
  const startedAt = new Date()
  // The default file goes in the first folder; with only postgres targets the letters go to dead_letters alone.
  const firstDir = fileTargets(config.to)[0]?.dir
  const deadLetterName = config.shard === undefined ? loadId : shardRunName(loadId, config.shard)
  const defaultPath = firstDir === undefined ? undefined : join(firstDir, '_dead_letters', `${deadLetterName}.ndjson`)
  if (config.maxErrors > 0 && config.deadLetters === undefined && firstDir !== undefined && defaultPath !== undefined) {
    // The default file is this load id's own, appended to: a failed run of the id left its letters there (kept,
    // to tell why it failed). A new run of an uncommitted id starts it anew, so it holds what its manifest counts.
    // A committed id is refused here, before its file is touched.
    await assertNotCommitted(firstDir, deadLetterName)
    await rm(defaultPath, { force: true })
  }
  const deadLetters =
    config.maxErrors > 0
      ? await loadDeadLetters(
          config.deadLetters ?? defaultPath,
          config.to.some((target) => target.kind === 'postgres'),
        )
      : undefined
  const reporter = new ProgressReporter(io.stderr, config.quiet)
  const onProgress = (progress: PipelineProgress) => reporter.update(progress)
  let opened: OpenedExport | undefined
  try {
    if ((config.workers !== 1 || config.shard !== undefined) && config.input !== '-' && (await readableOnce(config.input))) {
      throw new InvalidOptionError(
        config.shard === undefined ? 'workers' : 'shard',
        `splits a regular file by byte ranges; ${config.input} can be read once only (a pipe or a device): give the file`,
      )
    }
    // Said, not removed: a manifest-less part may be one whose manifest someone moved on purpose.
    for (const target of fileTargets(config.to)) {
      const found = await uncommittedParts(target.dir)
      if (found.length === 0) continue
      const shown = found.slice(0, 3).join(', ') + (found.length > 3 ? ', …' : '')
      io.stderr.write(
        `labelpipe: ${target.dir} holds ${found.length} part files of loads with no manifest (a run killed between renaming its parts and writing its manifest?); engines that glob the folder read them: ${shown}\n`,
      )
    }
    opened = config.input === '-' ? { input: io.stdin, format: 'v2' as const } : await openExport(config.input)
    const inputFormat = opened.format ?? 'v2'
    if (inputFormat === 'v1') reporter.units = { records: 'labels', rows: 'table rows' }
    for (const flag of flagsOfTheOtherFormat(config, inputFormat)) {
      io.stderr.write(
        `labelpipe: ${flag} is for an Export ${inputFormat === 'v1' ? 'v2' : 'v1'} input, and this one is ${inputFormat}: ignored\n`,
      )
    }
    const cursors = config.incremental ? await readCursors(config.to, config.pgSchema) : undefined
    const context = { loadId, startedAt, deadLetters, onProgress, cursors }
    let run: LoadRun
    if (inputFormat === 'v1') {
      if (config.workers !== 1 || config.shard !== undefined) {
        throw new InvalidOptionError(
          'workers',
          'an Export v1 file loads in one thread: its labels are grouped by data row across the whole array',
        )
      }
      run = await loadV1(opened.input, config, io, context)
    } else if (config.workers === 1 && config.shard === undefined) {
      run = (await loadableInWorker(config.input))
        ? await loadSharded(config, io, context, 'one-thread')
        : await loadInOneThread(opened.input, config, io, context)
    } else run = await loadSharded(config, io, context)
    return { loadId, inputFormat, ...run, deadLetterFile: run.deadLetters > 0 ? deadLetters?.path : undefined }
  } catch (error) {
    throw io.signal.aborted ? new StoppedRun(reporter.howFar(), error) : error
  } finally {
    reporter.clear()
    await deadLetters?.close()
    // A FIFO opened for the format check and never read (a failure before the pipeline): a pending read on it
    // would keep the process alive.
    if (opened !== undefined && typeof opened.input !== 'string' && opened.input !== io.stdin) opened.input.destroy()
  }
}

/**
 * The flags given that only the other format reads (the format is told by content, so args.ts cannot know): said
 * on stderr, not refused, as a script may pass them for exports of both kinds. Flags with a default are not
 * told from their default and go unmentioned.
 */
function flagsOfTheOtherFormat(config: LoadConfig, format: 'v1' | 'v2'): string[] {
  if (format === 'v1') return config.maxLineLength === undefined ? [] : ['--max-line-length']
  return [
    ...(config.projectId === undefined ? [] : ['--project-id']),
    ...(config.framesDir === undefined ? [] : ['--frames-dir']),
    ...(config.skipFrames ? ['--skip-frames'] : []),
    ...(config.assumeGrouped ? ['--assume-grouped'] : []),
  ]
}

/** What runLoad prepares for either way of loading. */
export interface LoadContext {
  /** With --incremental: the cursors of the previous runs (readCursors); else undefined. */
  readonly cursors: Readonly<Record<string, string>> | undefined
  readonly loadId: string
  readonly startedAt: Date
  readonly deadLetters: LoadDeadLetters | undefined
  readonly onProgress: (progress: PipelineProgress) => void
}

/** `input`: the export's path, or its one stream (stdin, a FIFO: openExport), named `config.input` in errors. */
async function loadInOneThread(input: string | Readable, config: LoadConfig, io: CliIo, context: LoadContext): Promise<LoadRun> {
  const reader = readV2Export(input, {
    name: config.input,
    maxErrors: config.maxErrors,
    ...(context.deadLetters === undefined ? {} : { deadLetters: context.deadLetters.write }),
    ...(config.maxLineLength === undefined ? {} : { maxLineLength: config.maxLineLength }),
  })
  return loadDataRows(config, io, context, 'v2', reader, [])
}

/**
 * An Export v1 file: labels -> groupV1Labels (by data row, spilling past --memory-budget-mb) -> frames from
 * --frames-dir or over HTTP -> v1LabelsToDataRows -> the v2 stages -> every --to sink, under one pipeline.
 */
async function loadV1(input: string | Readable, config: LoadConfig, io: CliIo, context: LoadContext): Promise<LoadRun> {
  const v1 = v1DataRows(input, config, context.deadLetters?.write, v1Io(io))
  try {
    const run = await loadDataRows(config, io, context, 'v1', v1.reader, v1.transforms)
    return { ...run, v1Stats: v1.convert.stats, httpFrames: v1.httpStats() }
  } finally {
    await v1.close()
  }
}

/** `reader` -> `upstream` stages (v1's, or none) -> dataRowStages -> every --to sink, under one pipeline, in this thread. */
async function loadDataRows(
  config: LoadConfig,
  io: CliIo,
  context: LoadContext,
  source: 'v1' | 'v2',
  reader: PipelineSource<unknown> & { readonly stats: { readonly deadLetters: number } },
  upstream: readonly PipelineStage<never, unknown>[],
): Promise<LoadRun> {
  const { loadId, startedAt } = context
  const { transforms, flatten, filter, filtering } = dataRowStages(config, loadId, source, context.cursors)
  const describeRun = (): RunFacts => ({
    source,
    input: config.input,
    inputBytes: reader.progress().bytesRead,
    deadLetters: reader.stats.deadLetters,
    startedAt,
    ...cursorFacts(config, reader.stats.deadLetters, () => filter.cursors()),
  })
  const sinks = await createSinks(config, loadId, describeRun, context.deadLetters?.forPostgres)
  let progress: PipelineProgress
  try {
    progress = await runPipeline({
      source: reader,
      transforms: [...upstream, ...transforms],
      // Postgres last: a file commit can still be taken back when the database commit fails, not the other way round.
      sink: fanOutSink([...sinks.files, ...sinks.postgres]),
      signal: io.signal,
      onProgress: context.onProgress,
    })
  } catch (error) {
    // A database that committed (an interrupt during its commit, or a second postgres:// target failing) keeps the
    // run, and then so do the folders: a load is never left in a database and taken out of the files.
    const committedInPostgres = sinks.postgres.some((sink) => sink.loadRun !== undefined)
    for (const sink of sinks.files) {
      if (committedInPostgres || sink.manifest === undefined) continue
      await sink.uncommit().catch((cleanup: unknown) => reportCleanupFailure(io, cleanup))
    }
    throw error
  }
  return {
    progress,
    rowsByTable: flatten.stats.rowsByTable,
    deadLetters: reader.stats.deadLetters,
    filterStats: filtering ? filter.stats : undefined,
  }
}

export function formatLoadSummary(summary: LoadSummary, config: LoadConfig): string {
  const { progress } = summary
  const seconds = progress.elapsedMs / 1000
  const rows = progress.stages.at(-1)?.records ?? 0
  const lines = [
    `loaded ${formatCount(progress.stages[0]?.records ?? 0)} ${summary.inputFormat === 'v1' ? 'labels' : 'data rows'} as ${formatCount(rows)} table rows in ${seconds.toFixed(2)} s ` +
      `(${formatBytes(progress.bytesRead)}, ${(progress.bytesRead / 1024 / 1024 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s, ` +
      `${formatCount(Math.round(rows / Math.max(seconds, 1e-3)))} rows/s)`,
    `load ${summary.loadId} -> ${config.to.map(describeTarget).join(', ')}`,
    formatTable(
      Object.entries(summary.rowsByTable)
        // flattenDataRows counts every table; with --tables only those were written.
        .filter(([table, n]) => n > 0 && (config.tables === undefined || (config.tables as readonly string[]).includes(table)))
        .map(([table, n]) => [table, formatCount(n)] as const),
    ),
  ]
  lines.push(...formatFilterStats(summary.filterStats))
  if (summary.v1Stats !== undefined) lines.push(...formatV1Warnings(summary.v1Stats), ...formatHttpFrames(summary.httpFrames))
  if (summary.deadLetters > 0) {
    const places = [
      ...(summary.deadLetterFile === undefined ? [] : [summary.deadLetterFile]),
      ...(config.to.some((target) => target.kind === 'postgres') ? [`${config.pgSchema ?? 'labelbox'}.dead_letters`] : []),
    ]
    lines.push(`${formatCount(summary.deadLetters)} bad lines dead-lettered to ${places.join(' and ')}`)
  }
  return `${lines.join('\n')}\n`
}

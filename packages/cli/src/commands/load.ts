import { join } from 'node:path'
import { fanOutSink, newLoadId, type PipelineProgress, type RunFacts, runPipeline, runStage, type TableName } from '@labelpipe/core'
import { type DeadLetterFile, deadLetterFile } from '@labelpipe/sinks/ndjson'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import type { LoadConfig, Target } from '../args.js'
import { formatBytes, formatCount, formatTable } from '../format.js'
import type { CliIo } from '../io.js'
import { ProgressReporter } from '../progress.js'
import { createSink } from './load-sinks.js'
import { loadSharded, shardRunName } from './sharded-load.js'

export interface LoadSummary {
  readonly loadId: string
  readonly progress: PipelineProgress
  readonly rowsByTable: Readonly<Record<TableName, number>>
  readonly deadLetters: number
  readonly deadLetterFile: string | undefined
}

/** What one load run reports, in one thread or many. */
export interface LoadRun {
  readonly progress: PipelineProgress
  readonly rowsByTable: Readonly<Record<TableName, number>>
  readonly deadLetters: number
}

/**
 * `labelpipe load`: export -> flattenDataRows -> every --to sink, under one pipeline; with --workers or --shard,
 * one such pipeline per worker thread over its byte range, committed once (sharded-load.ts).
 */
export async function runLoad(config: LoadConfig, io: CliIo): Promise<LoadSummary> {
  const loadId = config.loadId ?? newLoadId()
  const startedAt = new Date()
  const firstDir = (config.to[0] as Target).dir
  const deadLetterName = config.shard === undefined ? loadId : shardRunName(loadId, config.shard)
  const deadLetterPath =
    config.maxErrors > 0 ? (config.deadLetters ?? join(firstDir, '_dead_letters', `${deadLetterName}.ndjson`)) : undefined
  const deadLetters = deadLetterPath === undefined ? undefined : deadLetterFile(deadLetterPath)
  const reporter = new ProgressReporter(io.stderr, config.quiet)
  const onProgress = (progress: PipelineProgress) => reporter.update(progress)
  try {
    const run =
      config.workers === 1 && config.shard === undefined
        ? await loadInOneThread(config, io, { loadId, startedAt, deadLetters, onProgress })
        : await loadSharded(config, io, { loadId, startedAt, deadLetters, onProgress })
    return { loadId, ...run, deadLetterFile: run.deadLetters > 0 ? deadLetterPath : undefined }
  } finally {
    reporter.clear()
    await deadLetters?.close()
  }
}

/** What runLoad prepares for either way of loading. */
export interface LoadContext {
  readonly loadId: string
  readonly startedAt: Date
  readonly deadLetters: DeadLetterFile | undefined
  readonly onProgress: (progress: PipelineProgress) => void
}

async function loadInOneThread(config: LoadConfig, io: CliIo, context: LoadContext): Promise<LoadRun> {
  const { loadId, startedAt, deadLetters } = context
  const reader = readV2Export(config.input === '-' ? io.stdin : config.input, {
    maxErrors: config.maxErrors,
    ...(deadLetters === undefined ? {} : { deadLetters: deadLetters.write }),
    ...(config.maxLineLength === undefined ? {} : { maxLineLength: config.maxLineLength }),
  })
  const flatten = flattenDataRows({ loadId, source: 'v2', interpolate: config.interpolate })
  const describeRun = (): RunFacts => ({
    source: 'v2',
    input: config.input,
    inputBytes: reader.progress().bytesRead,
    deadLetters: reader.stats.deadLetters,
    startedAt,
  })
  const sinks = config.to.map((target) => createSink(target, config, loadId, describeRun))
  const progress = await runPipeline({
    source: reader,
    transforms: [{ name: 'flattenDataRows', run: runStage(flatten) }],
    sink: fanOutSink(sinks),
    signal: io.signal,
    onProgress: context.onProgress,
  })
  return { progress, rowsByTable: flatten.stats.rowsByTable, deadLetters: reader.stats.deadLetters }
}

export function formatLoadSummary(summary: LoadSummary, config: LoadConfig): string {
  const { progress } = summary
  const seconds = progress.elapsedMs / 1000
  const rows = progress.stages.at(-1)?.records ?? 0
  const lines = [
    `loaded ${formatCount(progress.stages[0]?.records ?? 0)} data rows as ${formatCount(rows)} table rows in ${seconds.toFixed(2)} s ` +
      `(${formatBytes(progress.bytesRead)}, ${(progress.bytesRead / 1024 / 1024 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s, ` +
      `${formatCount(Math.round(rows / Math.max(seconds, 1e-3)))} rows/s)`,
    `load ${summary.loadId} -> ${config.to.map((t) => `${t.kind}:${t.dir}`).join(', ')}`,
    formatTable(
      Object.entries(summary.rowsByTable)
        .filter(([, n]) => n > 0)
        .map(([table, n]) => [table, formatCount(n)] as const),
    ),
  ]
  if (summary.deadLetters > 0) lines.push(`${formatCount(summary.deadLetters)} bad lines dead-lettered to ${summary.deadLetterFile}`)
  return `${lines.join('\n')}\n`
}

import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { fanOutSink, newLoadId, type PipelineProgress, type RunFacts, runPipeline, runStage, type TableName } from '@labelpipe/core'
import { deadLetterFile, ndjsonSink } from '@labelpipe/sinks/ndjson'
import { parquetSink } from '@labelpipe/sinks/parquet'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import type { LoadConfig, Target } from '../args.js'
import { formatBytes, formatCount, formatTable } from '../format.js'
import type { CliIo } from '../io.js'
import { ProgressReporter } from '../progress.js'

export interface LoadSummary {
  readonly loadId: string
  readonly progress: PipelineProgress
  readonly rowsByTable: Readonly<Record<TableName, number>>
  readonly deadLetters: number
  readonly deadLetterFile: string | undefined
}

/** `labelpipe load`: export -> flattenDataRows -> every --to sink, under one pipeline. */
export async function runLoad(config: LoadConfig, io: CliIo): Promise<LoadSummary> {
  const loadId = config.loadId ?? newLoadId()
  const startedAt = new Date()
  const firstDir = (config.to[0] as Target).dir
  const deadLetterPath = config.maxErrors > 0 ? (config.deadLetters ?? join(firstDir, '_dead_letters', `${loadId}.ndjson`)) : undefined
  const deadLetters = deadLetterPath === undefined ? undefined : deadLetterFile(deadLetterPath)
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
  const reporter = new ProgressReporter(io.stderr, config.quiet)
  try {
    const progress = await runPipeline({
      source: reader,
      transforms: [{ name: 'flattenDataRows', run: runStage(flatten) }],
      sink: fanOutSink(sinks),
      signal: io.signal,
      onProgress: (p) => reporter.update(p),
    })
    return {
      loadId,
      progress,
      rowsByTable: flatten.stats.rowsByTable,
      deadLetters: reader.stats.deadLetters,
      deadLetterFile: reader.stats.deadLetters > 0 ? deadLetterPath : undefined,
    }
  } finally {
    reporter.clear()
    await deadLetters?.close()
  }
}

function createSink(target: Target, config: LoadConfig, loadId: string, describeRun: () => RunFacts): Writable {
  if (target.kind === 'ndjson') return ndjsonSink({ dir: target.dir, loadId, describeRun, gzip: config.ndjsonGzip })
  return parquetSink({ dir: target.dir, loadId, describeRun, engine: config.parquetEngine })
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

import { type PipelineProgress, runPipeline } from '@labelpipe/core'
import { deadLetterFile, v2ExportSink } from '@labelpipe/sinks/ndjson'
import type { HttpFramesStats } from '@labelpipe/sources/http'
import type { V1ConvertStats } from '@labelpipe/transforms'
import type { ConvertConfig } from '../args.js'
import { formatBytes, formatCount } from '../format.js'
import type { CliIo } from '../io.js'
import { ProgressReporter, StoppedRun } from '../progress.js'
import { formatHttpFrames, formatV1Warnings, v1DataRows, v1Io } from './v1-data-rows.js'

export interface ConvertSummary {
  readonly progress: PipelineProgress
  readonly labels: number
  readonly dataRows: number
  readonly v1Stats: V1ConvertStats
  readonly httpFrames: HttpFramesStats | undefined
  readonly deadLetters: number
  readonly deadLetterFile: string | undefined
}

/**
 * `labelpipe convert`: an Export v1 JSON file -> the v1 stages of `load` (group by data row, frames, v1 -> v2)
 * -> an Export v2 NDJSON file (or stdout), under one pipeline. The output file appears only once complete.
 */
export async function runConvert(config: ConvertConfig, io: CliIo): Promise<ConvertSummary> {
  const deadLetterPath = config.maxErrors > 0 ? (config.deadLetters ?? `${config.out}.dead-letters.ndjson`) : undefined
  const deadLetters = deadLetterPath === undefined ? undefined : deadLetterFile(deadLetterPath)
  const reporter = new ProgressReporter(io.stderr, config.quiet, { records: 'labels', rows: 'data rows' })
  try {
    const v1 = v1DataRows(config.input === '-' ? io.stdin : config.input, config, deadLetters?.write, v1Io(io))
    const { reader, convert } = v1
    const sink = v2ExportSink({ to: config.out === '-' ? io.stdout : config.out })
    try {
      const progress = await runPipeline({
        source: reader,
        transforms: v1.transforms,
        sink,
        signal: io.signal,
        onProgress: (progress) => reporter.update(progress),
      })
      return {
        progress,
        labels: convert.stats.labels,
        dataRows: sink.dataRows,
        v1Stats: convert.stats,
        httpFrames: v1.httpStats(),
        deadLetters: reader.stats.deadLetters,
        deadLetterFile: reader.stats.deadLetters > 0 ? deadLetterPath : undefined,
      }
    } finally {
      await v1.close()
    }
  } catch (error) {
    throw io.signal.aborted ? new StoppedRun(reporter.howFar(), error) : error
  } finally {
    reporter.clear()
    await deadLetters?.close()
  }
}

/** The summary `convert` prints on stderr (stdout may be the export itself). */
export function formatConvertSummary(summary: ConvertSummary, config: ConvertConfig): string {
  const seconds = summary.progress.elapsedMs / 1000
  const bytes = summary.progress.bytesRead
  const lines = [
    `converted ${formatCount(summary.labels)} labels into ${formatCount(summary.dataRows)} v2 data rows in ${seconds.toFixed(2)} s ` +
      `(${formatBytes(bytes)}, ${(bytes / 1024 / 1024 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s) -> ${config.out === '-' ? 'stdout' : config.out}`,
    ...formatV1Warnings(summary.v1Stats),
    ...formatHttpFrames(summary.httpFrames),
  ]
  if (summary.deadLetters > 0) lines.push(`${formatCount(summary.deadLetters)} bad labels dead-lettered to ${summary.deadLetterFile}`)
  return `${lines.join('\n')}\n`
}

import type { Readable } from 'node:stream'
import { type DeadLetterSink, type PipelineStage, runStage } from '@labelpipe/core'
import { framesDirResolver, groupV1Labels, readV1Export, resolveV1Frames, type V1ExportReader } from '@labelpipe/sources'
import { type V1ConvertStats, type V1ToV2Converter, v1LabelsToDataRows } from '@labelpipe/transforms'
import type { LoadConfig } from '../args.js'
import { formatCount } from '../format.js'

/** The options `load` and `convert` share for an Export v1 input (args.ts `v1Options`). */
export type V1Config = Pick<LoadConfig, 'projectId' | 'assumeGrouped' | 'framesDir' | 'memoryBudgetMb' | 'maxErrors'>

/** The v1 half of `load` and `convert`: a reader of labels and the stages that make v2 data rows of them. */
export interface V1DataRows {
  readonly reader: V1ExportReader
  /** groupV1Labels -> resolveV1Frames (with --frames-dir) -> v1LabelsToDataRows. */
  readonly transforms: readonly PipelineStage<never, unknown>[]
  readonly convert: V1ToV2Converter
}

/** labels -> groupV1Labels (by data row, spilling past --memory-budget-mb) -> frames -> v1LabelsToDataRows. */
export function v1DataRows(input: string | Readable, config: V1Config, deadLetters: DeadLetterSink | undefined): V1DataRows {
  const reader = readV1Export(input, {
    maxErrors: config.maxErrors,
    ...(deadLetters === undefined ? {} : { deadLetters }),
  })
  const convert = v1LabelsToDataRows(config.projectId === undefined ? {} : { projectId: config.projectId })
  const transforms = [
    groupV1Labels({ memoryBudget: config.memoryBudgetMb * 1024 * 1024, assumeGrouped: config.assumeGrouped }),
    ...(config.framesDir === undefined ? [] : [resolveV1Frames(framesDirResolver(config.framesDir))]),
    // 128 data rows a batch, as readV2Export batches them: batches of records waiting between stages survive
    // garbage collections (read-v2-export.ts, batchSize).
    { name: 'v1LabelsToDataRows', run: runStage(convert, 128) },
  ]
  return { reader, transforms, convert }
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
    lines.push(
      `warning: ${formatCount(stats.videoLabelsWithoutFrames)} video labels still point to a frames URL and were converted without frames (give --frames-dir)`,
    )
  }
  if (stats.duplicateFrameObjects > 0) {
    lines.push(`warning: ${formatCount(stats.duplicateFrameObjects)} features drawn twice in one frame: the last one of each was kept`)
  }
  return lines
}

import {
  type PipelineStage,
  type RecordStage,
  type RunFacts,
  runStage,
  runStagePerBatch,
  type TableName,
  type TableRow,
} from '@labelpipe/core'
import {
  type DataRowFilter,
  type DataRowFlattener,
  type FilterStats,
  filterDataRows,
  flattenDataRows,
  partitionByProject,
} from '@labelpipe/transforms'
import { type LoadConfig, leavesInputOut } from '../args.js'
import { formatCount } from '../format.js'

/** The stages every load runs on v2 data rows: filterDataRows (--filter, --exclude, --incremental), then flattenDataRows. */
export interface DataRowStages {
  readonly transforms: readonly PipelineStage<never, unknown>[]
  readonly flatten: DataRowFlattener
  /** Always there: besides filtering, it records the cursors the run reaches (RunFacts.cursors). */
  readonly filter: DataRowFilter
  /** True when --filter, --exclude or --incremental was given: the summary reports the filter's counts. */
  readonly filtering: boolean
}

/**
 * v2 data rows -> filterDataRows -> flattenDataRows (-> project partitions, --partition-by) (-> only the --tables),
 * as `load` runs them in one thread or in each worker.
 * `cursors`: with --incremental, those the previous runs reached (readCursors), per project id.
 */
export function dataRowStages(
  config: Pick<LoadConfig, 'filters' | 'include' | 'exclude' | 'interpolate' | 'overlapMinutes' | 'tables' | 'partitionBy'>,
  loadId: string,
  source: 'v1' | 'v2',
  cursors: Readonly<Record<string, string>> | undefined,
): DataRowStages {
  const exclude = config.exclude.filter((group) => group !== 'interpolated_frames')
  const incremental = cursors === undefined ? undefined : { cursors, overlapMs: config.overlapMinutes * 60_000 }
  const filter = filterDataRows({ filters: config.filters, exclude, incremental })
  const filtering = Object.keys(config.filters).length > 0 || exclude.length > 0 || incremental !== undefined
  // interpolated_frames is the export param that materializes frames between key frames: --interpolate here.
  const interpolate = config.interpolate || config.include.includes('interpolated_frames')
  const flatten = flattenDataRows({ loadId, source, interpolate })
  // Partitions before --tables: a label's rows learn its project from its labels row, which --tables may drop.
  const partitioned = config.partitionBy === undefined ? flatten : partitionByProject(flatten)
  const transforms = [
    // Batch for batch: the reader's batches are cut by size, and a video data row can be hundreds of KB.
    { name: 'filterDataRows', run: runStagePerBatch(filter) },
    { name: 'flattenDataRows', run: runStage(config.tables === undefined ? partitioned : onlyTables(partitioned, config.tables)) },
  ]
  return { transforms, flatten, filter, filtering }
}

/**
 * The rows of `flatten` whose table is one of `tables` (--tables). Rows are dropped after flattening, not before:
 * a data row's tables share its ids and its label walk, so skipping a table would save little of the flatten and
 * fork its one code path; what is saved is the sinks' encoding and writing of the tables left out.
 */
function onlyTables<In>(flatten: RecordStage<In, TableRow>, tables: readonly TableName[]): RecordStage<In, TableRow> {
  const keep = new Set<TableName>(tables)
  return function* (record, at) {
    for (const row of flatten(record, at)) if (keep.has(row.table)) yield row
  }
}

/**
 * The cursor facts of a run (RunFacts): the cursors it reached, or none recorded when it left out part of its
 * input. A cursor is, per project, the latest activity the run kept, so a later --incremental run would skip for
 * good what this run left out: the tables of --tables, the fields of an --exclude'd export param, the data rows
 * (or their projects) of every --filter but project_ids, and the lines it dead-lettered (their data rows are not
 * loaded, and their activity is unknown). project_ids keeps whole projects, and the projects it leaves out get no
 * cursor. Postgres computes its cursors from the staged rows: `recordsCursors: false` stops it.
 */
export function cursorFacts(
  config: Pick<LoadConfig, 'tables' | 'filters' | 'exclude'>,
  deadLetters: number,
  reached: () => Readonly<Record<string, string>>,
): Pick<RunFacts, 'cursors' | 'recordsCursors'> {
  return leavesInputOut(config) || deadLetters > 0 ? { recordsCursors: false } : { cursors: reached() }
}

/** The summary line of the filters: data rows kept and dropped, by the filter that dropped them. */
export function formatFilterStats(stats: FilterStats | undefined): string[] {
  if (stats === undefined) return []
  const reasons = Object.entries(stats.droppedBy).map(([filter, n]) => `${filter} ${formatCount(n)}`)
  const removed = stats.projectsRemoved > 0 ? `; ${formatCount(stats.projectsRemoved)} projects of kept data rows left out` : ''
  return [
    `filters: kept ${formatCount(stats.kept)} data rows, dropped ${formatCount(stats.dropped)}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}${removed}`,
  ]
}

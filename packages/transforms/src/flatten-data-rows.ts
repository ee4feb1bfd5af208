//   v2 data row (zod-validated at the source)
//     │
//     ├─ data-row-rows ─────── data_rows, attachments ── metadata-rows ── data_row_metadata
//     └─ projects{<id>}: project-rows ── project_data_rows, workflow_history
//          └─ labels[]: label-rows ── labels, label_reviews
//               ├─ classification-rows ── classifications (global trees)
//               ├─ object-rows ────────── objects (+ each object's classification tree)
//               ├─ relationship-rows ──── relationships
//               └─ frames/groups/segments/key frames ── FrameLabel, expanded lazily after the bounded rows:
//                    frame-rows ── frame_objects, classifications (frame / object_frame / group)
//                    track-rows ── segments, key_frames, objects (one per track)
// Every builder pushes (or yields) `{ table, row }` object literals in schema.md column order: one hidden
// class per table, no closures, no spread, JSON.stringify only for json columns.
import type { LineageSource, Position, TableRow, V2DataRow } from '@labelpipe/core'
import { InvalidOptionError, isValidLoadId } from '@labelpipe/core'
import type { FlattenEnv } from './column-values.js'
import { pushDataRowRows } from './data-row-rows.js'
import { FlattenCounters, type FlattenStats } from './flatten-stats.js'
import { expandFrameLabel, type FrameLabel } from './frame-rows.js'
import { pushProjectRows } from './project-rows.js'

export interface FlattenOptions {
  /** The run's load id, written to every row's `_load_id`; must pass `isValidLoadId`. Required, no default. */
  readonly loadId: string
  /** Written to every row's `_source` (schema.md principle 6): `v2` for an export file, `webhook` for deliveries. Required, no default. */
  readonly source: LineageSource
  /**
   * Fill the frames an export left out between two exported frames of a track inside one segment (exports
   * made without `interpolated_frames`) by linear interpolation of the bounding box and the point: rows with
   * `interpolated` true and `keyframe` false, never for a frame the export has. Polylines, masks and other
   * geometry are not interpolated (counted in stats.gapsNotInterpolated). Default false: frame_objects holds
   * exactly the exported frames.
   */
  readonly interpolate?: boolean | undefined
}

/** A RecordStage from one v2 data row to its table rows, with the counts of what it loaded. */
export interface DataRowFlattener {
  (record: V2DataRow, at: Position): Iterable<TableRow>
  readonly stats: FlattenStats
}

const lineageSources: ReadonlySet<string> = new Set<LineageSource>(['v1', 'v2', 'v1_frames', 'webhook'])

/**
 * Flattens v2 data rows into the tables of schema.md. Pure and synchronous; the input is trusted (validated
 * once by the source), unknown fields and annotation kinds load into json columns and are counted in
 * `stats`, never fatal.
 *
 * Without frame data, a data row's rows are returned as one array: the fan-out is bounded by the line's
 * own size, and an array is the cheapest iterable for runStage's `for...of`. A data row with video or
 * DICOM labels returns a generator that yields the same bounded rows, then each such label's frame
 * expansion one row at a time, so a million-frame label is produced as runStage pulls it, never held.
 * `stats` counts rows as they are produced.
 */
export function flattenDataRows(options: FlattenOptions): DataRowFlattener {
  const env = parseOptions(options)
  const flatten = (record: V2DataRow, _at: Position): Iterable<TableRow> => {
    const out: TableRow[] = []
    env.stats.dataRows++
    pushDataRowRows(out, record, env)
    let frameLabels: FrameLabel[] | null = null
    const projects = record.projects
    if (projects != null) {
      const dataRowId = record.data_row.id
      for (const projectId in projects) {
        const project = projects[projectId]
        if (project != null) frameLabels = pushProjectRows(out, projectId, project, dataRowId, frameLabels, env)
      }
    }
    return frameLabels === null ? out : rowsThenFrames(out, frameLabels, env)
  }
  return Object.assign(flatten, { stats: env.stats as FlattenStats })
}

function* rowsThenFrames(
  out: readonly TableRow[],
  frameLabels: readonly FrameLabel[],
  env: FlattenEnv,
): Generator<TableRow, void, undefined> {
  for (let i = 0; i < out.length; i++) yield out[i] as TableRow
  for (const label of frameLabels) yield* expandFrameLabel(label, env)
}

function parseOptions(options: FlattenOptions): FlattenEnv {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'must be an object')
  const { loadId, source, interpolate = false } = options
  if (typeof loadId !== 'string' || !isValidLoadId(loadId)) {
    throw new InvalidOptionError('loadId', 'must be 1-128 letters, digits, `_`, `.` or `-`, not starting with punctuation')
  }
  if (typeof source !== 'string' || !lineageSources.has(source)) {
    throw new InvalidOptionError('source', 'must be one of v1, v2, v1_frames, webhook')
  }
  if (typeof interpolate !== 'boolean') throw new InvalidOptionError('interpolate', 'must be a boolean')
  return Object.freeze({ loadId, source, interpolate, stats: new FlattenCounters() })
}

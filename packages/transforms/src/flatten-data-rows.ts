//   v2 data row (zod-validated at the source)
//     │
//     ├─ data-row-rows ─────── data_rows, attachments ── metadata-rows ── data_row_metadata
//     └─ projects{<id>}: project-rows ── project_data_rows, workflow_history
//          └─ labels[]: label-rows ── labels, label_reviews
//               ├─ classification-rows ── classifications (global trees)
//               ├─ object-rows ────────── objects (+ each object's classification tree)
//               ├─ relationship-rows ──── relationships
//               └─ frames/groups/segments/key frames: counted, expanded by a later stage
// Every builder pushes `{ table, row }` object literals in schema.md column order onto one array per data
// row: one hidden class per table, no closures, no spread, JSON.stringify only for json columns.
import type { LineageSource, Position, TableRow, V2DataRow } from '@labelpipe/core'
import { InvalidOptionError, isValidLoadId } from '@labelpipe/core'
import type { FlattenEnv } from './column-values.js'
import { pushDataRowRows } from './data-row-rows.js'
import { FlattenCounters, type FlattenStats } from './flatten-stats.js'
import { pushProjectRows } from './project-rows.js'

export interface FlattenOptions {
  /** The run's load id, written to every row's `_load_id`; must pass `isValidLoadId`. Required, no default. */
  readonly loadId: string
  /** Written to every row's `_source` (schema.md principle 6): `v2` for an export file, `webhook` for deliveries. Required, no default. */
  readonly source: LineageSource
}

/** A RecordStage from one v2 data row to its table rows, with the counts of what it loaded. */
export interface DataRowFlattener {
  (record: V2DataRow, at: Position): Iterable<TableRow>
  readonly stats: FlattenStats
}

const lineageSources: ReadonlySet<string> = new Set<LineageSource>(['v1', 'v2', 'v1_frames', 'webhook'])

/**
 * Flattens v2 data rows into the tables of schema.md that non-frame media fill. Pure and synchronous; the
 * input is trusted (validated once by the source), unknown fields and annotation kinds load into json
 * columns and are counted in `stats`, never fatal.
 *
 * A data row's rows are returned as one array: without frames the fan-out is bounded by the line's own
 * size, and an array is the cheapest iterable for runStage's `for...of`.
 */
export function flattenDataRows(options: FlattenOptions): DataRowFlattener {
  const env = parseOptions(options)
  const flatten = (record: V2DataRow, _at: Position): TableRow[] => {
    const out: TableRow[] = []
    env.stats.dataRows++
    pushDataRowRows(out, record, env)
    const projects = record.projects
    if (projects != null) {
      const dataRowId = record.data_row.id
      for (const projectId in projects) {
        const project = projects[projectId]
        if (project != null) pushProjectRows(out, projectId, project, dataRowId, env)
      }
    }
    // Frame expansion slots in here: when a label has frame data, return a generator that yields `out`
    // and then each such label's expansion, so the unbounded part stays lazy (see label-rows scanAnnotationKeys).
    return out
  }
  return Object.assign(flatten, { stats: env.stats as FlattenStats })
}

function parseOptions(options: FlattenOptions): FlattenEnv {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'must be an object')
  const { loadId, source } = options
  if (typeof loadId !== 'string' || !isValidLoadId(loadId)) {
    throw new InvalidOptionError('loadId', 'must be 1-128 letters, digits, `_`, `.` or `-`, not starting with punctuation')
  }
  if (typeof source !== 'string' || !lineageSources.has(source)) {
    throw new InvalidOptionError('source', 'must be one of v1, v2, v1_frames, webhook')
  }
  return Object.freeze({ loadId, source, stats: new FlattenCounters() })
}

import { InvalidOptionError, isoTimestampWithZone, type Position, type V2DataRow, type V2Label, type V2Project } from '@labelpipe/core'
import { epochMs } from './column-values.js'

// Labelbox's export filters and params (formats.md "Export params and filters (v2)"), applied locally while
// streaming, so an export made wide once can be loaded narrow, and a nightly run can take only what changed.
//
//   record ─▶ data-row filters (ids, global keys, last_activity_at) ─▶ project filters (project ids, batch ids,
//             workflow status: non-matching projects removed) ─▶ label_created_at ─▶ incremental cursors
//             ─▶ param exclusions ─▶ record (and the cursors it reaches)
//
// Decisions (formats.md leaves them open):
// - Filters combine with AND; the values of one filter with OR (as the SDK's lists do).
// - Project-scoped filters keep the matching projects of a data row and drop the others from the record; a data
//   row left with none is dropped. Dropping a project only leaves its (project_id, data_row_id) merge unit
//   untouched in the warehouse.
// - label_created_at keeps a data row WHOLE when any of its labels was created in the range: dropping the other
//   labels would make a merge load delete them from the warehouse (schema.md principle 3: the unit is replaced).
// - A range filter on a missing timestamp drops the data row: it cannot be shown to be in the range.
// - Ranges are inclusive at both ends; either bound may be open.

/** An inclusive time range; either bound may be open. Times are ISO-8601 strings with an offset, or Dates. */
export interface TimeRange {
  readonly from?: string | Date | null | undefined
  readonly to?: string | Date | null | undefined
}

/** Filters, AND between them (formats.md). Each list matches any of its values. */
export interface ExportFilters {
  readonly lastActivityAt?: TimeRange | undefined
  readonly labelCreatedAt?: TimeRange | undefined
  readonly dataRowIds?: readonly string[] | undefined
  readonly globalKeys?: readonly string[] | undefined
  readonly projectIds?: readonly string[] | undefined
  readonly batchIds?: readonly string[] | undefined
  /** ToLabel, InReview, InRework, Done (project_details.workflow_status). */
  readonly workflowStatus?: readonly string[] | undefined
}

/** Export param groups a load can leave out, as an export made with that param false would lack them. */
export const excludableParams = [
  'attachments',
  'metadata_fields',
  'data_row_details',
  'project_details',
  'label_details',
  'performance_details',
] as const
export type ExcludableParam = (typeof excludableParams)[number]

/**
 * An incremental load (issue 8): the cursors a previous run reached, per project id, and the overlap that covers
 * Labelbox's replication lag. A data row is kept when, for any of its projects, its last_activity_at is after that
 * project's cursor minus the overlap, or that project has no cursor yet (never loaded); a data row in no project is
 * compared with the earliest cursor. A data row without last_activity_at is kept: nothing shows it unchanged.
 */
export interface IncrementalCursors {
  readonly cursors: Readonly<Record<string, string | Date>>
  readonly overlapMs: number
}

export interface FilterDataRowsOptions {
  readonly filters?: ExportFilters
  /** Groups removed from every record before it is flattened. Default none. */
  readonly exclude?: readonly ExcludableParam[]
  readonly incremental?: IncrementalCursors | undefined
}

/** What filterDataRows kept and dropped, and why (the first failing filter of each dropped data row). */
export interface FilterStats {
  readonly kept: number
  readonly dropped: number
  readonly droppedBy: Readonly<Record<string, number>>
  /** Projects removed from kept data rows by the project-scoped filters. */
  readonly projectsRemoved: number
}

/** A record stage from v2 data rows to the ones the filters keep (projects narrowed, params excluded), with `stats`. */
export interface DataRowFilter {
  (record: V2DataRow, at: Position): V2DataRow[]
  readonly stats: FilterStats
  /** The cursors the kept data rows reach: per project id, the latest last_activity_at (RunFacts.cursors). */
  cursors(): Record<string, string>
}

interface Range {
  readonly from: number
  readonly to: number
}

/**
 * Applies Labelbox export filters and param exclusions to v2 data rows (decisions above). Times must carry an
 * offset: a bare `YYYY-MM-DD hh:mm:ss` is rejected, since Labelbox reads it in the API user's time zone, which
 * labelpipe cannot know (formats.md).
 */
export function filterDataRows(options: FilterDataRowsOptions = {}): DataRowFilter {
  const filters = options.filters ?? {}
  const lastActivity = rangeOf('lastActivityAt', filters.lastActivityAt)
  const labelCreated = rangeOf('labelCreatedAt', filters.labelCreatedAt)
  const dataRowIds = setOf('dataRowIds', filters.dataRowIds)
  const globalKeys = setOf('globalKeys', filters.globalKeys)
  const projectIds = setOf('projectIds', filters.projectIds)
  const batchIds = setOf('batchIds', filters.batchIds)
  const workflowStatus = setOf('workflowStatus', filters.workflowStatus)
  const exclude = new Set<ExcludableParam>(options.exclude ?? [])
  for (const param of exclude) {
    if (!excludableParams.includes(param)) throw new InvalidOptionError('exclude', `takes ${excludableParams.join(', ')}; got ${param}`)
  }
  const projectScoped = projectIds !== undefined || batchIds !== undefined || workflowStatus !== undefined
  const incremental = incrementalOf(options.incremental)
  const reached = new Map<string, number>()
  const stats = { kept: 0, dropped: 0, droppedBy: Object.create(null) as Record<string, number>, projectsRemoved: 0 }
  const drop = (reason: string): V2DataRow[] => {
    stats.dropped++
    stats.droppedBy[reason] = (stats.droppedBy[reason] ?? 0) + 1
    return []
  }

  const keepProject = (id: string, project: V2Project): boolean => {
    if (projectIds !== undefined && !projectIds.has(id)) return false
    const details = project.project_details
    if (batchIds !== undefined && (details?.batch_id == null || !batchIds.has(details.batch_id))) return false
    if (workflowStatus !== undefined && (details?.workflow_status == null || !workflowStatus.has(details.workflow_status))) return false
    return true
  }

  const filter = (record: V2DataRow): V2DataRow[] => {
    const row = record.data_row
    if (dataRowIds !== undefined && !dataRowIds.has(row.id)) return drop('data_row_ids')
    if (globalKeys !== undefined && (row.global_key == null || !globalKeys.has(row.global_key))) return drop('global_keys')
    if (lastActivity !== undefined && !inRange(row.details?.last_activity_at, lastActivity)) return drop('last_activity_at')
    let projects = record.projects
    if (projectScoped) {
      const kept: Record<string, V2Project> = {}
      let keptCount = 0
      let left = 0
      for (const [id, project] of Object.entries(projects ?? {})) {
        if (keepProject(id, project)) {
          kept[id] = project
          keptCount++
        } else left++
      }
      if (keptCount === 0) return drop('projects')
      // Counted for kept data rows only (what the summary says): a dropped row's projects go with it.
      stats.projectsRemoved += left
      projects = kept
    }
    if (
      labelCreated !== undefined &&
      !Object.values(projects ?? {}).some((p) => p.labels?.some((l) => inRange(l.label_details?.created_at, labelCreated)))
    ) {
      return drop('label_created_at')
    }
    // epochMs: flattenDataRows' own parser of export timestamps (a hand-read fast path for their usual shape).
    const activity = epochMs(row.details?.last_activity_at) ?? Number.NaN
    if (incremental !== undefined && !changedSince(activity, projects, incremental)) return drop('incremental')
    if (!Number.isNaN(activity)) {
      for (const id in projects ?? {}) if (!(activity <= (reached.get(id) ?? Number.NEGATIVE_INFINITY))) reached.set(id, activity)
    }
    stats.kept++
    const narrowed = projects === record.projects ? record : { ...record, projects }
    return [exclude.size === 0 ? narrowed : withoutParams(narrowed, exclude)]
  }
  const cursors = () => Object.fromEntries([...reached].map(([id, ms]) => [id, new Date(ms).toISOString()]))
  return Object.assign(filter, { stats: stats as FilterStats, cursors })
}

interface Incremental {
  readonly since: ReadonlyMap<string, number>
  /** For a data row in no project: the earliest cursor minus the overlap. */
  readonly earliest: number
}

function incrementalOf(options: IncrementalCursors | undefined): Incremental | undefined {
  if (options === undefined) return undefined
  if (!Number.isInteger(options.overlapMs) || options.overlapMs < 0) {
    throw new InvalidOptionError('incremental.overlapMs', 'takes a whole number of milliseconds >= 0')
  }
  const since = new Map<string, number>()
  for (const [id, cursor] of Object.entries(options.cursors))
    since.set(id, filterTime(`incremental.cursors.${id}`, cursor) - options.overlapMs)
  return { since, earliest: Math.min(...since.values()) }
}

function changedSince(activity: number, projects: V2DataRow['projects'], incremental: Incremental): boolean {
  if (Number.isNaN(activity)) return true
  let any = false
  for (const id in projects ?? {}) {
    any = true
    const since = incremental.since.get(id)
    if (since === undefined || activity > since) return true
  }
  return !any && activity > incremental.earliest
}

/** The record as an export made without the `exclude` params would have it: a copy, the input is left alone. */
function withoutParams(record: V2DataRow, exclude: ReadonlySet<ExcludableParam>): V2DataRow {
  const out: Record<string, unknown> = { ...record }
  if (exclude.has('attachments')) delete out.attachments
  if (exclude.has('metadata_fields')) delete out.metadata_fields
  if (exclude.has('data_row_details')) {
    const { details: _details, ...dataRow } = record.data_row
    out.data_row = dataRow
  }
  const perProject = exclude.has('project_details')
  const perLabel = exclude.has('label_details') || exclude.has('performance_details')
  if ((perProject || perLabel) && record.projects != null) {
    const projects: Record<string, V2Project> = {}
    for (const [id, project] of Object.entries(record.projects)) {
      const copy: Record<string, unknown> = { ...project }
      if (perProject) delete copy.project_details
      if (perLabel && project.labels != null) {
        copy.labels = project.labels.map((label) => {
          const trimmed: Record<string, unknown> = { ...label }
          if (exclude.has('label_details')) delete trimmed.label_details
          if (exclude.has('performance_details')) delete trimmed.performance_details
          return trimmed as V2Label
        })
      }
      projects[id] = copy as V2Project
    }
    out.projects = projects
  }
  return out as V2DataRow
}

function inRange(value: string | null | undefined, range: Range): boolean {
  const ms = epochMs(value)
  return ms !== null && ms >= range.from && ms <= range.to
}

function setOf(option: string, values: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (values === undefined) return undefined
  if (values.length === 0) throw new InvalidOptionError(option, 'takes at least one value (leave it out to keep every data row)')
  return new Set(values)
}

function rangeOf(option: string, range: TimeRange | undefined): Range | undefined {
  if (range === undefined) return undefined
  const from = range.from == null ? Number.NEGATIVE_INFINITY : filterTime(`${option}.from`, range.from)
  const to = range.to == null ? Number.POSITIVE_INFINITY : filterTime(`${option}.to`, range.to)
  if (from > to) throw new InvalidOptionError(option, 'starts after it ends')
  return { from, to }
}

/**
 * A filter time as epoch milliseconds. Only ISO-8601 with an offset is taken: Labelbox reads a bare
 * "YYYY-MM-DD" or "YYYY-MM-DD hh:mm:ss" in the API user's time zone (formats.md, docs/facts.md), which a local
 * filter cannot know, so the same text would select other data rows than the export did.
 */
export function filterTime(option: string, value: string | Date): number {
  if (value instanceof Date) {
    const ms = value.getTime()
    if (Number.isNaN(ms)) throw new InvalidOptionError(option, 'is an invalid Date')
    return ms
  }
  if (!isoTimestampWithZone.test(value)) {
    const bare = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(value)
    throw new InvalidOptionError(
      option,
      bare
        ? `${JSON.stringify(value)} has no time zone: Labelbox reads such a time in the API user's time zone, which labelpipe cannot know; give an offset, e.g. ${value.length === 10 ? `${value}T00:00:00Z` : `${value.replace(' ', 'T')}Z`}`
        : `takes an ISO-8601 time with an offset (e.g. 2024-01-31T23:00:00Z or 2024-02-01T00:00:00+01:00), got ${JSON.stringify(value)}`,
    )
  }
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new InvalidOptionError(option, `is not a valid time: ${JSON.stringify(value)}`)
  return ms
}

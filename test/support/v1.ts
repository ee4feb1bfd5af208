import type { Readable } from 'node:stream'
import { type Batch, type Located, runStage, type TableRow, type V2DataRow } from '@labelpipe/core'
import { type FramesResolver, type GroupV1LabelsOptions, groupV1Labels, readV1Export, resolveV1Frames } from '@labelpipe/sources'
import { flattenDataRows, type V1ToV2Options, v1LabelsToDataRows } from '@labelpipe/transforms'

/** The v1 path up to v2 records, chained by hand (each stage's iterable into the next), collected. */
export async function v1ToV2(
  input: string | Readable,
  options: { group?: GroupV1LabelsOptions; convert?: V1ToV2Options; frames?: FramesResolver } = {},
) {
  const signal = new AbortController().signal
  const reader = readV1Export(input)
  const grouper = groupV1Labels(options.group)
  let groups = grouper.run(reader, { signal })
  if (options.frames !== undefined) groups = resolveV1Frames(options.frames).run(groups, { signal })
  const convert = v1LabelsToDataRows(options.convert)
  const records: Located<V2DataRow>[] = []
  for await (const batch of runStage(convert)(groups) as AsyncIterable<Batch<V2DataRow>>) records.push(...batch)
  return { records, reader, grouper, convert }
}

/** Flattens records as `load` does; rows per table, `_source` and `_load_id` left out. */
export function tablesOf(records: readonly V2DataRow[], source: 'v1' | 'v2'): Map<string, Record<string, unknown>[]> {
  const flatten = flattenDataRows({ loadId: 'test', source })
  const tables = new Map<string, Record<string, unknown>[]>()
  for (const record of records) {
    for (const { table, row } of flatten(record, { file: 'x', line: 1, byteOffset: 0 }) as Iterable<TableRow>) {
      const { _source, _load_id, ...rest } = row as Record<string, unknown>
      let rows = tables.get(table)
      if (rows === undefined) tables.set(table, (rows = []))
      rows.push(rest)
    }
  }
  return tables
}

/** Columns and tables Export v1 cannot carry (formats.md "Export v1": no dataset id, data row dates, attachments, project details, label kind or version). */
const v1Lacks: Record<string, readonly string[]> = {
  data_rows: ['dataset_id', 'created_at', 'updated_at', 'last_activity_at', 'created_by'],
  project_data_rows: ['batch_id', 'batch_name', 'priority', 'workflow_status', 'task_name', 'consensus_expected_label_count'],
  labels: ['label_kind', 'version', 'seconds_to_review'],
}

export function withoutWhatV1Lacks(tables: Map<string, Record<string, unknown>[]>): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>()
  for (const [table, rows] of tables) {
    if (table === 'attachments' || table === 'workflow_history') continue
    const lacks = v1Lacks[table] ?? []
    out.set(
      table,
      rows.map((row) => ({ ...row, ...Object.fromEntries(lacks.map((column) => [column, null])) })),
    )
  }
  return out
}

/** v1 lists labels: a data row's place in a project without a label of it, or a data row with none, is not in it (formats.md). */
export function labelledOnly(row: V2DataRow): V2DataRow[] {
  const projects = Object.entries(row.projects ?? {}).filter(([, project]) => (project.labels?.length ?? 0) > 0)
  return projects.length === 0 ? [] : [{ ...row, projects: Object.fromEntries(projects) }]
}

export function sorted(rows: readonly Record<string, unknown>[]): string[] {
  return rows.map((row) => JSON.stringify(row)).sort()
}

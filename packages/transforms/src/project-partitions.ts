import { type RecordStage, type TableName, type TableRow, tableColumns, tableNames } from '@labelpipe/core'

/** The partition columns `--partition-by` takes: the one docs/schema.md names. */
export const partitionColumns = ['project_id'] as const
export type PartitionColumn = (typeof partitionColumns)[number]

const hasColumn = (column: string): ReadonlySet<TableName> =>
  new Set(tableNames.filter((table) => tableColumns(table).some(({ name }) => name === column)))
const withProjectId = hasColumn('project_id')
const withLabelId = hasColumn('label_id')

/**
 * Tags every row of `flatten` with the Hive partition folder of its project, `project_id=<id>`, which file sinks
 * write it under (docs/schema.md, File layout: `--partition-by project_id`). Rows with a project_id column
 * (project_data_rows, workflow_history, labels) take theirs; the other rows of a label (label_reviews, objects,
 * frame_objects, segments, key_frames, classifications, relationships) take their label's, which flattenDataRows
 * emits before them; a data row's own tables (data_rows, data_row_metadata, attachments) belong to no project and
 * stay unpartitioned. Lazy like `flatten`: a million-frame label passes one row at a time. Wrap the flatten itself,
 * before any table filter, so the labels rows are seen.
 */
export function partitionByProject<In>(flatten: RecordStage<In, TableRow>): RecordStage<In, TableRow> {
  // Each project's folder is escaped and measured once, not once a row (bounded by the projects of the export).
  const folders = new Map<string | null, string>()
  const folderOf = (project: string | null): string => {
    let folder = folders.get(project)
    if (folder === undefined) folders.set(project, (folder = projectFolder(project)))
    return folder
  }
  return function* (record, at) {
    // One record's labels only: a label's rows all come from the data row that holds it.
    const folderOfLabel = new Map<string, string>()
    for (const value of flatten(record, at)) {
      const row = value.row as { readonly project_id?: string | null; readonly label_id?: string }
      let partition: string
      if (withProjectId.has(value.table)) {
        partition = folderOf(row.project_id ?? null)
        if (value.table === 'labels') folderOfLabel.set(row.label_id as string, partition)
      } else if (withLabelId.has(value.table)) {
        const known = folderOfLabel.get(row.label_id as string)
        if (known === undefined) throw new Error(`a ${value.table} row of label ${row.label_id} came before its labels row`)
        partition = known
      } else {
        yield value
        continue
      }
      yield { table: value.table, row: value.row, partition } as TableRow
    }
  }
}

// Most file systems take names of up to 255 bytes: a longer folder fails the load at its first file (ENAMETOOLONG).
const maxFolderBytes = 255

/** `project_id=<escaped id>`; throws, naming the id, when that cannot be a folder name. */
function projectFolder(project: string | null): string {
  const folder = `project_id=${hivePartitionValue(project)}`
  const bytes = Buffer.byteLength(folder)
  if (bytes > maxFolderBytes) {
    // Only a project name standing in for a v1 id gets this long (Labelbox ids are 25 characters).
    throw new Error(
      `the partition folder of project ${JSON.stringify(project)} would be ${bytes} bytes, more than the ${maxFolderBytes} a file name may have: give the labels their project id (v1: --project-id)`,
    )
  }
  return folder
}

// Hive's FileUtils.escapePathName: these characters, and control characters, become %XX in a partition folder's
// value; a null or empty value is Hive's default partition. Labelbox ids (cuids) need none of it; a v1 project
// name standing in for the id may.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among what Hive escapes.
const escaped = /["#%'*/:=?\\{[\]^\x00-\x1f\x7f]/g

export function hivePartitionValue(value: string | null): string {
  if (value === null || value === '') return '__HIVE_DEFAULT_PARTITION__'
  return value.replace(escaped, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}

// The warehouse tables as data: their names, columns with warehouse types, primary keys and zod objects. This writes
// CREATE TABLE statements for a database of your own from them (plus a column of yours, typed the same way), and
// checks every row flattenDataRows makes of the sample against its table's zod object with a compiled validator.
// Run: node examples/dist/table-schema.js [export.ndjson] [out.sql]
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  attachmentsTable,
  type ColumnType,
  classificationsTable,
  col,
  columnRegistry,
  compileValidator,
  dataRowMetadataTable,
  dataRowsTable,
  frameObjectsTable,
  keyFramesTable,
  labelReviewsTable,
  labelsTable,
  newLoadId,
  objectsTable,
  primaryKeys,
  projectDataRowsTable,
  relationshipsTable,
  segmentsTable,
  type TableName,
  tableColumns,
  tableNames,
  tableSchemas,
  workflowHistoryTable,
} from '@labelpipe/core'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const out = process.argv[3] ?? 'out/example-schema/tables.sql'

// In memory a timestamptz is epoch milliseconds and a json column its JSON text; in SQL they are these types.
const sqlTypes: Record<ColumnType, string> = {
  text: 'text',
  int: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  bool: 'boolean',
  timestamptz: 'timestamptz',
  json: 'jsonb',
}

// tableNames: schema.md's order. tableColumns(table): each column's name, warehouse type and NOT NULL, in order.
const statements = tableNames.map((table) => {
  const columns = tableColumns(table).map(({ name, type, notNull }) => `  ${name} ${sqlTypes[type]}${notNull ? ' NOT NULL' : ''}`)
  return `CREATE TABLE ${table} (\n${[...columns, `  PRIMARY KEY (${primaryKeys[table].join(', ')})`].join(',\n')}\n);\n`
})

// A column of your own, made with the same constructors as the tables' (col.text() is nullable, col.text.notNull()
// is not); columnRegistry holds the warehouse type of every column schema so made.
const reviewedBy = col.text()
const reviewedMeta = columnRegistry.get(reviewedBy)
statements.push(`ALTER TABLE labels ADD COLUMN reviewed_by ${sqlTypes[reviewedMeta?.type ?? 'text']};\n`)

await mkdir(dirname(out), { recursive: true })
await writeFile(out, statements.join('\n'))
const columns = tableNames.reduce((sum, table) => sum + tableColumns(table).length, 0)
console.log(`${tableNames.length} tables, ${columns} columns: CREATE TABLE statements in ${out}`)
console.log(`frame_objects primary key: (${primaryKeys.frame_objects.join(', ')})`)
const idMeta = columnRegistry.get(dataRowsTable.shape.data_row_id)
console.log(`data_rows.data_row_id is ${idMeta?.type}${idMeta?.notNull ? ' NOT NULL' : ''}; reviewed_by is ${reviewedMeta?.type}`)

// Each table's zod object is exported by name too; tableSchemas maps the table names to them.
const byName: { readonly [T in TableName]: (typeof tableSchemas)[T] } = {
  data_rows: dataRowsTable,
  data_row_metadata: dataRowMetadataTable,
  attachments: attachmentsTable,
  project_data_rows: projectDataRowsTable,
  workflow_history: workflowHistoryTable,
  labels: labelsTable,
  label_reviews: labelReviewsTable,
  objects: objectsTable,
  frame_objects: frameObjectsTable,
  segments: segmentsTable,
  key_frames: keyFramesTable,
  classifications: classificationsTable,
  relationships: relationshipsTable,
}
console.log(`the named table objects are tableSchemas' own: ${tableNames.every((table) => byName[table] === tableSchemas[table])}`)

// Every row the transform makes, checked against its table's object: compileValidator gives the answer of
// `schema.safeParse(row).success` without building zod's copy of the row.
const validators = new Map(tableNames.map((table) => [table, compileValidator<unknown>(tableSchemas[table])]))
const flatten = flattenDataRows({ loadId: newLoadId(), source: 'v2' })
let rows = 0
let invalid = 0
let aLabel: object | undefined
for await (const batch of readV2Export(input)) {
  for (const { value, at } of batch) {
    for (const { table, row } of flatten(value, at)) {
      rows++
      if (!validators.get(table)?.(row)) invalid++
      if (table === 'labels') aLabel ??= row
    }
  }
}
console.log(`${rows} flattened rows checked against their table: ${invalid} invalid`)

// A row that breaks its table's rule (label_id is NOT NULL): the validator says no, zod names the column.
const brokenRow = { ...aLabel, label_id: null }
console.log(`the same labels row with a null label_id passes: ${validators.get('labels')?.(brokenRow)}`)
const broken = labelsTable.safeParse(brokenRow)
console.log(`a labels row without label_id: ${broken.success ? 'valid' : `invalid at ${broken.error.issues[0]?.path.join('.')}`}`)

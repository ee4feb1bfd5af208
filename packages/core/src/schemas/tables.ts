import { z } from 'zod'
import { type ColumnMeta, col, columnRegistry } from './columns.js'

// The warehouse tables of docs/schema.md, column for column and in the same order; names are contracts.
// Every table ends with the lineage columns `_load_id` and `_source` (schema.md principle 6).
const lineage = {
  _load_id: col.text(),
  _source: col.text(),
}

export const dataRowsTable = z.object({
  data_row_id: col.text.notNull(),
  global_key: col.text(),
  external_id: col.text(),
  row_data: col.text(),
  dataset_id: col.text(),
  dataset_name: col.text(),
  media_type: col.text(),
  mime_type: col.text(),
  width: col.int(),
  height: col.int(),
  frame_count: col.int(),
  frame_rate: col.double(),
  created_at: col.timestamptz(),
  updated_at: col.timestamptz(),
  last_activity_at: col.timestamptz(),
  created_by: col.text(),
  media_attributes: col.json(),
  ...lineage,
})

export const dataRowMetadataTable = z.object({
  data_row_id: col.text.notNull(),
  ordinal: col.int.notNull(),
  schema_id: col.text(),
  name: col.text(),
  kind: col.text(),
  value_text: col.text(),
  value_number: col.double(),
  value_datetime: col.timestamptz(),
  option_schema_id: col.text(),
  option_name: col.text(),
  ...lineage,
})

export const attachmentsTable = z.object({
  data_row_id: col.text.notNull(),
  ordinal: col.int.notNull(),
  attachment_id: col.text(),
  type: col.text(),
  name: col.text(),
  value: col.text(),
  ...lineage,
})

export const projectDataRowsTable = z.object({
  project_id: col.text.notNull(),
  data_row_id: col.text.notNull(),
  project_name: col.text(),
  batch_id: col.text(),
  batch_name: col.text(),
  priority: col.int(),
  workflow_status: col.text(),
  task_name: col.text(),
  consensus_expected_label_count: col.int(),
  ...lineage,
})

export const workflowHistoryTable = z.object({
  project_id: col.text.notNull(),
  data_row_id: col.text.notNull(),
  seq: col.int.notNull(),
  action: col.text(),
  created_at: col.timestamptz(),
  created_by: col.text(),
  previous_task_name: col.text(),
  next_task_name: col.text(),
  raw: col.json(),
  ...lineage,
})

export const labelsTable = z.object({
  label_id: col.text.notNull(),
  project_id: col.text(),
  data_row_id: col.text.notNull(),
  project_name: col.text(),
  label_kind: col.text(),
  version: col.text(),
  created_at: col.timestamptz(),
  updated_at: col.timestamptz(),
  created_by: col.text(),
  seconds_to_create: col.double(),
  seconds_to_review: col.double(),
  seconds_to_label: col.double(),
  skipped: col.bool(),
  consensus_score: col.double(),
  benchmark_score: col.double(),
  has_open_issues: col.bool(),
  ...lineage,
})

export const labelReviewsTable = z.object({
  label_id: col.text.notNull(),
  ordinal: col.int.notNull(),
  data_row_id: col.text.notNull(),
  review_id: col.text(),
  reviewed_by: col.text(),
  reviewed_at: col.timestamptz(),
  action: col.text(),
  raw: col.json(),
  ...lineage,
})

export const objectsTable = z.object({
  label_id: col.text.notNull(),
  feature_id: col.text.notNull(),
  data_row_id: col.text.notNull(),
  schema_id: col.text(),
  name: col.text(),
  value: col.text(),
  annotation_kind: col.text(),
  group_name: col.text(),
  first_frame: col.int(),
  last_frame: col.int(),
  frame_count: col.int(),
  keyframe_count: col.int(),
  bbox_top: col.double(),
  bbox_left: col.double(),
  bbox_height: col.double(),
  bbox_width: col.double(),
  point_x: col.double(),
  point_y: col.double(),
  page: col.int(),
  text_start: col.int(),
  text_end: col.int(),
  message_id: col.text(),
  mask_url: col.text(),
  geometry: col.json(),
  ...lineage,
})

export const frameObjectsTable = z.object({
  label_id: col.text.notNull(),
  frame: col.int.notNull(),
  feature_id: col.text.notNull(),
  group_name: col.text.notNull(),
  data_row_id: col.text.notNull(),
  schema_id: col.text(),
  name: col.text(),
  annotation_kind: col.text(),
  keyframe: col.bool.notNull(),
  interpolated: col.bool.notNull(),
  bbox_top: col.double(),
  bbox_left: col.double(),
  bbox_height: col.double(),
  bbox_width: col.double(),
  point_x: col.double(),
  point_y: col.double(),
  geometry: col.json(),
  ...lineage,
})

export const segmentsTable = z.object({
  label_id: col.text.notNull(),
  feature_id: col.text.notNull(),
  group_name: col.text.notNull(),
  start_frame: col.int.notNull(),
  end_frame: col.int.notNull(),
  data_row_id: col.text.notNull(),
  ...lineage,
})

export const keyFramesTable = z.object({
  label_id: col.text.notNull(),
  feature_id: col.text.notNull(),
  group_name: col.text.notNull(),
  frame: col.int.notNull(),
  is_keyframe: col.bool.notNull(),
  data_row_id: col.text.notNull(),
  ...lineage,
})

export const classificationsTable = z.object({
  label_id: col.text.notNull(),
  row_id: col.int.notNull(),
  data_row_id: col.text.notNull(),
  parent_row_id: col.int(),
  parent_feature_id: col.text(),
  scope: col.text(),
  frame: col.int(),
  group_name: col.text(),
  depth: col.int(),
  path: col.text(),
  feature_id: col.text(),
  schema_id: col.text(),
  name: col.text(),
  answer_kind: col.text(),
  answer_feature_id: col.text(),
  answer_schema_id: col.text(),
  answer: col.text(),
  ...lineage,
})

export const relationshipsTable = z.object({
  label_id: col.text.notNull(),
  feature_id: col.text.notNull(),
  data_row_id: col.text.notNull(),
  schema_id: col.text(),
  name: col.text(),
  source_feature_id: col.text(),
  target_feature_id: col.text(),
  type: col.text(),
  ...lineage,
})

/** Every warehouse table by its contract name; the order is the order sinks create and report them in. */
export const tableSchemas = {
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
} as const

export type TableName = keyof typeof tableSchemas
export type TableRowOf<T extends TableName> = z.infer<(typeof tableSchemas)[T]>

/**
 * One output row tagged with its table: what transforms emit and sinks consume. `partition`, when set, is the
 * Hive partition folder a file sink writes the row under (`project_id=<id>`, docs/schema.md File layout; set by
 * transforms' `partitionByProject`); the Postgres sink has no use for it.
 */
export type TableRow = {
  [T in TableName]: { readonly table: T; readonly row: TableRowOf<T>; readonly partition?: string | undefined }
}[TableName]

export const tableNames = Object.keys(tableSchemas) as TableName[]

/** Primary keys of docs/schema.md, in key order. */
export const primaryKeys: { readonly [T in TableName]: readonly (keyof TableRowOf<T>)[] } = {
  data_rows: ['data_row_id'],
  data_row_metadata: ['data_row_id', 'ordinal'],
  attachments: ['data_row_id', 'ordinal'],
  project_data_rows: ['project_id', 'data_row_id'],
  workflow_history: ['project_id', 'data_row_id', 'seq'],
  labels: ['label_id'],
  label_reviews: ['label_id', 'ordinal'],
  objects: ['label_id', 'feature_id'],
  frame_objects: ['label_id', 'group_name', 'frame', 'feature_id'],
  segments: ['label_id', 'feature_id', 'group_name', 'start_frame'],
  key_frames: ['label_id', 'feature_id', 'group_name', 'frame'],
  classifications: ['label_id', 'row_id'],
  relationships: ['label_id', 'feature_id'],
}

export interface Column extends ColumnMeta {
  readonly name: string
}

/** The columns of a table in schema.md order, with their warehouse types: what sinks build physical schemas from. */
export function tableColumns(table: TableName): readonly Column[] {
  const shape = tableSchemas[table].shape as Record<string, z.ZodType>
  return Object.entries(shape).map(([name, schema]) => {
    const meta = columnRegistry.get(schema)
    if (meta === undefined) throw new TypeError(`column ${table}.${name} has no column type`)
    return { name, ...meta }
  })
}

import type { TableName } from '@labelpipe/core'

/**
 * What a flattener saw that the tables cannot show: rows per table, and everything it loaded without
 * fully understanding. Unknown fields and kinds are never fatal (schema.md principle 5); they land in the
 * json columns and are counted here so the caller can report them. Plain data: `JSON.stringify(stats)`
 * is the report. Keyed counts are null-prototype records, so an exported key such as `constructor`
 * cannot collide with Object.prototype.
 */
export interface FlattenStats {
  /** Data rows flattened. */
  readonly dataRows: number
  /** Rows emitted per table; every table of schema.md is present, frame tables stay 0 until frames are expanded. */
  readonly rowsByTable: Readonly<Record<TableName, number>>
  /** Objects whose `annotation_kind` is not one labelpipe knows, by kind (`(none)` when absent): loaded, geometry in `objects.geometry`. */
  readonly unknownAnnotationKinds: Readonly<Record<string, number>>
  /** Object keys labelpipe does not know, by key: kept in `objects.geometry`. */
  readonly unknownObjectKeys: Readonly<Record<string, number>>
  /** Top-level data-row keys no table holds (`embeddings`, `model_runs`, anything new), by key: not loaded. */
  readonly unmappedDataRowKeys: Readonly<Record<string, number>>
  /** Keys of a label's `annotations` no table holds (the SDK's audio export writes `timestamp`), by key: not loaded. */
  readonly unmappedAnnotationKeys: Readonly<Record<string, number>>
  /** Classifications with none of radio_answer / checklist_answers (non-empty) / text_answer: one row with a null answer each. */
  readonly classificationsWithoutAnswer: number
  /** Classifications with more than one kind of answer: a row for each answer present. */
  readonly classificationsWithSeveralAnswers: number
  /** Relationships without a source or target feature id: loaded with nulls. */
  readonly relationshipsWithoutEnds: number
  /** Metadata values that are neither string, number, nor enum option: loaded as JSON text with kind `unknown`. */
  readonly metadataValuesOfUnknownType: number
  /** Video/DICOM labels whose frames/groups/segments/key frames were not expanded (frame expansion is a later issue). */
  readonly frameLabelsNotExpanded: number
  /**
   * Values of int columns that were not 32-bit integers, by `table.column`: written as null, the value kept
   * in a json column where the table has one (data_rows.media_attributes, objects.geometry).
   */
  readonly invalidIntegers: Readonly<Record<string, number>>
}

function emptyRowCounts(): Record<TableName, number> {
  // Every table, in tableSchemas order, so the shape never changes while counting (one hidden class).
  return {
    data_rows: 0,
    data_row_metadata: 0,
    attachments: 0,
    project_data_rows: 0,
    workflow_history: 0,
    labels: 0,
    label_reviews: 0,
    objects: 0,
    frame_objects: 0,
    segments: 0,
    key_frames: 0,
    classifications: 0,
    relationships: 0,
  }
}

/** The mutable side of FlattenStats, owned by one flattener; row builders increment it in place. */
export class FlattenCounters implements FlattenStats {
  dataRows = 0
  readonly rowsByTable = emptyRowCounts()
  readonly unknownAnnotationKinds: Record<string, number> = Object.create(null)
  readonly unknownObjectKeys: Record<string, number> = Object.create(null)
  readonly unmappedDataRowKeys: Record<string, number> = Object.create(null)
  readonly unmappedAnnotationKeys: Record<string, number> = Object.create(null)
  classificationsWithoutAnswer = 0
  classificationsWithSeveralAnswers = 0
  relationshipsWithoutEnds = 0
  metadataValuesOfUnknownType = 0
  frameLabelsNotExpanded = 0
  readonly invalidIntegers: Record<string, number> = Object.create(null)
}

/** Adds one to a keyed count (rare path: only for things labelpipe did not expect). */
export function countKey(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

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
  /** Rows emitted per table; every table of schema.md is present. Frame rows are counted as they are produced. */
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
  /** frame_objects rows labelpipe computed (`interpolated` true; only with the `interpolate` option), included in rowsByTable.frame_objects. */
  readonly interpolatedFrameObjects: number
  /**
   * Frame objects read from the export whose feature has no segment covering that frame (in its DICOM group):
   * loaded as exported. Labelbox derives segments from the frames (formats.md, v1 -> v2), so this means the
   * maps disagree.
   */
  readonly frameObjectsOutsideSegments: number
  /** Segments `[start, end]` with start > end: loaded as exported; they cover no frame in the other checks. */
  readonly segmentsWithStartAfterEnd: number
  /** key_frame_feature_map entries (true or false) whose frame no segment of the feature (in its group) covers: loaded. */
  readonly keyFramesOutsideSegments: number
  /**
   * With `interpolate`: runs of missing frames between two exported frames of one track, inside one segment,
   * left unfilled because the two frames do not both have a bounding box or both a point (polylines, masks
   * and unknown geometry are not interpolated).
   */
  readonly gapsNotInterpolated: number
  /**
   * DICOM features found in more than one group (plane). objects keeps one row per (label, feature): its
   * group_name is null and its track columns span every group; frame_objects/segments/key_frames keep the group.
   */
  readonly tracksInSeveralGroups: number
  /**
   * Entries of the frame maps that cannot become rows, because their frame number is part of a primary key,
   * by `<map>.<reason>`: `frames.invalidNumber` (a frames key that is not an integer 0..2^31-1: that frame's
   * objects and classifications are not loaded), `segments.invalidNumber`, `segments.duplicateStart` (a second
   * range of the same feature with the same start), `key_frame_feature_map.invalidNumber`,
   * `key_frame_feature_map.duplicateFrame` (a frame listed twice). **Not loaded.**
   */
  readonly frameEntriesNotLoaded: Readonly<Record<string, number>>
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
  interpolatedFrameObjects = 0
  frameObjectsOutsideSegments = 0
  segmentsWithStartAfterEnd = 0
  keyFramesOutsideSegments = 0
  gapsNotInterpolated = 0
  tracksInSeveralGroups = 0
  readonly frameEntriesNotLoaded: Record<string, number> = Object.create(null)
  readonly invalidIntegers: Record<string, number> = Object.create(null)
}

/** Adds one to a keyed count (rare path: only for things labelpipe did not expect). */
export function countKey(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

import type { TableRow, V2Object } from '@labelpipe/core'
import { pushClassificationRows } from './classification-rows.js'
import type { FlattenEnv } from './column-values.js'
import { annotationKind, GeometryColumns, readGeometry } from './object-geometry.js'

// Scratch for readGeometry, read into the row literal right after it is filled (never across calls).
const columns = new GeometryColumns()

/**
 * Pushes the objects of one non-frame label, each followed by its classification tree; returns the next
 * free classification row id (object trees continue the label's sequence, in object order).
 */
export function pushObjectRows(
  out: TableRow[],
  objects: readonly V2Object[],
  labelId: string,
  dataRowId: string,
  rowId: number,
  env: FlattenEnv,
): number {
  for (const object of objects) {
    pushObjectRow(out, object, labelId, dataRowId, env)
    const classifications = object.classifications
    if (classifications != null && classifications.length > 0) {
      const root = { labelId, dataRowId, scope: 'object', parentFeatureId: object.feature_id, frame: null, groupName: null, env } as const
      rowId = pushClassificationRows(out, classifications, root, rowId)
    }
  }
  return rowId
}

/** One objects row; the geometry rules are readGeometry's (object-geometry.ts). */
function pushObjectRow(out: TableRow[], object: V2Object, labelId: string, dataRowId: string, env: FlattenEnv): void {
  const kind = annotationKind(object, env)
  readGeometry(object, columns, true, env)
  out.push({
    table: 'objects',
    row: {
      label_id: labelId,
      feature_id: object.feature_id,
      data_row_id: dataRowId,
      schema_id: object.feature_schema_id ?? null,
      name: object.name ?? null,
      value: object.value ?? null,
      annotation_kind: kind,
      // Track columns are filled for video/DICOM tracks (track-rows.ts); a non-frame object has none.
      group_name: null,
      first_frame: null,
      last_frame: null,
      frame_count: null,
      keyframe_count: null,
      bbox_top: columns.bboxTop,
      bbox_left: columns.bboxLeft,
      bbox_height: columns.bboxHeight,
      bbox_width: columns.bboxWidth,
      point_x: columns.pointX,
      point_y: columns.pointY,
      page: columns.page,
      text_start: columns.textStart,
      text_end: columns.textEnd,
      message_id: columns.messageId,
      mask_url: object.mask?.url ?? null,
      geometry: columns.geometry,
      _load_id: env.loadId,
      _source: env.source,
    },
  })
  env.stats.rowsByTable.objects++
}

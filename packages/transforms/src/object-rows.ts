import type { TableRow, V2Object } from '@labelpipe/core'
import { pushClassificationRows } from './classification-rows.js'
import { type FlattenEnv, int32 } from './column-values.js'
import { countKey } from './flatten-stats.js'

// formats.md's kinds ("list unconfirmed"), plus DocumentEntityToken and DICOMPolyline seen in the SDK's
// expected v2 exports (labelbox-python tests/data/annotation_import/conftest.py). Another kind still loads,
// with whatever geometry it has in `geometry`, and is counted by name.
const knownKinds: ReadonlySet<string> = new Set([
  'ImageBoundingBox',
  'ImagePolygon',
  'ImagePolyline',
  'ImagePoint',
  'ImageSegmentationMask',
  'TextEntity',
  'DocumentBoundingBox',
  'DocumentEntityText',
  'DocumentEntityToken',
  'ConversationalTextEntity',
  'DICOMPolyline',
  'VideoBoundingBox',
  'VideoPoint',
  'VideoPolyline',
  'VideoSegmentationMask',
])

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

/**
 * One objects row. Typed columns hold what people filter on; `geometry` is the JSON of every key they do
 * not capture whole, so nothing exported is lost (schema.md principle 5):
 *   - polygon, line, geojson: always in geometry (no typed column).
 *   - mask: always in geometry as exported (schema.md lists it there); mask_url copies mask.url for filters.
 *   - bounding_box, point, location: typed columns; also in geometry when they carry keys beyond
 *     top/left/height/width, x/y, start/end (the SDK's TextEntity adds `token`, the matched text), or a
 *     start/end that is not a 32-bit integer.
 *   - page_number -> page; in geometry only when not a 32-bit integer.
 *   - conversational_location: message_id -> message_id, its location -> text_start/text_end (when there is
 *     no top-level location, which wins); the whole object goes to geometry unless all of it was captured.
 *   - any other key (unknown): in geometry under its own name, and counted in stats.unknownObjectKeys.
 * geometry is null when the typed columns hold the whole geometry.
 */
function pushObjectRow(out: TableRow[], object: V2Object, labelId: string, dataRowId: string, env: FlattenEnv): void {
  const kind = object.annotation_kind ?? null
  if (kind === null || !knownKinds.has(kind)) countKey(env.stats.unknownAnnotationKinds, kind ?? '(none)')

  let geometry: Record<string, unknown> | null = null
  const fields = object as Record<string, unknown>
  for (const key in fields) {
    switch (key) {
      case 'feature_id':
      case 'feature_schema_id':
      case 'name':
      case 'value':
      case 'annotation_kind':
      case 'classifications':
      case 'bounding_box':
      case 'point':
      case 'location':
      case 'conversational_location':
      case 'page_number':
        break
      case 'polygon':
      case 'line':
      case 'mask':
      case 'geojson': {
        const value = fields[key]
        if (value != null) (geometry ??= {})[key] = value
        break
      }
      default:
        countKey(env.stats.unknownObjectKeys, key)
        geometry = setOwn(geometry, key, fields[key])
    }
  }

  let bboxTop: number | null = null
  let bboxLeft: number | null = null
  let bboxHeight: number | null = null
  let bboxWidth: number | null = null
  const box = object.bounding_box
  if (box != null) {
    bboxTop = box.top
    bboxLeft = box.left
    bboxHeight = box.height
    bboxWidth = box.width
    if (!hasKeyCount(box, 4)) (geometry ??= {}).bounding_box = box
  }

  let pointX: number | null = null
  let pointY: number | null = null
  const point = object.point
  if (point != null) {
    pointX = point.x
    pointY = point.y
    if (!hasKeyCount(point, 2)) (geometry ??= {}).point = point
  }

  let page: number | null = null
  const pageNumber = object.page_number
  if (pageNumber != null) {
    page = int32(pageNumber, 'objects.page', env)
    if (page === null) (geometry ??= {}).page_number = pageNumber
  }

  let textStart: number | null = null
  let textEnd: number | null = null
  // Read through isRange, not the schema type: the SDK's DocumentEntityToken writes `location{groups[...]}`
  // with no start/end, which must land in geometry rather than in text_start/text_end.
  const location: unknown = object.location
  if (location != null) {
    let captured = false
    if (isRange(location)) {
      textStart = int32(location.start, 'objects.text_start', env)
      textEnd = int32(location.end, 'objects.text_end', env)
      captured = textStart !== null && textEnd !== null && hasKeyCount(location, 2)
    }
    if (!captured) (geometry ??= {}).location = location
  }

  let messageId: string | null = null
  const conversational = object.conversational_location
  if (conversational != null) {
    messageId = conversational.message_id ?? null
    let captured = conversational.message_id === undefined ? 0 : 1
    const inner = (conversational as Record<string, unknown>).location
    if (location == null && isRange(inner)) {
      textStart = int32(inner.start, 'objects.text_start', env)
      textEnd = int32(inner.end, 'objects.text_end', env)
      if (textStart !== null && textEnd !== null && hasKeyCount(inner, 2)) captured++
    }
    if (!hasKeyCount(conversational, captured)) (geometry ??= {}).conversational_location = conversational
  }

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
      // Track columns are filled by frame expansion (video/DICOM); a non-frame object has none.
      group_name: null,
      first_frame: null,
      last_frame: null,
      frame_count: null,
      keyframe_count: null,
      bbox_top: bboxTop,
      bbox_left: bboxLeft,
      bbox_height: bboxHeight,
      bbox_width: bboxWidth,
      point_x: pointX,
      point_y: pointY,
      page,
      text_start: textStart,
      text_end: textEnd,
      message_id: messageId,
      mask_url: object.mask?.url ?? null,
      geometry: geometry === null ? null : JSON.stringify(geometry),
      _load_id: env.loadId,
      _source: env.source,
    },
  })
  env.stats.rowsByTable.objects++
}

/** True when `value` has exactly `expected` own enumerable keys; the export schema guarantees which ones. */
function hasKeyCount(value: object, expected: number): boolean {
  let count = 0
  for (const _ in value) if (++count > expected) return false
  return count === expected
}

function isRange(value: unknown): value is { readonly start: number; readonly end: number } {
  if (typeof value !== 'object' || value === null) return false
  const range = value as Record<string, unknown>
  return typeof range.start === 'number' && typeof range.end === 'number'
}

/** Sets an exported key, `__proto__` included (JSON.parse makes it an own key; plain assignment would set the prototype). */
function setOwn(target: Record<string, unknown> | null, key: string, value: unknown): Record<string, unknown> {
  const object = target ?? {}
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  else object[key] = value
  return object
}

import type { V2Object } from '@labelpipe/core'
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

/** The object's annotation_kind, counted in stats.unknownAnnotationKinds when labelpipe does not know it. */
export function annotationKind(object: V2Object, env: FlattenEnv): string | null {
  const kind = object.annotation_kind ?? null
  if (kind === null || !knownKinds.has(kind)) countKey(env.stats.unknownAnnotationKinds, kind ?? '(none)')
  return kind
}

/**
 * The geometry columns of one object, as readGeometry leaves them. One instance per flattener, overwritten
 * for every object and read at once into the row literal: no allocation per object besides the row and,
 * when needed, the geometry record.
 */
export class GeometryColumns {
  bboxTop: number | null = null
  bboxLeft: number | null = null
  bboxHeight: number | null = null
  bboxWidth: number | null = null
  pointX: number | null = null
  pointY: number | null = null
  page: number | null = null
  textStart: number | null = null
  textEnd: number | null = null
  messageId: string | null = null
  /** JSON text of every key the typed columns do not capture whole, null when they capture everything. */
  geometry: string | null = null
}

/**
 * Reads an object's geometry into `into`. Typed columns hold what people filter on; `geometry` is the JSON
 * of every key they do not capture whole, so nothing exported is lost (schema.md principle 5):
 *   - polygon, line, geojson: always in geometry (no typed column).
 *   - mask: always in geometry as exported (schema.md lists it there); objects.mask_url copies mask.url.
 *   - bounding_box, point, location: typed columns; also in geometry when they carry keys beyond
 *     top/left/height/width, x/y, start/end (the SDK's TextEntity adds `token`, the matched text), or a
 *     start/end that is not a 32-bit integer.
 *   - page_number -> page; in geometry only when not a 32-bit integer.
 *   - conversational_location: message_id -> message_id, its location -> text_start/text_end (when there is
 *     no top-level location, which wins); the whole object goes to geometry unless all of it was captured.
 *   - any other key (unknown): in geometry under its own name, and counted in stats.unknownObjectKeys.
 *
 * `textColumns` is false for frame_objects, which has no page / text_start / text_end / message_id columns:
 * page_number, location and conversational_location then go to geometry as exported.
 */
export function readGeometry(object: V2Object, into: GeometryColumns, textColumns: boolean, env: FlattenEnv): void {
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
        break
      case 'location':
      case 'conversational_location':
      case 'page_number': {
        // Typed on objects; frame_objects has no column for them, so they are kept as exported.
        const value = fields[key]
        if (!textColumns && value != null) (geometry ??= {})[key] = value
        break
      }
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

  into.bboxTop = null
  into.bboxLeft = null
  into.bboxHeight = null
  into.bboxWidth = null
  const box = object.bounding_box
  if (box != null) {
    into.bboxTop = box.top
    into.bboxLeft = box.left
    into.bboxHeight = box.height
    into.bboxWidth = box.width
    if (!hasKeyCount(box, 4)) (geometry ??= {}).bounding_box = box
  }

  into.pointX = null
  into.pointY = null
  const point = object.point
  if (point != null) {
    into.pointX = point.x
    into.pointY = point.y
    if (!hasKeyCount(point, 2)) (geometry ??= {}).point = point
  }

  into.page = null
  into.textStart = null
  into.textEnd = null
  into.messageId = null
  if (textColumns) geometry = readTextColumns(object, into, geometry, env)
  into.geometry = geometry === null ? null : JSON.stringify(geometry)
}

/** page_number, location and conversational_location of a non-frame object; returns the geometry record. */
function readTextColumns(
  object: V2Object,
  into: GeometryColumns,
  geometry: Record<string, unknown> | null,
  env: FlattenEnv,
): Record<string, unknown> | null {
  const pageNumber = object.page_number
  if (pageNumber != null) {
    into.page = int32(pageNumber, 'objects.page', env)
    if (into.page === null) (geometry ??= {}).page_number = pageNumber
  }

  // Read through isRange, not the schema type: the SDK's DocumentEntityToken writes `location{groups[...]}`
  // with no start/end, which must land in geometry rather than in text_start/text_end.
  const location: unknown = object.location
  if (location != null) {
    let captured = false
    if (isRange(location)) {
      into.textStart = int32(location.start, 'objects.text_start', env)
      into.textEnd = int32(location.end, 'objects.text_end', env)
      captured = into.textStart !== null && into.textEnd !== null && hasKeyCount(location, 2)
    }
    if (!captured) (geometry ??= {}).location = location
  }

  const conversational = object.conversational_location
  if (conversational != null) {
    into.messageId = conversational.message_id ?? null
    let captured = conversational.message_id === undefined ? 0 : 1
    const inner = (conversational as Record<string, unknown>).location
    if (location == null && isRange(inner)) {
      into.textStart = int32(inner.start, 'objects.text_start', env)
      into.textEnd = int32(inner.end, 'objects.text_end', env)
      if (into.textStart !== null && into.textEnd !== null && hasKeyCount(inner, 2)) captured++
    }
    if (!hasKeyCount(conversational, captured)) (geometry ??= {}).conversational_location = conversational
  }
  return geometry
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

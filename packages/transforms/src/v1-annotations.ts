import type {
  V1Answer,
  V1Classification,
  V1ClassificationItem,
  V1Object,
  V2Classification,
  V2ClassificationAnswer,
  V2Object,
} from '@labelpipe/core'
import { v2ObjectFields } from '@labelpipe/core'
import { countKey } from './flatten-stats.js'
import type { V1Counters } from './v1-stats.js'

// v1 -> v2 annotation fields (formats.md "v1 -> v2 mapping"): featureId / schemaId / title / value ->
// feature_id / feature_schema_id / name / value; bbox / polygon / line / point / instanceURI (mask) ->
// bounding_box / polygon / line / point / mask.url; data.location -> location; answer / answers ->
// radio_answer or text_answer / checklist_answers.

/** The media a label's objects are drawn on; decides the objects' annotation_kind (v1 has none). */
export type V1Media = 'image' | 'geospatial' | 'text' | 'document' | 'video' | 'unknown'

// Keys read into v2 fields, or dropped on purpose (counted in stats.droppedObjectKeys):
//   color: the ontology's display colour, v2 has no such field;
//   format ("text.location") and version (1) on text objects: what annotation_kind TextEntity says;
//   keyframe: becomes key_frame_feature_map (v1-video.ts); type: becomes geojson.type.
const mappedObjectKeys: ReadonlySet<string> = new Set([
  'featureId',
  'schemaId',
  'title',
  'value',
  'classifications',
  'bbox',
  'polygon',
  'line',
  'point',
  'instanceURI',
  'data',
  'page',
  'geometry',
])
const droppedObjectKeys: ReadonlySet<string> = new Set(['color', 'format', 'version', 'keyframe', 'type'])

// tiled_image_export.json writes `type` + `geometry.coordinates` in map coordinates; v2 keeps them under
// `geojson` (formats.md). GeoJSON names the types; the kinds are the image tools they were drawn with.
const geoTypes: Readonly<Record<string, readonly [geoJsonType: string, kind: string]>> = {
  point: ['Point', 'ImagePoint'],
  polyline: ['LineString', 'ImagePolyline'],
  polygon: ['Polygon', 'ImagePolygon'],
  rectangle: ['Polygon', 'ImageBoundingBox'],
}

/** One v1 object as a v2 object (a label's, or a video frame's with `media` 'video'). */
export function v1ObjectToV2(object: V1Object, media: V1Media, stats: V1Counters): V2Object {
  const out: Record<string, unknown> = {
    feature_id: object.featureId,
    feature_schema_id: object.schemaId ?? null,
    name: object.title ?? null,
    value: object.value ?? null,
    annotation_kind: null,
    classifications: v1ClassificationsToV2(object.classifications, stats),
  }
  let kind: string | null = null
  if (object.bbox != null) {
    out.bounding_box = object.bbox
    kind = media === 'video' ? 'VideoBoundingBox' : media === 'document' ? 'DocumentBoundingBox' : 'ImageBoundingBox'
  }
  if (object.polygon != null) {
    out.polygon = object.polygon
    // Video polygons have no kind in formats.md's list: null, and flattenDataRows counts it.
    kind ??= media === 'video' ? null : 'ImagePolygon'
  }
  if (object.line != null) {
    out.line = object.line
    kind ??= media === 'video' ? 'VideoPolyline' : 'ImagePolyline'
  }
  if (object.point != null) {
    out.point = object.point
    kind ??= media === 'video' ? 'VideoPoint' : 'ImagePoint'
  }
  const location = object.data?.location
  if (location != null) {
    out.location = location
    kind ??= media === 'document' ? 'DocumentEntityText' : 'TextEntity'
  }
  if (object.page != null) out.page_number = object.page
  if (object.geometry != null) {
    const geo = geoTypes[object.type ?? '']
    out.geojson = { type: geo?.[0] ?? object.type ?? null, coordinates: object.geometry.coordinates }
    kind ??= geo?.[1] ?? null
  }
  const uri = object.instanceURI
  if (uri != null) {
    if (kind === null && media !== 'text' && media !== 'document') {
      // instanceURI alone is a segmentation mask (highly_nested_image.json "deer_eyes").
      out.mask = { url: uri }
      kind = media === 'video' ? 'VideoSegmentationMask' : 'ImageSegmentationMask'
    } else {
      // Decision: beside another geometry, instanceURI is a raster Labelbox rendered from it (the same
      // masks/feature/<featureId> URL with an expiring token on every object of image_export.json); v2
      // writes no such URL, and a token has no place in a warehouse. Dropped, counted.
      countKey(stats.droppedObjectKeys, 'instanceURI')
    }
  }
  // An unknown media has no kinds to choose from: the geometry keys stay, the kind is left out (null).
  out.annotation_kind = media === 'unknown' ? null : kind
  for (const key in object) {
    if (mappedObjectKeys.has(key)) continue
    // A key v1 does not have but v2 names (`name`, `mask`, `geojson`, ...) would overwrite, or pose as, the v2
    // field: a wrong-typed one failed the load in a sink. Dropped and counted like the keys dropped on purpose.
    if (droppedObjectKeys.has(key) || v2ObjectFields.has(key) || Object.hasOwn(out, key)) countKey(stats.droppedObjectKeys, key)
    // Anything else (`unit` on documents, new keys) is kept under its own name: flattenDataRows puts it in
    // objects.geometry and counts it, so it is never lost.
    else out[key] = object[key]
  }
  return out as V2Object
}

/** A v1 classification list as v2's; highly_nested_image.json's list-in-a-list is flattened one level. */
export function v1ClassificationsToV2(items: readonly V1ClassificationItem[] | null | undefined, stats: V1Counters): V2Classification[] {
  const out: V2Classification[] = []
  if (items == null) return out
  for (const item of items) {
    if (isClassificationList(item)) {
      stats.nestedClassificationLists++
      for (const inner of item) out.push(v1ClassificationToV2(inner, stats))
    } else out.push(v1ClassificationToV2(item, stats))
  }
  return out
}

function isClassificationList(item: V1ClassificationItem): item is readonly V1Classification[] {
  return Array.isArray(item)
}

function v1ClassificationToV2(classification: V1Classification, stats: V1Counters): V2Classification {
  const out: Record<string, unknown> = {
    feature_id: classification.featureId ?? null,
    feature_schema_id: classification.schemaId ?? null,
    name: classification.title ?? null,
    value: classification.value ?? null,
  }
  const { answer, answers } = classification
  if (typeof answer === 'string') out.text_answer = { content: answer }
  // Decision: a list under `answer` (highly_nested_image.json) holds chosen options like `answers`: a checklist.
  else if (Array.isArray(answer)) out.checklist_answers = (answer as readonly V1Answer[]).map((option) => v1AnswerToV2(option, stats))
  else if (answer != null) out.radio_answer = v1AnswerToV2(answer as V1Answer, stats)
  if (answers != null) out.checklist_answers = answers.map((option) => v1AnswerToV2(option, stats))
  return out as V2Classification
}

function v1AnswerToV2(answer: V1Answer, stats: V1Counters): V2ClassificationAnswer {
  return {
    feature_id: answer.featureId ?? null,
    feature_schema_id: answer.schemaId ?? null,
    name: answer.title ?? null,
    value: answer.value ?? null,
    classifications: v1ClassificationsToV2(answer.classifications, stats),
  }
}

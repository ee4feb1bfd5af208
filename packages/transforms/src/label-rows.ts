import { frameStoreOf, type TableRow, type V2Annotations, type V2Label } from '@labelpipe/core'
import { type ClassificationRoot, pushClassificationRows } from './classification-rows.js'
import { epochMs, type FlattenEnv } from './column-values.js'
import { countKey } from './flatten-stats.js'
import type { FrameLabel } from './frame-rows.js'
import { pushObjectRows } from './object-rows.js'
import { pushRelationshipRows } from './relationship-rows.js'

/**
 * Pushes one label: its labels row, label_reviews, then the bounded annotations (global classifications,
 * objects, relationships). On video and DICOM the label, its reviews and its global classifications
 * (`annotations.classifications`) are pushed here too; frames, groups, segments and key frames are returned
 * as a FrameLabel for the lazy expansion (frame-rows.ts), null when the label has none.
 */
export function pushLabelRows(
  out: TableRow[],
  label: V2Label,
  projectId: string,
  projectName: string | null,
  dataRowId: string,
  env: FlattenEnv,
): FrameLabel | null {
  const labelId = label.id
  const details = label.label_details
  const performance = label.performance_details
  const version = label.version
  const benchmark = performance?.benchmark_score
  const openIssues = performance?.has_open_issues
  out.push({
    table: 'labels',
    row: {
      label_id: labelId,
      project_id: projectId,
      data_row_id: dataRowId,
      project_name: projectName,
      label_kind: label.label_kind ?? null,
      // The SDK writes a string ("1.0.0"); a number is kept as its decimal text.
      version: version == null ? null : typeof version === 'string' ? version : String(version),
      created_at: epochMs(details?.created_at),
      updated_at: epochMs(details?.updated_at),
      created_by: details?.created_by ?? null,
      seconds_to_create: performance?.seconds_to_create ?? null,
      seconds_to_review: performance?.seconds_to_review ?? null,
      // Decision: only an exported seconds_to_label fills it. formats.md maps v1's single "Seconds to Label"
      // to seconds_to_create (unconfirmed); summing create + review here would invent a number v2 does not state.
      seconds_to_label: performance?.seconds_to_label ?? null,
      skipped: performance?.skipped ?? null,
      consensus_score: performance?.consensus_score ?? null,
      // -1 means "no benchmark" in v1 (formats.md) and is kept out of averages the same way in v2.
      benchmark_score: benchmark == null || benchmark === -1 ? null : benchmark,
      // v1 writes a count of open issues, v2 may write a bool: any count above zero is true.
      has_open_issues: openIssues == null ? null : typeof openIssues === 'boolean' ? openIssues : openIssues > 0,
      _load_id: env.loadId,
      _source: env.source,
    },
  })
  env.stats.rowsByTable.labels++

  const reviews = details?.reviews
  if (reviews != null) {
    for (let ordinal = 0; ordinal < reviews.length; ordinal++) {
      const review = reviews[ordinal]
      if (review === undefined) continue
      out.push({
        table: 'label_reviews',
        row: {
          label_id: labelId,
          // Reviews may lack an id (v1 has none): the key is the position in the exported list.
          ordinal,
          data_row_id: dataRowId,
          review_id: review.id ?? null,
          reviewed_by: review.created_by ?? null,
          reviewed_at: epochMs(review.created_at),
          action: review.action ?? null,
          raw: JSON.stringify(review),
          _load_id: env.loadId,
          _source: env.source,
        },
      })
      env.stats.rowsByTable.label_reviews++
    }
  }

  const annotations = label.annotations
  if (annotations == null) return null
  // row_id order (decision): global classifications, then each object's in object order; frame, group and
  // object-frame classifications continue from there in the expansion's order (frame-rows.ts).
  const global = annotations.classifications
  let rowId = 0
  if (global != null && global.length > 0) {
    const root: ClassificationRoot = { labelId, dataRowId, scope: 'global', parentFeatureId: null, frame: null, groupName: null, env }
    rowId = pushClassificationRows(out, global, root, rowId)
  }
  if (annotations.objects != null) rowId = pushObjectRows(out, annotations.objects, labelId, dataRowId, rowId, env)
  if (annotations.relationships != null) pushRelationshipRows(out, annotations.relationships, labelId, dataRowId, env)
  if (!scanAnnotationKeys(annotations, env)) return null
  return { annotations, labelId, dataRowId, nextRowId: rowId }
}

/**
 * Video and DICOM keep their objects in maps keyed by frame, group and feature (formats.md). Expanding them
 * is unbounded (a long video has millions of frame rows), so it is a generator chained after the bounded
 * rows flattenDataRows collects, keeping runStage's backpressure inside one label.
 *
 * Returns true when the label has frame data to expand; the same pass over the keys counts those no table
 * holds (the SDK's audio export has `timestamp`).
 */
function scanAnnotationKeys(annotations: V2Annotations, env: FlattenEnv): boolean {
  let frameData = false
  for (const key in annotations) {
    switch (key) {
      case 'objects':
      case 'classifications':
      case 'relationships':
        break
      case 'frames':
      case 'groups':
      case 'segments':
      case 'key_frame_feature_map':
        if (isNonEmpty(annotations[key])) frameData = true
        break
      default:
        countKey(env.stats.unmappedAnnotationKeys, key)
    }
  }
  return frameData
}

// Empty maps carry nothing to expand: the SDK writes `frames: {}, segments: {}` for a video with only global
// classifications, and `segments: {}` on audio. A streamed line's frames map is empty but backed by a
// FrameStore, which readV2Export attaches only when it holds entries.
function isNonEmpty(map: object | null | undefined): boolean {
  if (map == null) return false
  if (frameStoreOf(map) !== undefined) return true
  for (const _ in map) return true
  return false
}

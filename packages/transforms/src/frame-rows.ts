import {
  type FrameStore,
  frameNumber,
  frameStoreOf,
  type TableRow,
  type V2Annotations,
  type V2Classification,
  type V2Frame,
  type V2Object,
} from '@labelpipe/core'
import { type ClassificationRoot, type ClassificationScope, pushClassificationRows } from './classification-rows.js'
import type { FlattenEnv } from './column-values.js'
import { countKey } from './flatten-stats.js'
import { type GroupTrack, LabelTracks } from './frame-tracks.js'
import { annotationKind, GeometryColumns, readGeometry } from './object-geometry.js'
import { keyFrameRows, segmentRows, trackRows } from './track-rows.js'

// Frame expansion of one video or DICOM label, as a generator: frames of one label can number in the
// millions, so rows are produced one at a time and runStage's backpressure suspends the expansion mid-label.
//
//   annotations.frames (video, group '') ─┐
//   annotations.groups{g}.frames (DICOM) ─┴─ frame pass ── frame_objects (+ interpolated), classifications
//   annotations.segments ───────────────────────────────── segments
//   annotations.key_frame_feature_map ──────────────────── key_frames
//   tracks counted during the passes ───────────────────── objects (one per feature, after its frames)
//
// One pass over the frames: per-track aggregates (first/last frame, counts) are counted while frame rows
// are produced and the objects rows come last, so no frame is read twice and nothing per frame is kept.
// Held per label while it expands: LabelTracks (a few fields per track, its segments and listed key frames),
// the frames map's key list that `for...in` snapshots (V8: ~35 bytes a frame, 35 MB for 1M frames, against
// the 0.3-1 KB a frame that the parsed line itself holds), and one scratch array of classification rows.

/** A label whose frame data waits for expansion, with the next free classification row id. */
export interface FrameLabel {
  readonly annotations: V2Annotations
  readonly labelId: string
  readonly dataRowId: string
  readonly nextRowId: number
}

/** The classification root of the frame pass: one per label, moved from frame to frame (no allocation per frame). */
class FrameRoot implements ClassificationRoot {
  readonly labelId: string
  readonly dataRowId: string
  scope: ClassificationScope = 'frame'
  parentFeatureId: string | null = null
  frame: number | null = null
  groupName: string | null = null
  readonly env: FlattenEnv
  /** The label's next free classification row id. */
  rowId: number

  constructor(label: FrameLabel, env: FlattenEnv) {
    this.labelId = label.labelId
    this.dataRowId = label.dataRowId
    this.env = env
    this.rowId = label.nextRowId
  }
}

// Scratch for readGeometry, read into the row literal right after it is filled, never across a yield.
const columns = new GeometryColumns()

/**
 * Rows of one label's frame data, in this order: for video the frames, for DICOM each group in export
 * order (its group-level classifications, then its frames); then segments, key_frames, and objects (one per
 * feature). Frames come in ascending number (canonical keys enumerate that way); within a frame, the
 * frame's classification trees, then each object in export order (its frame_objects row, its trees).
 * Classification row ids follow that same order, continuing the label's global and object trees.
 */
export function* expandFrameLabel(label: FrameLabel, env: FlattenEnv): Generator<TableRow, void, undefined> {
  const annotations = label.annotations
  const tracks = new LabelTracks(annotations, env)
  const root = new FrameRoot(label, env)
  const scratch: TableRow[] = []
  const frames = annotations.frames
  if (frames != null) yield* frameRows(frameEntries(frames, env), '', tracks, root, scratch)
  const groups = annotations.groups
  if (groups != null) {
    for (const groupName in groups) {
      // Decision: group_name is the map key, not the group's `name`: segments and key_frame_feature_map
      // name the group only by that key, and the three tables must agree.
      const group = groups[groupName]
      if (group == null) continue
      if (group.classifications != null && group.classifications.length > 0) {
        // Group-level questions (a whole plane): scope `global` with the group's name, frame null.
        yield* classificationRows(group.classifications, root, 'global', null, null, groupName, scratch)
      }
      if (group.frames != null) yield* frameRows(frameEntries(group.frames, env), groupName, tracks, root, scratch)
    }
  }
  if (annotations.segments != null) yield* segmentRows(annotations.segments, tracks, label, env)
  if (annotations.key_frame_feature_map != null) yield* keyFrameRows(annotations.key_frame_feature_map, tracks, label, env)
  yield* trackRows(tracks, label, env)
}

/**
 * A frames map's entries in `for...in` order (frame numbers ascending, then other keys), from the parsed map
 * or, for a line readV2Export streamed, from the map's FrameStore, which holds only valid frame numbers and
 * counts the rest; the store is released when the pass ends or is abandoned.
 */
function frameEntries(frames: Readonly<Record<string, V2Frame>>, env: FlattenEnv): Iterable<readonly [string, V2Frame]> {
  const store = frameStoreOf(frames)
  if (store === undefined) return parsedFrameEntries(frames)
  for (let i = 0; i < store.invalidKeys; i++) countKey(env.stats.frameEntriesNotLoaded, 'frames.invalidNumber')
  return storedFrameEntries(store)
}

function* parsedFrameEntries(frames: Readonly<Record<string, V2Frame>>): Generator<readonly [string, V2Frame], void, undefined> {
  for (const key in frames) {
    const value = frames[key]
    if (value != null) yield [key, value]
  }
}

function* storedFrameEntries(store: FrameStore): Generator<readonly [string, V2Frame], void, undefined> {
  try {
    yield* store.entries()
  } finally {
    store.release()
  }
}

/** The frame pass over one frames map (the video's, or one DICOM group's). */
function* frameRows(
  frames: Iterable<readonly [string, V2Frame]>,
  groupName: string,
  tracks: LabelTracks,
  root: FrameRoot,
  scratch: TableRow[],
): Generator<TableRow, void, undefined> {
  const env = root.env
  const stats = env.stats
  const interpolate = env.interpolate
  const group = tracks.group(groupName)
  for (const [key, value] of frames) {
    const frame = frameNumber(key)
    if (frame < 0) {
      countKey(stats.frameEntriesNotLoaded, 'frames.invalidNumber')
      continue
    }
    const frameClassifications = value.classifications
    if (frameClassifications != null && frameClassifications.length > 0) {
      yield* classificationRows(frameClassifications, root, 'frame', null, frame, groupName, scratch)
    }
    const objects = value.objects
    if (objects == null) continue
    for (const featureId in objects) {
      const object = objects[featureId]
      if (object == null) continue
      const track = tracks.track(group, groupName, featureId)
      const cover = track.covering(frame)
      if (cover < 0) stats.frameObjectsOutsideSegments++
      const anchor = track.anchorFrame
      if (interpolate && cover >= 0 && cover === track.anchorCover && frame - anchor > 1) {
        // Frames missing between two exported frames of this track inside one segment: an export made
        // without `interpolated_frames` (formats.md). Filled here, before the frame that closes the gap.
        const from = track.anchorObject as V2Object
        if ((from.bounding_box != null && object.bounding_box != null) || (from.point != null && object.point != null)) {
          for (let n = anchor + 1; n < frame; n++) {
            yield interpolatedRow(track, from, object, anchor, n, frame, root)
            track.feature.add(n, false)
          }
        } else {
          stats.gapsNotInterpolated++
        }
      }
      const keyframe = track.isKeyFrame(key, frame)
      yield frameObjectRow(track, featureId, object, frame, keyframe, root)
      track.feature.add(frame, keyframe)
      track.anchorFrame = frame
      track.anchorObject = object
      track.anchorCover = cover
      const nested = object.classifications
      if (nested != null && nested.length > 0) yield* classificationRows(nested, root, 'object_frame', featureId, frame, groupName, scratch)
    }
  }
}

/** One frame object as exported: the typed bbox/point columns and the rest in geometry, as objects does. */
function frameObjectRow(
  track: GroupTrack,
  featureId: string,
  object: V2Object,
  frame: number,
  keyframe: boolean,
  root: FrameRoot,
): TableRow {
  const env = root.env
  const kind = annotationKind(object, env)
  const feature = track.feature
  if (!feature.identified) feature.identify(object, kind)
  readGeometry(object, columns, false, env)
  env.stats.rowsByTable.frame_objects++
  return {
    table: 'frame_objects',
    row: {
      label_id: root.labelId,
      frame,
      // The map key: unique within the frame, so the primary key holds even if an object's own feature_id differs.
      feature_id: featureId,
      group_name: track.groupName,
      data_row_id: root.dataRowId,
      schema_id: object.feature_schema_id ?? null,
      name: object.name ?? null,
      annotation_kind: kind,
      keyframe,
      interpolated: false,
      bbox_top: columns.bboxTop,
      bbox_left: columns.bboxLeft,
      bbox_height: columns.bboxHeight,
      bbox_width: columns.bboxWidth,
      point_x: columns.pointX,
      point_y: columns.pointY,
      geometry: columns.geometry,
      _load_id: env.loadId,
      _source: env.source,
    },
  }
}

/**
 * A frame between exported frames `a` (object `from`) and `b` (object `to`) of one track: each coordinate
 * is `from + (to - from) * (n - a) / (b - a)`, for the bounding box (top, left, height, width) when both
 * have one and for the point (x, y) when both have one. Identity columns from `from`; keyframe false,
 * interpolated true, geometry null (nothing else is interpolated).
 */
function interpolatedRow(track: GroupTrack, from: V2Object, to: V2Object, a: number, n: number, b: number, root: FrameRoot): TableRow {
  const env = root.env
  const t = (n - a) / (b - a)
  let bboxTop: number | null = null
  let bboxLeft: number | null = null
  let bboxHeight: number | null = null
  let bboxWidth: number | null = null
  const fromBox = from.bounding_box
  const toBox = to.bounding_box
  if (fromBox != null && toBox != null) {
    bboxTop = fromBox.top + (toBox.top - fromBox.top) * t
    bboxLeft = fromBox.left + (toBox.left - fromBox.left) * t
    bboxHeight = fromBox.height + (toBox.height - fromBox.height) * t
    bboxWidth = fromBox.width + (toBox.width - fromBox.width) * t
  }
  let pointX: number | null = null
  let pointY: number | null = null
  const fromPoint = from.point
  const toPoint = to.point
  if (fromPoint != null && toPoint != null) {
    pointX = fromPoint.x + (toPoint.x - fromPoint.x) * t
    pointY = fromPoint.y + (toPoint.y - fromPoint.y) * t
  }
  env.stats.rowsByTable.frame_objects++
  env.stats.interpolatedFrameObjects++
  return {
    table: 'frame_objects',
    row: {
      label_id: root.labelId,
      frame: n,
      feature_id: track.feature.featureId,
      group_name: track.groupName,
      data_row_id: root.dataRowId,
      schema_id: from.feature_schema_id ?? null,
      name: from.name ?? null,
      annotation_kind: from.annotation_kind ?? null,
      keyframe: false,
      interpolated: true,
      bbox_top: bboxTop,
      bbox_left: bboxLeft,
      bbox_height: bboxHeight,
      bbox_width: bboxWidth,
      point_x: pointX,
      point_y: pointY,
      geometry: null,
      _load_id: env.loadId,
      _source: env.source,
    },
  }
}

/** One tree of frame, object-frame or group classifications, continuing the label's row ids. */
function* classificationRows(
  classifications: readonly V2Classification[],
  root: FrameRoot,
  scope: ClassificationScope,
  parentFeatureId: string | null,
  frame: number | null,
  groupName: string,
  scratch: TableRow[],
): Generator<TableRow, void, undefined> {
  root.scope = scope
  root.parentFeatureId = parentFeatureId
  root.frame = frame
  root.groupName = groupName === '' ? null : groupName
  root.rowId = pushClassificationRows(scratch, classifications, root, root.rowId)
  const count = scratch.length
  for (let i = 0; i < count; i++) yield scratch[i] as TableRow
  scratch.length = 0
}

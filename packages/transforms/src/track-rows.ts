import { frameNumber, type TableRow, type V2Annotations } from '@labelpipe/core'
import type { FlattenEnv } from './column-values.js'
import { countKey } from './flatten-stats.js'
import type { FrameLabel } from './frame-rows.js'
import { type FrameRange, type GroupTrack, isFlatKeyFrames, isKeyFrameList, type KeyFrames, type LabelTracks } from './frame-tracks.js'

// The per-track tables of a frame label: segments and key_frames (one row per entry of their maps, bounded
// by the maps' own size) and objects (one row per feature, from the counts of the frame pass). They run
// after the frame pass, so every track already has its segments and key frames resolved.

type Segments = NonNullable<V2Annotations['segments']>
type KeyFrameMap = NonNullable<V2Annotations['key_frame_feature_map']>

/**
 * segments: one row per exported range, per feature in map order, ranges by start (GroupTrack keeps the
 * valid ones sorted; invalid numbers and repeated starts are counted there, start > end loads as is).
 */
export function* segmentRows(
  segments: Segments,
  tracks: LabelTracks,
  label: FrameLabel,
  env: FlattenEnv,
): Generator<TableRow, void, undefined> {
  for (const key in segments) {
    const value = segments[key]
    if (value == null) continue
    if (Array.isArray(value)) {
      // Video: `key` is the feature.
      if (value.length === 0) continue
      const track = tracks.track(tracks.group(''), '', key)
      for (const range of track.segments) yield segmentRow(track, range, label, env)
      continue
    }
    // DICOM: `key` is the group.
    const group = tracks.group(key)
    for (const featureId in value) {
      const ranges = value[featureId]
      if (ranges == null || ranges.length === 0) continue
      const track = tracks.track(group, key, featureId)
      for (const range of track.segments) yield segmentRow(track, range, label, env)
    }
  }
}

function segmentRow(track: GroupTrack, range: FrameRange, label: FrameLabel, env: FlattenEnv): TableRow {
  env.stats.rowsByTable.segments++
  return {
    table: 'segments',
    row: {
      label_id: label.labelId,
      feature_id: track.feature.featureId,
      group_name: track.groupName,
      start_frame: range[0],
      end_frame: range[1],
      data_row_id: label.dataRowId,
      _load_id: env.loadId,
      _source: env.source,
    },
  }
}

/**
 * key_frames: one row per entry of key_frame_feature_map, in map order. A map entry keeps its boolean;
 * a listed frame is a key frame (is_keyframe true). Entries that no segment of the feature covers are
 * counted (keyFramesOutsideSegments) and loaded.
 */
export function* keyFrameRows(
  map: KeyFrameMap,
  tracks: LabelTracks,
  label: FrameLabel,
  env: FlattenEnv,
): Generator<TableRow, void, undefined> {
  for (const featureId in map) {
    const value = map[featureId]
    if (value == null) continue
    if (isFlatKeyFrames(value)) {
      const frames = value as KeyFrames
      if (!isEmpty(frames)) yield* keyFramesOf(tracks.track(tracks.group(''), '', featureId), frames, label, env)
      continue
    }
    const byGroup = value as Readonly<Record<string, KeyFrames>>
    for (const groupName in byGroup) {
      const frames = byGroup[groupName]
      if (frames != null && !isEmpty(frames))
        yield* keyFramesOf(tracks.track(tracks.group(groupName), groupName, featureId), frames, label, env)
    }
  }
}

function* keyFramesOf(track: GroupTrack, frames: KeyFrames, label: FrameLabel, env: FlattenEnv): Generator<TableRow, void, undefined> {
  if (isKeyFrameList(frames)) {
    // The track's set: the list's valid frames, deduplicated (counted when the track was made).
    const listed = track.keyList
    if (listed !== null) for (const frame of listed) yield keyFrameRow(track, frame, true, label, env)
    return
  }
  for (const key in frames) {
    const frame = frameNumber(key)
    if (frame < 0) countKey(env.stats.frameEntriesNotLoaded, 'key_frame_feature_map.invalidNumber')
    else yield keyFrameRow(track, frame, frames[key] === true, label, env)
  }
}

function keyFrameRow(track: GroupTrack, frame: number, isKeyframe: boolean, label: FrameLabel, env: FlattenEnv): TableRow {
  if (track.covering(frame) < 0) env.stats.keyFramesOutsideSegments++
  env.stats.rowsByTable.key_frames++
  return {
    table: 'key_frames',
    row: {
      label_id: label.labelId,
      feature_id: track.feature.featureId,
      group_name: track.groupName,
      frame,
      is_keyframe: isKeyframe,
      data_row_id: label.dataRowId,
      _load_id: env.loadId,
      _source: env.source,
    },
  }
}

function isEmpty(frames: KeyFrames): boolean {
  if (isKeyFrameList(frames)) return frames.length === 0
  for (const _ in frames) return false
  return true
}

/**
 * objects: one row per feature of the label (PK (label_id, feature_id)), features in order of first sight
 * (frames, then segments, then key frames). Identity columns come from the feature's first frame object
 * (null for a feature only in segments or key frames); first_frame/last_frame/frame_count/keyframe_count
 * count its frame_objects rows (interpolated ones included), null frames when it has none. group_name is
 * the DICOM plane, null for video (a nullable column outside DICOM, as on images) and for a feature found
 * in several planes. Geometry is per frame (frame_objects): the typed geometry columns stay null.
 */
export function* trackRows(tracks: LabelTracks, label: FrameLabel, env: FlattenEnv): Generator<TableRow, void, undefined> {
  for (const feature of tracks.features.values()) {
    const framed = feature.frameCount > 0
    const groupName = feature.groupName
    env.stats.rowsByTable.objects++
    yield {
      table: 'objects',
      row: {
        label_id: label.labelId,
        feature_id: feature.featureId,
        data_row_id: label.dataRowId,
        schema_id: feature.schemaId,
        name: feature.name,
        value: feature.value,
        annotation_kind: feature.annotationKind,
        group_name: groupName === '' ? null : groupName,
        first_frame: framed ? feature.first : null,
        last_frame: framed ? feature.last : null,
        frame_count: feature.frameCount,
        keyframe_count: feature.keyframeCount,
        bbox_top: null,
        bbox_left: null,
        bbox_height: null,
        bbox_width: null,
        point_x: null,
        point_y: null,
        page: null,
        text_start: null,
        text_end: null,
        message_id: null,
        mask_url: null,
        geometry: null,
        _load_id: env.loadId,
        _source: env.source,
      },
    }
  }
}

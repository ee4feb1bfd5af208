import type { V2Annotations, V2Object } from '@labelpipe/core'
import { type FlattenEnv, isFrameNumber } from './column-values.js'
import { countKey } from './flatten-stats.js'

// The per-label state of frame expansion: one FeatureTrack per feature (the objects row) and one GroupTrack
// per (group, feature) that has any content (a frame object, a segment range or a key-frame entry). Memory
// is proportional to tracks and to their segments and listed key frames, never to frames: the frame pass
// keeps one anchor (the last frame object) per track and counts into the FeatureTrack as it goes.
//
// The two nested shapes (formats.md): video `segments{feature: ranges}`, `key_frame_feature_map{feature:
// frames}`; DICOM `segments{group: {feature: ranges}}`, `key_frame_feature_map{feature: {group: frames}}`.
// Each entry is read by its own shape, not by the label's media (core's schema admits both shapes in one
// map): an array of ranges is video, a map of features is DICOM; a key-frame value that is a list or a map
// to booleans is video, a map to maps/lists is DICOM. The video shape belongs to group ''.

export type FrameRange = readonly [number, number]
type Segments = NonNullable<V2Annotations['segments']>
type KeyFrameMap = NonNullable<V2Annotations['key_frame_feature_map']>
/** One feature's key frames in one group: frame -> is key frame (the SDK's fixture), or a list of key frames. */
export type KeyFrames = Readonly<Record<string, boolean>> | readonly number[]

/** One feature across its groups: the objects row (one per label x feature, PK (label_id, feature_id)). */
class FeatureTrack {
  readonly featureId: string
  /** Identity columns from the first frame object (export order), null until one is seen. */
  schemaId: string | null = null
  name: string | null = null
  value: string | null = null
  annotationKind: string | null = null
  identified = false
  /** The group ('' for video); null once a second group has content for this feature (tracksInSeveralGroups). */
  groupName: string | null
  first = 0
  last = 0
  /** frame_objects rows of this feature, interpolated ones included: sum(frame_count) = count(frame_objects). */
  frameCount = 0
  keyframeCount = 0

  constructor(featureId: string, groupName: string) {
    this.featureId = featureId
    this.groupName = groupName
  }

  /** Counts one frame_objects row of this feature. */
  add(frame: number, keyframe: boolean): void {
    if (this.frameCount === 0 || frame < this.first) this.first = frame
    if (this.frameCount === 0 || frame > this.last) this.last = frame
    this.frameCount++
    if (keyframe) this.keyframeCount++
  }

  identify(object: V2Object, kind: string | null): void {
    this.schemaId = object.feature_schema_id ?? null
    this.name = object.name ?? null
    this.value = object.value ?? null
    this.annotationKind = kind
    this.identified = true
  }
}

/** One feature in one group: its segments, key frames, and the interpolation anchor of the frame pass. */
export class GroupTrack {
  readonly feature: FeatureTrack
  readonly groupName: string
  /** The exported ranges with valid frame numbers, sorted by start, a repeated start dropped: the segments rows. */
  readonly segments: readonly FrameRange[]
  /** Key frames as a map (null if none or listed). */
  readonly keyMap: Readonly<Record<string, boolean>> | null
  /** Key frames as listed, valid and deduplicated in list order (null if none or a map). */
  readonly keyList: ReadonlySet<number> | null
  /** The last exported frame of this track in the frame pass (-1 before the first), its object and its cover. */
  anchorFrame = -1
  anchorObject: V2Object | null = null
  anchorCover = -1
  /** Frames the segments cover, as disjoint [start, end] pairs flattened and sorted (overlapping ranges merged). */
  readonly #cover: number[]
  #cursor = 0

  constructor(
    feature: FeatureTrack,
    groupName: string,
    ranges: readonly FrameRange[] | null,
    keyFrames: KeyFrames | null,
    env: FlattenEnv,
  ) {
    this.feature = feature
    this.groupName = groupName
    this.segments = ranges === null ? [] : sortedSegments(ranges, env)
    this.#cover = coverOf(this.segments)
    if (keyFrames === null) {
      this.keyMap = null
      this.keyList = null
    } else if (isKeyFrameList(keyFrames)) {
      this.keyMap = null
      this.keyList = keyFrameSet(keyFrames, env)
    } else {
      this.keyMap = keyFrames
      this.keyList = null
    }
  }

  /** Whether key_frame_feature_map marks `frame` (spelled `key`) a key frame of this track. */
  isKeyFrame(key: string, frame: number): boolean {
    const map = this.keyMap
    if (map !== null) return map[key] === true
    return this.keyList?.has(frame) === true
  }

  /**
   * The index of the segment cover holding `frame`, or -1 when no segment covers it. Amortized O(1) while
   * frames ascend (the frame pass); a frame before the cursor restarts the scan from the first range.
   */
  covering(frame: number): number {
    const cover = this.#cover
    let i = this.#cursor
    if (i >= cover.length || frame < (cover[i] as number)) i = 0
    while (i < cover.length && (cover[i + 1] as number) < frame) i += 2
    this.#cursor = i
    return i < cover.length && (cover[i] as number) <= frame ? i : -1
  }
}

/** The tracks of one label, created on first sight from the frame pass, the segments or the key frames. */
export class LabelTracks {
  /** Features in order of first sight: the order of the objects rows. */
  readonly features = new Map<string, FeatureTrack>()
  readonly #groups = new Map<string, Map<string, GroupTrack>>()
  readonly #segments: Segments | null
  readonly #keyFrames: KeyFrameMap | null
  readonly #env: FlattenEnv

  constructor(annotations: V2Annotations, env: FlattenEnv) {
    this.#segments = annotations.segments ?? null
    this.#keyFrames = annotations.key_frame_feature_map ?? null
    this.#env = env
  }

  /** The tracks of one group, by feature id; the frame pass holds it for the whole group. */
  group(groupName: string): Map<string, GroupTrack> {
    let tracks = this.#groups.get(groupName)
    if (tracks === undefined) this.#groups.set(groupName, (tracks = new Map()))
    return tracks
  }

  /** The track of (group, feature), created with its segments and key frames when first asked for. */
  track(tracks: Map<string, GroupTrack>, groupName: string, featureId: string): GroupTrack {
    const found = tracks.get(featureId)
    if (found !== undefined) return found
    let feature = this.features.get(featureId)
    if (feature === undefined) {
      feature = new FeatureTrack(featureId, groupName)
      this.features.set(featureId, feature)
    } else if (feature.groupName !== null) {
      // A second group for one feature (tracks are per group): one objects row cannot name both planes.
      feature.groupName = null
      this.#env.stats.tracksInSeveralGroups++
    }
    const track = new GroupTrack(
      feature,
      groupName,
      this.#rangesOf(groupName, featureId),
      this.#keyFramesOf(groupName, featureId),
      this.#env,
    )
    tracks.set(featureId, track)
    return track
  }

  #rangesOf(groupName: string, featureId: string): readonly FrameRange[] | null {
    const segments = this.#segments
    if (segments === null) return null
    if (groupName === '') {
      const ranges = ownValue(segments, featureId)
      return Array.isArray(ranges) ? ranges : null
    }
    const byFeature = ownValue(segments, groupName)
    if (byFeature == null || Array.isArray(byFeature)) return null
    return ownValue(byFeature, featureId) ?? null
  }

  #keyFramesOf(groupName: string, featureId: string): KeyFrames | null {
    const map = this.#keyFrames
    if (map === null) return null
    const value = ownValue(map, featureId)
    if (value == null) return null
    const flat = isFlatKeyFrames(value)
    if (groupName === '') return flat ? (value as KeyFrames) : null
    return flat ? null : (ownValue(value as Readonly<Record<string, KeyFrames>>, groupName) ?? null)
  }
}

/** A key_frame_feature_map value in the video shape (a list, or a map to booleans; an empty map reads as either). */
export function isFlatKeyFrames(value: object): boolean {
  if (Array.isArray(value)) return true
  for (const key in value) return typeof (value as Record<string, unknown>)[key] === 'boolean'
  return true
}

export function isKeyFrameList(value: KeyFrames): value is readonly number[] {
  return Array.isArray(value)
}

/** An own entry of an exported map: a feature id such as `constructor` must not reach Object.prototype. */
function ownValue<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined
}

/** Valid ranges sorted by start; invalid numbers and repeated starts are counted and dropped (PK), start > end counted and kept. */
function sortedSegments(ranges: readonly FrameRange[], env: FlattenEnv): FrameRange[] {
  const stats = env.stats
  const valid: FrameRange[] = []
  let sorted = true
  for (const range of ranges) {
    const start = range[0]
    const end = range[1]
    if (!isFrameNumber(start) || !isFrameNumber(end)) {
      countKey(stats.frameEntriesNotLoaded, 'segments.invalidNumber')
      continue
    }
    if (start > end) stats.segmentsWithStartAfterEnd++
    const previous = valid[valid.length - 1]
    if (previous !== undefined && previous[0] > start) sorted = false
    valid.push(range)
  }
  if (!sorted) valid.sort(byStart)
  let kept = 0
  for (let i = 0; i < valid.length; i++) {
    const range = valid[i] as FrameRange
    if (kept > 0 && (valid[kept - 1] as FrameRange)[0] === range[0]) {
      countKey(stats.frameEntriesNotLoaded, 'segments.duplicateStart')
      continue
    }
    valid[kept++] = range
  }
  valid.length = kept
  return valid
}

function byStart(a: FrameRange, b: FrameRange): number {
  return a[0] - b[0]
}

/** Disjoint covered intervals of sorted segments; a range with start > end covers nothing. */
function coverOf(segments: readonly FrameRange[]): number[] {
  const cover: number[] = []
  for (const [start, end] of segments) {
    if (start > end) continue
    const last = cover.length - 1
    if (last > 0 && start <= (cover[last] as number)) {
      if (end > (cover[last] as number)) cover[last] = end
    } else {
      cover.push(start, end)
    }
  }
  return cover
}

/** A listed key-frame set: valid frame numbers in list order, duplicates and invalid numbers counted (not loaded). */
function keyFrameSet(list: readonly number[], env: FlattenEnv): Set<number> {
  const set = new Set<number>()
  for (const frame of list) {
    if (!isFrameNumber(frame)) countKey(env.stats.frameEntriesNotLoaded, 'key_frame_feature_map.invalidNumber')
    else if (set.has(frame)) countKey(env.stats.frameEntriesNotLoaded, 'key_frame_feature_map.duplicateFrame')
    else set.add(frame)
  }
  return set
}

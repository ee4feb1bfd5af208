import type { V1Frame, V2Frame, V2Object } from '@labelpipe/core'
import { v1ClassificationsToV2, v1ObjectToV2 } from './v1-annotations.js'
import type { V1Counters } from './v1-stats.js'

/** A v2 video label's frame annotations, built from v1 frames. */
export interface V2VideoAnnotations {
  readonly frames: Record<string, V2Frame>
  readonly segments: Record<string, [number, number][]>
  readonly key_frame_feature_map: Record<string, Record<string, boolean>>
}

/**
 * v1 video frames (one per labeled frame, formats.md "v1 video frames NDJSON") -> v2 `frames`, `segments`
 * and `key_frame_feature_map`:
 *   - frames{n}.objects{featureId}: each frame object, keyed by its feature id (the track);
 *   - segments{featureId}: the maximal runs of consecutive frame numbers where the feature appears
 *     (formats.md's mapping table);
 *   - key_frame_feature_map{featureId}{n}: true for every frame object with `keyframe: true`. Decision: the
 *     first frame of a run whose object is not a key frame is written false, as the SDK's v2 video export
 *     fixture shows where a track reappears ({"13": true, "18": false, "19": true}); other interpolated
 *     frames get no entry, as in that fixture.
 * Frames are taken in ascending frame number whatever their order in the file; a frame number given twice
 * merges into one frame.
 */
export function v1FramesToV2(frames: readonly V1Frame[], stats: V1Counters): V2VideoAnnotations {
  const ordered = [...frames].sort((a, b) => a.frameNumber - b.frameNumber)
  // Maps keyed by feature id, made objects at the end with Object.fromEntries: an id is input, and a plain
  // object would find Object.prototype's `constructor` (or take `__proto__` as its prototype).
  const out = new Map<string, { objects: Map<string, V2Object>; classifications: V2Frame['classifications'] }>()
  const segments = new Map<string, [number, number][]>()
  const keyFrames = new Map<string, Map<string, boolean>>()
  for (const frame of ordered) {
    const n = frame.frameNumber
    const key = String(n)
    const existing = out.get(key)
    const objects = existing?.objects ?? new Map<string, V2Object>()
    const classifications = [...(existing?.classifications ?? []), ...v1ClassificationsToV2(frame.classifications, stats)]
    for (const object of frame.objects ?? []) {
      const featureId = object.featureId
      stats.frameObjects++
      if (objects.has(featureId)) stats.duplicateFrameObjects++
      objects.set(featureId, v1ObjectToV2(object, 'video', stats))
      let runs = segments.get(featureId)
      if (runs === undefined) segments.set(featureId, (runs = []))
      const last = runs.at(-1)
      const startsRun = last === undefined || n > last[1] + 1
      if (startsRun) runs.push([n, n])
      else if (last !== undefined && n > last[1]) last[1] = n
      let keyed = keyFrames.get(featureId)
      if (keyed === undefined) keyFrames.set(featureId, (keyed = new Map()))
      if (object.keyframe === true) keyed.set(key, true)
      else if (startsRun) keyed.set(key, false)
    }
    out.set(key, { objects, classifications })
  }
  return {
    frames: Object.fromEntries(
      [...out].map(([n, frame]) => [n, { objects: Object.fromEntries(frame.objects), classifications: frame.classifications }]),
    ),
    segments: Object.fromEntries(segments),
    key_frame_feature_map: Object.fromEntries([...keyFrames].map(([featureId, keyed]) => [featureId, Object.fromEntries(keyed)])),
  }
}

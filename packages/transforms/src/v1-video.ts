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
  const out: Record<string, V2Frame> = {}
  const segments: Record<string, [number, number][]> = {}
  const keyFrames: Record<string, Record<string, boolean>> = {}
  for (const frame of ordered) {
    const n = frame.frameNumber
    const key = String(n)
    const existing = out[key]
    const objects: Record<string, V2Object> = (existing?.objects as Record<string, V2Object> | undefined) ?? {}
    const classifications = [...(existing?.classifications ?? []), ...v1ClassificationsToV2(frame.classifications, stats)]
    for (const object of frame.objects ?? []) {
      const featureId = object.featureId
      stats.frameObjects++
      if (objects[featureId] !== undefined) stats.duplicateFrameObjects++
      objects[featureId] = v1ObjectToV2(object, 'video', stats)
      const runs = (segments[featureId] ??= [])
      const last = runs.at(-1)
      const startsRun = last === undefined || n > last[1] + 1
      if (startsRun) runs.push([n, n])
      else if (last !== undefined && n > last[1]) last[1] = n
      const keyed = (keyFrames[featureId] ??= {})
      if (object.keyframe === true) keyed[key] = true
      else if (startsRun) keyed[key] = false
    }
    out[key] = { objects, classifications }
  }
  return { frames: out, segments, key_frame_feature_map: keyFrames }
}

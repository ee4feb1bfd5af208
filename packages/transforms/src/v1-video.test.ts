import type { V1Frame } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { V1Counters } from './v1-stats.js'
import { v1FramesToV2 } from './v1-video.js'

const box = { top: 1, left: 2, height: 3, width: 4 }
const frame = (frameNumber: number, ...objects: [string, boolean][]): V1Frame => ({
  frameNumber,
  objects: objects.map(([featureId, keyframe]) => ({ featureId, title: 'Car', keyframe, bbox: box })),
  classifications: [],
})

describe('v1FramesToV2', () => {
  it('derives maximal runs and key frames per feature, in frame order whatever the file order', () => {
    const stats = new V1Counters()
    const frames = [
      frame(3, ['a', false]),
      frame(1, ['a', true], ['b', false]),
      frame(2, ['a', false]),
      frame(7, ['a', false]),
      frame(8, ['a', true]),
    ]
    const video = v1FramesToV2(frames, stats)
    expect(Object.keys(video.frames)).toEqual(['1', '2', '3', '7', '8'])
    expect(video.segments).toEqual({
      a: [
        [1, 3],
        [7, 8],
      ],
      b: [[1, 1]],
    })
    expect(video.key_frame_feature_map).toEqual({ a: { 1: true, 7: false, 8: true }, b: { 1: false } })
    expect(video.frames['1']?.objects?.a).toMatchObject({ feature_id: 'a', annotation_kind: 'VideoBoundingBox', bounding_box: box })
    expect(stats.frameObjects).toBe(6)
  })

  it('keeps the last object of a feature drawn twice in one frame, and counts it', () => {
    const stats = new V1Counters()
    const video = v1FramesToV2([frame(5, ['a', true], ['a', false])], stats)
    expect(video.key_frame_feature_map).toEqual({ a: { 5: true } })
    expect(stats.duplicateFrameObjects).toBe(1)
  })

  it('takes feature ids named like Object.prototype keys (constructor, __proto__) as plain ids', () => {
    const stats = new V1Counters()
    const video = v1FramesToV2([frame(1, ['constructor', true], ['__proto__', true]), frame(2, ['constructor', false])], stats)
    expect(Object.keys(video.segments)).toEqual(['constructor', '__proto__'])
    expect(Object.getPrototypeOf(video.segments)).toBe(Object.prototype)
    expect(video.segments.constructor).toEqual([[1, 2]])
    expect(Object.keys(video.frames['1']?.objects ?? {})).toEqual(['constructor', '__proto__'])
    expect(stats.duplicateFrameObjects).toBe(0)
  })
})

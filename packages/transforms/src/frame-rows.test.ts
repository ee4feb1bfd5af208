// Frame expansion (issue 3) on the hand-written fixtures: exact rows of video.ndjson and dicom.ndjson, the
// consistency checks and odd shapes of frames-edge-cases.ndjson, interpolation against hand-computed values,
// and laziness on a million-frame label.
import { readFileSync } from 'node:fs'
import {
  type Batch,
  type Located,
  runStage,
  type TableName,
  type TableRow,
  type TableRowOf,
  type V2DataRow,
  v2DataRow,
} from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { type FlattenOptions, flattenDataRows } from './flatten-data-rows.js'

const loadId = '20261125T015516123Z-3fa9c1'
const lineage = { _load_id: loadId, _source: 'v2' } as const
const at = { file: 'in.ndjson', line: 1, byteOffset: 0 }

function flattenLines(name: string, options: Partial<FlattenOptions> = {}) {
  const flatten = flattenDataRows({ loadId, source: 'v2', ...options })
  const rows: TableRow[] = []
  const lines = readFileSync(new URL(`../../../test/fixtures/v2/${name}.ndjson`, import.meta.url), 'utf8').split('\n')
  for (const line of lines) if (line !== '') rows.push(...flatten(v2DataRow.parse(JSON.parse(line)), at))
  return { rows, stats: flatten.stats }
}

function rowsOf<T extends TableName>(rows: readonly TableRow[], table: T): TableRowOf<T>[] {
  return rows.filter((r) => r.table === table).map((r) => r.row as TableRowOf<T>)
}

const noBox = { bbox_top: null, bbox_left: null, bbox_height: null, bbox_width: null }
const noPoint = { point_x: null, point_y: null }
const noTypedGeometry = {
  ...noBox,
  ...noPoint,
  page: null,
  text_start: null,
  text_end: null,
  message_id: null,
  mask_url: null,
  geometry: null,
}

describe('video fixture, expanded', () => {
  const { rows, stats } = flattenLines('video')

  it('emits one frame_objects row per exported (label, frame, feature), typed bbox/point, polylines in geometry', () => {
    const car = {
      label_id: 'lb-video-1',
      feature_id: 'ft-car-1',
      group_name: '',
      data_row_id: 'dr-video-1',
      schema_id: 'sc-car',
      name: 'car',
    }
    const ped = {
      label_id: 'lb-video-2',
      feature_id: 'ft-ped-1',
      group_name: '',
      data_row_id: 'dr-video-1',
      schema_id: 'sc-crossing',
      name: 'crossing_path',
    }
    const kind = { annotation_kind: 'VideoBoundingBox', keyframe: true, interpolated: false }
    expect(rowsOf(rows, 'frame_objects')).toEqual([
      {
        ...car,
        frame: 1,
        ...kind,
        bbox_top: 300,
        bbox_left: 100,
        bbox_height: 80,
        bbox_width: 160,
        ...noPoint,
        geometry: null,
        ...lineage,
      },
      {
        ...car,
        frame: 5,
        ...kind,
        bbox_top: 310,
        bbox_left: 140,
        bbox_height: 80,
        bbox_width: 160,
        ...noPoint,
        geometry: null,
        ...lineage,
      },
      {
        label_id: 'lb-video-1',
        frame: 5,
        feature_id: 'ft-light-1',
        group_name: '',
        data_row_id: 'dr-video-1',
        schema_id: 'sc-light',
        name: 'traffic_light',
        annotation_kind: 'VideoPoint',
        keyframe: true,
        interpolated: false,
        ...noBox,
        point_x: 900,
        point_y: 120,
        geometry: null,
        ...lineage,
      },
      // Key frames given as a list ([2, 9]): both frames are key frames.
      {
        ...ped,
        frame: 2,
        annotation_kind: 'VideoPolyline',
        keyframe: true,
        interpolated: false,
        ...noBox,
        ...noPoint,
        geometry: '{"line":[{"x":10,"y":700},{"x":60,"y":650}]}',
        ...lineage,
      },
      {
        ...ped,
        frame: 9,
        annotation_kind: 'VideoPolyline',
        keyframe: true,
        interpolated: false,
        ...noBox,
        ...noPoint,
        geometry: '{"line":[{"x":30,"y":690},{"x":90,"y":640}]}',
        ...lineage,
      },
    ])
  })

  it('emits segments and key_frames one to one with the maps, key frames from a map or a list', () => {
    expect(rowsOf(rows, 'segments')).toEqual([
      {
        label_id: 'lb-video-1',
        feature_id: 'ft-car-1',
        group_name: '',
        start_frame: 1,
        end_frame: 5,
        data_row_id: 'dr-video-1',
        ...lineage,
      },
      {
        label_id: 'lb-video-1',
        feature_id: 'ft-light-1',
        group_name: '',
        start_frame: 5,
        end_frame: 5,
        data_row_id: 'dr-video-1',
        ...lineage,
      },
      {
        label_id: 'lb-video-2',
        feature_id: 'ft-ped-1',
        group_name: '',
        start_frame: 2,
        end_frame: 9,
        data_row_id: 'dr-video-1',
        ...lineage,
      },
    ])
    expect(rowsOf(rows, 'key_frames').map((k) => [k.label_id, k.feature_id, k.group_name, k.frame, k.is_keyframe])).toEqual([
      ['lb-video-1', 'ft-car-1', '', 1, true],
      ['lb-video-1', 'ft-car-1', '', 5, true],
      ['lb-video-1', 'ft-light-1', '', 5, true],
      ['lb-video-2', 'ft-ped-1', '', 2, true],
      ['lb-video-2', 'ft-ped-1', '', 9, true],
    ])
    expect(rowsOf(rows, 'key_frames')[0]).toEqual({
      label_id: 'lb-video-1',
      feature_id: 'ft-car-1',
      group_name: '',
      frame: 1,
      is_keyframe: true,
      data_row_id: 'dr-video-1',
      ...lineage,
    })
  })

  it('emits one objects row per track, with first/last frame and counts, group_name null on video', () => {
    expect(rowsOf(rows, 'objects')).toEqual([
      {
        label_id: 'lb-video-1',
        feature_id: 'ft-car-1',
        data_row_id: 'dr-video-1',
        schema_id: 'sc-car',
        name: 'car',
        value: 'car',
        annotation_kind: 'VideoBoundingBox',
        group_name: null,
        first_frame: 1,
        last_frame: 5,
        frame_count: 2,
        keyframe_count: 2,
        ...noTypedGeometry,
        ...lineage,
      },
      expect.objectContaining({
        label_id: 'lb-video-1',
        feature_id: 'ft-light-1',
        name: 'traffic_light',
        first_frame: 5,
        last_frame: 5,
        frame_count: 1,
        keyframe_count: 1,
      }),
      expect.objectContaining({
        label_id: 'lb-video-2',
        feature_id: 'ft-ped-1',
        annotation_kind: 'VideoPolyline',
        first_frame: 2,
        last_frame: 9,
        frame_count: 2,
        keyframe_count: 2,
      }),
    ])
  })

  it('emits the frame classification with scope frame, its frame, no group, continuing the row ids', () => {
    expect(rowsOf(rows, 'classifications').filter((c) => c.scope === 'frame')).toEqual([
      {
        label_id: 'lb-video-1',
        row_id: 3,
        data_row_id: 'dr-video-1',
        parent_row_id: null,
        parent_feature_id: null,
        scope: 'frame',
        frame: 5,
        group_name: null,
        depth: 0,
        path: 'visibility/clear',
        feature_id: 'ft-cls-visibility',
        schema_id: 'sc-visibility',
        name: 'visibility',
        answer_kind: 'radio',
        answer_feature_id: 'ft-ans-clear',
        answer_schema_id: 'sc-clear',
        answer: 'clear',
        ...lineage,
      },
    ])
  })

  it('finds the fixture consistent', () => {
    expect(stats).toMatchObject({
      frameObjectsOutsideSegments: 0,
      segmentsWithStartAfterEnd: 0,
      keyFramesOutsideSegments: 0,
      gapsNotInterpolated: 0,
      interpolatedFrameObjects: 0,
      tracksInSeveralGroups: 0,
      frameEntriesNotLoaded: {},
    })
  })
})

describe('dicom fixture, expanded', () => {
  const { rows, stats } = flattenLines('dicom')

  it('emits the Axial frame object, segment and key frames with the plane as group_name', () => {
    expect(rowsOf(rows, 'frame_objects')).toEqual([
      {
        label_id: 'lb-dicom-1',
        frame: 3,
        feature_id: 'ft-lesion-1',
        group_name: 'Axial',
        data_row_id: 'dr-dicom-1',
        schema_id: 'sc-lesion',
        name: 'lesion_outline',
        annotation_kind: 'DICOMPolyline',
        keyframe: true,
        interpolated: false,
        ...noBox,
        ...noPoint,
        geometry: '{"line":[{"x":200,"y":210},{"x":230,"y":240}]}',
        ...lineage,
      },
    ])
    expect(rowsOf(rows, 'segments')).toEqual([
      {
        label_id: 'lb-dicom-1',
        feature_id: 'ft-lesion-1',
        group_name: 'Axial',
        start_frame: 3,
        end_frame: 4,
        data_row_id: 'dr-dicom-1',
        ...lineage,
      },
    ])
    // Empty Sagittal/Coronal maps make no rows and no track.
    expect(rowsOf(rows, 'key_frames')).toEqual([
      {
        label_id: 'lb-dicom-1',
        feature_id: 'ft-lesion-1',
        group_name: 'Axial',
        frame: 3,
        is_keyframe: true,
        data_row_id: 'dr-dicom-1',
        ...lineage,
      },
      {
        label_id: 'lb-dicom-1',
        feature_id: 'ft-lesion-1',
        group_name: 'Axial',
        frame: 4,
        is_keyframe: false,
        data_row_id: 'dr-dicom-1',
        ...lineage,
      },
    ])
    expect(rowsOf(rows, 'objects')).toEqual([
      {
        label_id: 'lb-dicom-1',
        feature_id: 'ft-lesion-1',
        data_row_id: 'dr-dicom-1',
        schema_id: 'sc-lesion',
        name: 'lesion_outline',
        value: 'lesion_outline',
        annotation_kind: 'DICOMPolyline',
        group_name: 'Axial',
        first_frame: 3,
        last_frame: 3,
        frame_count: 1,
        keyframe_count: 1,
        ...noTypedGeometry,
        ...lineage,
      },
    ])
    expect(stats).toMatchObject({ frameObjectsOutsideSegments: 0, keyFramesOutsideSegments: 0, tracksInSeveralGroups: 0 })
  })
})

describe('frames-edge-cases fixture: consistency checks, counted and loaded', () => {
  const { rows, stats } = flattenLines('frames-edge-cases')
  const frameKeys = (label: string) =>
    rowsOf(rows, 'frame_objects')
      .filter((f) => f.label_id === label)
      .map((f) => [f.group_name, f.frame, f.feature_id, f.keyframe])

  it('loads every frame object with a frame number, in ascending frame order; keyframe from a map or a list', () => {
    expect(frameKeys('lb-video-edge')).toEqual([
      ['', 10, 'ft-box', true],
      ['', 10, 'ft-pt', true],
      ['', 14, 'ft-box', true],
      ['', 14, 'ft-pt', true],
      ['', 15, 'ft-mask', true],
      ['', 16, 'ft-mask', false],
      ['', 20, 'ft-box', true],
      ['', 20, 'ft-mask', false],
      // Outside every ft-box segment: loaded, counted.
      ['', 30, 'ft-box', false],
    ])
    // "07" is not a frame number (it would collide with 7): not loaded, counted.
    expect(stats.frameEntriesNotLoaded).toEqual({
      'frames.invalidNumber': 1,
      'segments.duplicateStart': 1,
      'key_frame_feature_map.duplicateFrame': 1,
      'key_frame_feature_map.invalidNumber': 1,
    })
    expect(stats.frameObjectsOutsideSegments).toBe(1)
  })

  it('keeps a mask and unknown keys in geometry, counted like image objects', () => {
    const mask = rowsOf(rows, 'frame_objects').find((f) => f.frame === 15)
    expect(mask).toMatchObject({ annotation_kind: 'VideoSegmentationMask', ...noBox, ...noPoint })
    expect(JSON.parse(mask?.geometry ?? '')).toEqual({ mask: { url: 'https://example.com/masks/ft-mask/15' }, confidence: 0.9 })
    expect(stats.unknownObjectKeys).toEqual({ confidence: 1 })
    expect(stats.unknownAnnotationKinds).toEqual({})
  })

  it('emits segments sorted by start, keeps start > end (counted), drops a repeated start (counted)', () => {
    expect(rowsOf(rows, 'segments').map((s) => [s.label_id, s.feature_id, s.group_name, s.start_frame, s.end_frame])).toEqual([
      ['lb-video-edge', 'ft-box', '', 10, 14],
      ['lb-video-edge', 'ft-box', '', 20, 25],
      ['lb-video-edge', 'ft-pt', '', 10, 14],
      ['lb-video-edge', 'ft-mask', '', 9, 3],
      ['lb-video-edge', 'ft-mask', '', 15, 20],
      ['lb-video-edge', 'ft-ghost', '', 1, 2],
      ['lb-dicom-edge', 'ft-nod', 'Axial', 2, 3],
      ['lb-dicom-edge', 'ft-nod', 'Sagittal', 40, 40],
    ])
    expect(stats.segmentsWithStartAfterEnd).toBe(1)
  })

  it('emits key frames per map entry, a listed frame once, and counts the one outside every segment', () => {
    expect(rowsOf(rows, 'key_frames').map((k) => [k.label_id, k.feature_id, k.group_name, k.frame, k.is_keyframe])).toEqual([
      ['lb-video-edge', 'ft-box', '', 10, true],
      ['lb-video-edge', 'ft-box', '', 14, true],
      ['lb-video-edge', 'ft-box', '', 20, true],
      ['lb-video-edge', 'ft-box', '', 25, false],
      ['lb-video-edge', 'ft-box', '', 40, true],
      ['lb-video-edge', 'ft-pt', '', 10, true],
      ['lb-video-edge', 'ft-pt', '', 14, true],
      ['lb-video-edge', 'ft-mask', '', 15, true],
      ['lb-dicom-edge', 'ft-nod', 'Axial', 2, true],
      ['lb-dicom-edge', 'ft-nod', 'Sagittal', 40, true],
    ])
    expect(stats.keyFramesOutsideSegments).toBe(1)
  })

  it('numbers frame and object-frame classifications after the globals, nested answers included', () => {
    const shape = (c: TableRowOf<'classifications'>) => [
      c.label_id,
      c.row_id,
      c.parent_row_id,
      c.parent_feature_id,
      c.scope,
      c.frame,
      c.group_name,
      c.depth,
      c.path,
    ]
    expect(rowsOf(rows, 'classifications').map(shape)).toEqual([
      ['lb-video-edge', 0, null, null, 'frame', 10, null, 0, 'lighting/dark'],
      ['lb-video-edge', 1, null, null, 'frame', 10, null, 0, 'lighting/glare'],
      ['lb-video-edge', 2, null, 'ft-box', 'object_frame', 10, null, 0, 'occluded/partly'],
      ['lb-video-edge', 3, 2, 'ft-box', 'object_frame', 10, null, 1, 'occluded/partly/where/left'],
      ['lb-video-edge', 4, 2, 'ft-box', 'object_frame', 10, null, 1, 'occluded/partly/where/top'],
      // DICOM: the group's own questions (scope global, the plane, no frame), then its frames.
      ['lb-dicom-edge', 0, null, null, 'global', null, 'Axial', 0, 'plane_quality'],
      ['lb-dicom-edge', 1, null, null, 'frame', 2, 'Axial', 0, 'slice_ok/yes'],
    ])
  })

  it('gives one objects row per feature: a segment-only feature with nulls, a feature in two planes without a group', () => {
    const shape = (o: TableRowOf<'objects'>) => [
      o.label_id,
      o.feature_id,
      o.name,
      o.group_name,
      o.first_frame,
      o.last_frame,
      o.frame_count,
      o.keyframe_count,
    ]
    expect(rowsOf(rows, 'objects').map(shape)).toEqual([
      ['lb-video-edge', 'ft-box', 'box', null, 10, 30, 4, 3],
      ['lb-video-edge', 'ft-pt', 'pt', null, 10, 14, 2, 2],
      ['lb-video-edge', 'ft-mask', 'mask', null, 15, 20, 3, 1],
      ['lb-video-edge', 'ft-ghost', null, null, null, null, 0, 0],
      ['lb-dicom-edge', 'ft-nod', 'nod', null, 2, 40, 3, 2],
    ])
    expect(frameKeys('lb-dicom-edge')).toEqual([
      ['Axial', 2, 'ft-nod', true],
      ['Axial', 3, 'ft-nod', false],
      ['Sagittal', 40, 'ft-nod', true],
    ])
    expect(stats.tracksInSeveralGroups).toBe(1)
  })
})

describe('exported keys that name Object.prototype members', () => {
  it('reads `constructor` and `toString` feature ids as data, never as inherited members', () => {
    const line = {
      data_row: { id: 'dr-1' },
      projects: {
        p: {
          labels: [
            {
              id: 'lb-1',
              annotations: {
                groups: { Axial: { frames: { '1': { objects: { constructor: { feature_id: 'constructor', point: { x: 1, y: 2 } } } } } } },
                segments: { Axial: { toString: [[1, 1]] } },
                key_frame_feature_map: { constructor: { Axial: { '1': true } } },
              },
            },
          ],
        },
      },
    }
    const flatten = flattenDataRows({ loadId, source: 'v2' })
    const rows = [...flatten(v2DataRow.parse(line), at)]
    expect(rowsOf(rows, 'frame_objects').map((f) => [f.feature_id, f.group_name, f.frame, f.keyframe, f.point_x])).toEqual([
      ['constructor', 'Axial', 1, true, 1],
    ])
    expect(rowsOf(rows, 'segments').map((r) => [r.feature_id, r.start_frame])).toEqual([['toString', 1]])
    expect(rowsOf(rows, 'objects').map((o) => [o.feature_id, o.group_name, o.frame_count])).toEqual([
      ['constructor', 'Axial', 1],
      ['toString', 'Axial', 0],
    ])
    // `constructor` has no segment of its own; `toString`'s segment is its own.
    expect(flatten.stats).toMatchObject({ frameObjectsOutsideSegments: 1, keyFramesOutsideSegments: 1 })
  })
})

describe('interpolate option', () => {
  it('rejects a non-boolean, naming the option', () => {
    expect(() => flattenDataRows({ loadId, source: 'v2', interpolate: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'LP_INVALID_OPTION', message: expect.stringContaining('invalid option interpolate') }),
    )
  })

  it('fills the video fixture car box between its key frames 1 and 5 (hand-computed)', () => {
    const { rows, stats } = flattenLines('video', { interpolate: true })
    const car = rowsOf(rows, 'frame_objects').filter((f) => f.feature_id === 'ft-car-1')
    // top 300 -> 310 and left 100 -> 140 over 4 frames: steps of 2.5 and 10; height and width constant.
    expect(car.map((f) => [f.frame, f.keyframe, f.interpolated, f.bbox_top, f.bbox_left, f.bbox_height, f.bbox_width])).toEqual([
      [1, true, false, 300, 100, 80, 160],
      [2, false, true, 302.5, 110, 80, 160],
      [3, false, true, 305, 120, 80, 160],
      [4, false, true, 307.5, 130, 80, 160],
      [5, true, false, 310, 140, 80, 160],
    ])
    expect(car[1]).toEqual({
      label_id: 'lb-video-1',
      frame: 2,
      feature_id: 'ft-car-1',
      group_name: '',
      data_row_id: 'dr-video-1',
      schema_id: 'sc-car',
      name: 'car',
      annotation_kind: 'VideoBoundingBox',
      keyframe: false,
      interpolated: true,
      bbox_top: 302.5,
      bbox_left: 110,
      bbox_height: 80,
      bbox_width: 160,
      ...noPoint,
      geometry: null,
      ...lineage,
    })
    // The polyline of lb-video-2 (frames 2 and 9) is not interpolated.
    expect(
      rowsOf(rows, 'frame_objects')
        .filter((f) => f.feature_id === 'ft-ped-1')
        .map((f) => f.frame),
    ).toEqual([2, 9])
    expect(stats).toMatchObject({ interpolatedFrameObjects: 3, gapsNotInterpolated: 1 })
    expect(rowsOf(rows, 'objects').find((o) => o.feature_id === 'ft-car-1')).toMatchObject({
      first_frame: 1,
      last_frame: 5,
      frame_count: 5,
      keyframe_count: 2,
    })
  })

  it('fills boxes and points inside a segment only, never across segments nor for exported frames', () => {
    const { rows, stats } = flattenLines('frames-edge-cases', { interpolate: true })
    const filled = rowsOf(rows, 'frame_objects')
      .filter((f) => f.interpolated)
      .map((f) => [f.feature_id, f.frame, f.keyframe, f.bbox_top, f.bbox_left, f.bbox_height, f.bbox_width, f.point_x, f.point_y])
    expect(filled).toEqual([
      // Box 10 -> 14: top 10 -> 18, height 30 -> 34; left and width constant.
      ['ft-box', 11, false, 12, 20, 31, 40, null, null],
      ['ft-box', 12, false, 14, 20, 32, 40, null, null],
      ['ft-box', 13, false, 16, 20, 33, 40, null, null],
      // Point 10 -> 14: (0, 100) -> (8, 96).
      ['ft-pt', 11, false, null, null, null, null, 2, 99],
      ['ft-pt', 12, false, null, null, null, null, 4, 98],
      ['ft-pt', 13, false, null, null, null, null, 6, 97],
    ])
    // Box 14 -> 20 crosses from segment [10,14] to [20,25], 20 -> 30 leaves them: not filled. The mask gap
    // 17..19 inside [15,20] is counted, not filled.
    expect(stats).toMatchObject({ interpolatedFrameObjects: 6, gapsNotInterpolated: 1 })
    expect(rowsOf(rows, 'objects').map((o) => [o.feature_id, o.frame_count, o.keyframe_count])).toEqual([
      ['ft-box', 7, 3],
      ['ft-pt', 5, 2],
      ['ft-mask', 3, 1],
      ['ft-ghost', 0, 0],
      ['ft-nod', 3, 2],
    ])
  })
})

/**
 * A label of `frames` frames, one box object each, built in memory (not parsed: one shared frame value keeps
 * it at ~35 MB). `reads()` counts the frames whose objects were read, i.e. expanded.
 */
function millionFrameRecord(frames: number): { record: V2DataRow; reads: () => number } {
  let reads = 0
  const objects = {
    'ft-1': { feature_id: 'ft-1', annotation_kind: 'VideoBoundingBox', bounding_box: { top: 1, left: 2, height: 3, width: 4 } },
  }
  const frame = {
    get objects() {
      reads++
      return objects
    },
    classifications: [],
  }
  const map: Record<string, typeof frame> = {}
  for (let n = 1; n <= frames; n++) map[n] = frame
  const annotations = { frames: map, segments: { 'ft-1': [[1, frames]] }, key_frame_feature_map: { 'ft-1': { '1': true } } }
  const record = { data_row: { id: 'dr-long' }, projects: { p: { labels: [{ id: 'lb-long', annotations }] } } } as unknown as V2DataRow
  return { record, reads: () => reads }
}

describe('laziness', () => {
  const frames = 1_000_000
  const { record, reads } = millionFrameRecord(frames)

  it('expands a 1,000,000-frame label only as far as it is consumed', () => {
    const flatten = flattenDataRows({ loadId, source: 'v2' })
    let consumed = 0
    for (const _row of flatten(record, at)) if (++consumed === 1000) break
    // data_rows, project_data_rows, labels, then 997 frame rows: one frame read per row, nothing ahead.
    expect(stats(flatten).frame_objects).toBe(997)
    expect(reads()).toBe(997)
    expect(stats(flatten).objects + stats(flatten).segments + stats(flatten).key_frames).toBe(0)
  })

  it('suspends mid-label under runStage: one batch pulled, one batch produced', async () => {
    const flatten = flattenDataRows({ loadId, source: 'v2' })
    const before = reads()
    async function* source(): AsyncGenerator<Batch<V2DataRow>> {
      yield [{ value: record, at }]
    }
    const batches = runStage(flatten, 512)(source())
    const first = await batches.next()
    expect((first.value as Located<TableRow>[]).length).toBe(512)
    await batches.return(undefined)
    expect(stats(flatten).frame_objects).toBe(509)
    expect(reads() - before).toBe(509)
  })

  it('produces every row when consumed to the end, with the track aggregated', () => {
    const flatten = flattenDataRows({ loadId, source: 'v2' })
    let count = 0
    let track: TableRow | undefined
    for (const row of flatten(record, at)) {
      count++
      if (row.table === 'objects') track = row
    }
    expect(count).toBe(3 + frames + 1 + 1 + 1)
    expect(track?.row).toMatchObject({ feature_id: 'ft-1', first_frame: 1, last_frame: frames, frame_count: frames, keyframe_count: 1 })
  })
})

function stats(flatten: ReturnType<typeof flattenDataRows>) {
  return flatten.stats.rowsByTable
}

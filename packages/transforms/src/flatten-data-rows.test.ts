import { readdirSync, readFileSync } from 'node:fs'
import { type TableName, type TableRow, type TableRowOf, tableNames, v2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { type DataRowFlattener, flattenDataRows } from './flatten-data-rows.js'

const loadId = '20261125T015516123Z-3fa9c1'
const lineage = { _load_id: loadId, _source: 'v2' } as const

function flattenFixture(name: string): { rows: TableRow[]; flatten: DataRowFlattener } {
  const text = readFileSync(new URL(`../../../test/fixtures/v2/${name}.ndjson`, import.meta.url), 'utf8')
  const flatten = flattenDataRows({ loadId, source: 'v2' })
  const rows: TableRow[] = []
  text
    .split('\n')
    .filter((line) => line !== '')
    .forEach((line, i) => {
      rows.push(...flatten(v2DataRow.parse(JSON.parse(line)), { file: `${name}.ndjson`, line: i + 1, byteOffset: 0 }))
    })
  return { rows, flatten }
}

function rowsOf<T extends TableName>(rows: readonly TableRow[], table: T): TableRowOf<T>[] {
  return rows.filter((r) => r.table === table).map((r) => r.row as TableRowOf<T>)
}

function countsOf(rows: readonly TableRow[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const table of tableNames) {
    const n = rows.filter((r) => r.table === table).length
    if (n > 0) counts[table] = n
  }
  return counts
}

function only<T>(items: readonly T[], predicate: (item: T) => boolean): T {
  const found = items.filter(predicate)
  expect(found).toHaveLength(1)
  return found[0] as T
}

describe('flattenDataRows options', () => {
  it('rejects a load id isValidLoadId refuses, naming the option', () => {
    expect(() => flattenDataRows({ loadId: '../etc', source: 'v2' })).toThrow(
      expect.objectContaining({ code: 'LP_INVALID_OPTION', message: expect.stringContaining('invalid option loadId') }),
    )
    expect(() => flattenDataRows({ loadId: '', source: 'v2' })).toThrow(/loadId/)
  })

  it('rejects a source that is not a lineage source', () => {
    expect(() => flattenDataRows({ loadId, source: 'v3' as 'v2' })).toThrow(
      expect.objectContaining({ code: 'LP_INVALID_OPTION', message: expect.stringContaining('invalid option source') }),
    )
  })

  it('writes the source it was given to _source', () => {
    const flatten = flattenDataRows({ loadId: 'run-7', source: 'webhook' })
    const [first] = flatten(v2DataRow.parse({ data_row: { id: 'dr-1' } }), { file: '-', line: 1, byteOffset: 0 })
    expect(first?.row).toMatchObject({ _load_id: 'run-7', _source: 'webhook' })
  })
})

describe('image fixture', () => {
  const { rows, flatten } = flattenFixture('image')

  it('emits the exact row counts per table', () => {
    expect(countsOf(rows)).toEqual({
      data_rows: 2,
      data_row_metadata: 7,
      attachments: 2,
      project_data_rows: 2,
      workflow_history: 2,
      labels: 2,
      label_reviews: 2,
      objects: 5,
      classifications: 10,
      relationships: 2,
    })
  })

  it('maps data_row, details and media_attributes to data_rows', () => {
    expect(rowsOf(rows, 'data_rows')).toEqual([
      {
        data_row_id: 'dr-image-1',
        global_key: 'street/kobe-001.jpg',
        external_id: 'kobe-001.jpg',
        row_data: 'https://storage.example.com/street/kobe-001.jpg',
        dataset_id: 'ds-street',
        dataset_name: 'Street scenes',
        media_type: 'image',
        mime_type: 'image/jpeg',
        width: 2560,
        height: 1707,
        frame_count: null,
        frame_rate: null,
        created_at: Date.UTC(2023, 5, 12, 18, 42, 24),
        updated_at: Date.UTC(2023, 5, 13, 9, 0, 0),
        last_activity_at: Date.UTC(2023, 5, 20, 10, 15, 30, 500),
        created_by: 'ana@example.com',
        media_attributes: expect.any(String),
        ...lineage,
      },
      {
        data_row_id: 'dr-image-2',
        global_key: null,
        external_id: null,
        row_data: 'https://storage.example.com/street/kobe-002.png',
        dataset_id: null,
        dataset_name: null,
        // No asset_type: the MIME major type.
        media_type: 'image',
        mime_type: 'image/png',
        width: null,
        height: null,
        frame_count: null,
        frame_rate: null,
        created_at: null,
        updated_at: null,
        last_activity_at: null,
        created_by: null,
        media_attributes: '{"mime_type":"image/png"}',
        ...lineage,
      },
    ])
    // The json column keeps keys no typed column has.
    expect(JSON.parse(rowsOf(rows, 'data_rows')[0]?.media_attributes ?? '')).toEqual({
      asset_type: 'image',
      mime_type: 'image/jpeg',
      width: 2560,
      height: 1707,
      exif_rotation: '1',
    })
  })

  it('maps metadata_fields by kind, one row per enum option, ordinal per data row', () => {
    const metadata = rowsOf(rows, 'data_row_metadata')
    expect(metadata.map((m) => [m.ordinal, m.name, m.kind])).toEqual([
      [0, 'tag', 'string'],
      [1, 'captureDateTime', 'datetime'],
      [2, 'altitude_m', 'number'],
      [3, 'split', 'enum'],
      [4, 'weather', 'enum'],
      [5, 'weather', 'enum'],
      [6, 'shootDate', 'string'],
    ])
    expect(metadata[1]).toMatchObject({
      value_text: '2023-05-01T12:30:00.000Z',
      value_datetime: Date.UTC(2023, 4, 1, 12, 30),
      value_number: null,
    })
    expect(metadata[2]).toMatchObject({ value_text: null, value_number: 35.5 })
    expect(metadata[3]).toEqual({
      data_row_id: 'dr-image-1',
      ordinal: 3,
      schema_id: 'cko8sbczn0002h2dkdaxb5kal',
      name: 'split',
      kind: 'enum',
      value_text: null,
      value_number: null,
      value_datetime: null,
      option_schema_id: 'cko8sc2yr0004h2dk69aj5x63',
      option_name: 'train',
      ...lineage,
    })
    expect(metadata.slice(4, 6).map((m) => [m.option_schema_id, m.option_name])).toEqual([
      ['opt-sunny', 'sunny'],
      ['opt-windy', 'windy'],
    ])
    // A date without a time is a string, not a datetime.
    expect(metadata[6]).toMatchObject({ value_text: '2023-05-01', value_datetime: null })
  })

  it('maps attachments by position, with or without an id', () => {
    expect(rowsOf(rows, 'attachments')).toEqual([
      {
        data_row_id: 'dr-image-1',
        ordinal: 0,
        attachment_id: 'at-1',
        type: 'IMAGE_OVERLAY',
        name: 'depth',
        value: 'https://storage.example.com/street/kobe-001-depth.png',
        ...lineage,
      },
      {
        data_row_id: 'dr-image-1',
        ordinal: 1,
        attachment_id: null,
        type: 'TEXT',
        name: 'note',
        value: 'Shot at noon from the bridge',
        ...lineage,
      },
    ])
  })

  it('gives the data row one project_data_rows row per project', () => {
    expect(rowsOf(rows, 'project_data_rows')).toEqual([
      {
        project_id: 'pj-street',
        data_row_id: 'dr-image-1',
        project_name: 'Street objects',
        batch_id: 'bt-street-1',
        batch_name: 'Kobe batch',
        priority: 2,
        workflow_status: 'Done',
        task_name: 'Done',
        consensus_expected_label_count: 1,
        ...lineage,
      },
      {
        project_id: 'pj-quality',
        data_row_id: 'dr-image-1',
        project_name: 'Quality audit',
        batch_id: 'bt-qa-7',
        batch_name: 'QA sample',
        priority: null,
        workflow_status: 'InReview',
        task_name: 'Review',
        consensus_expected_label_count: 1,
        ...lineage,
      },
    ])
  })

  it('numbers workflow_history by position and reads created_by as a string or a user object', () => {
    const history = rowsOf(rows, 'workflow_history')
    expect(history.map((h) => [h.project_id, h.seq, h.action, h.created_by, h.previous_task_name, h.next_task_name])).toEqual([
      ['pj-street', 0, 'Submit', 'ana@example.com', 'Initial labeling task', 'Review'],
      ['pj-street', 1, 'Approve', 'rev@example.com', 'Review', 'Done'],
    ])
    expect(history[1]?.created_at).toBe(Date.UTC(2023, 5, 13, 8, 0, 0))
    expect(JSON.parse(history[1]?.raw ?? '')).toEqual({
      action: 'Approve',
      created_at: '2023-06-13T08:00:00.000Z',
      created_by: { email: 'rev@example.com', id: 'us-rev' },
      previous_task_name: 'Review',
      next_task_name: 'Done',
    })
  })

  it('maps labels: benchmark -1 to null, has_open_issues from a count, skipped labels included', () => {
    expect(rowsOf(rows, 'labels')).toEqual([
      {
        label_id: 'lb-image-1',
        project_id: 'pj-street',
        data_row_id: 'dr-image-1',
        project_name: 'Street objects',
        label_kind: 'Default',
        version: '1.0.0',
        created_at: Date.UTC(2023, 5, 12, 19, 0, 0),
        updated_at: Date.UTC(2023, 5, 12, 19, 5, 0),
        created_by: 'ana@example.com',
        seconds_to_create: 42.5,
        seconds_to_review: 10,
        seconds_to_label: null,
        skipped: false,
        consensus_score: null,
        benchmark_score: null,
        has_open_issues: false,
        ...lineage,
      },
      {
        label_id: 'lb-image-2',
        project_id: 'pj-quality',
        data_row_id: 'dr-image-1',
        project_name: 'Quality audit',
        label_kind: 'Default',
        version: '1.0.0',
        created_at: Date.UTC(2023, 6, 1, 10, 0, 0),
        updated_at: Date.UTC(2023, 6, 1, 10, 0, 0),
        created_by: 'qa@example.com',
        seconds_to_create: 3.25,
        seconds_to_review: 0,
        seconds_to_label: null,
        skipped: true,
        consensus_score: 0.75,
        benchmark_score: 0.9,
        has_open_issues: true,
        ...lineage,
      },
    ])
  })

  it('maps reviews to label_reviews with the whole review as raw', () => {
    const reviews = rowsOf(rows, 'label_reviews')
    expect(reviews[1]).toEqual({
      label_id: 'lb-image-1',
      ordinal: 1,
      data_row_id: 'dr-image-1',
      review_id: 'rv-2',
      reviewed_by: 'lead@example.com',
      reviewed_at: Date.UTC(2023, 5, 13, 8, 30, 0),
      action: 'Reject',
      raw: expect.any(String),
      ...lineage,
    })
    expect(JSON.parse(reviews[1]?.raw ?? '')).toMatchObject({ id: 'rv-2', comment: 'mask edge is off' })
    expect(reviews[0]).toMatchObject({ ordinal: 0, review_id: 'rv-1', action: 'Approve' })
  })

  it('types bbox and point, and keeps polygon, line and mask in geometry', () => {
    const objects = rowsOf(rows, 'objects')
    expect(objects.map((o) => o.feature_id)).toEqual(['ft-bbox-1', 'ft-poly-1', 'ft-point-1', 'ft-line-1', 'ft-mask-1'])
    expect(only(objects, (o) => o.feature_id === 'ft-bbox-1')).toEqual({
      label_id: 'lb-image-1',
      feature_id: 'ft-bbox-1',
      data_row_id: 'dr-image-1',
      schema_id: 'sc-person',
      name: 'person',
      value: 'person',
      annotation_kind: 'ImageBoundingBox',
      group_name: null,
      first_frame: null,
      last_frame: null,
      frame_count: null,
      keyframe_count: null,
      bbox_top: 1333,
      bbox_left: 965,
      bbox_height: 186,
      bbox_width: 594,
      point_x: null,
      point_y: null,
      page: null,
      text_start: null,
      text_end: null,
      message_id: null,
      mask_url: null,
      geometry: null,
      ...lineage,
    })
    expect(only(objects, (o) => o.feature_id === 'ft-point-1')).toMatchObject({
      point_x: 100.5,
      point_y: 200,
      bbox_top: null,
      geometry: null,
    })
    const polygon = only(objects, (o) => o.feature_id === 'ft-poly-1')
    expect(JSON.parse(polygon.geometry ?? '')).toEqual({
      polygon: [
        { x: 10, y: 20 },
        { x: 110, y: 20 },
        { x: 110.5, y: 220.25 },
        { x: 10, y: 220 },
      ],
    })
    expect(JSON.parse(only(objects, (o) => o.feature_id === 'ft-line-1').geometry ?? '')).toEqual({
      line: [
        { x: 0, y: 1500 },
        { x: 2560, y: 1480.5 },
      ],
    })
    const mask = only(objects, (o) => o.feature_id === 'ft-mask-1')
    expect(mask.mask_url).toBe('https://api.labelbox.com/api/v1/tasks/tk-1/masks/ft-mask-1/index/1')
    expect(JSON.parse(mask.geometry ?? '')).toEqual({ mask: { url: mask.mask_url } })
  })

  it('reads relationships nested or top-level, synthesizing the missing feature id', () => {
    expect(rowsOf(rows, 'relationships')).toEqual([
      {
        label_id: 'lb-image-1',
        feature_id: 'ft-rel-1',
        data_row_id: 'dr-image-1',
        schema_id: 'sc-rel-holds',
        name: 'holds',
        source_feature_id: 'ft-bbox-1',
        target_feature_id: 'ft-point-1',
        type: 'unidirectional',
        ...lineage,
      },
      {
        label_id: 'lb-image-1',
        feature_id: 'relationship:1',
        data_row_id: 'dr-image-1',
        schema_id: 'sc-rel-adjacent',
        name: 'adjacent_to',
        source_feature_id: 'ft-poly-1',
        target_feature_id: 'ft-line-1',
        type: 'bidirectional',
        ...lineage,
      },
    ])
  })

  it('counts only the unmapped embeddings key in stats', () => {
    expect(flatten.stats).toMatchObject({
      dataRows: 2,
      unknownAnnotationKinds: {},
      unknownObjectKeys: {},
      unmappedDataRowKeys: { embeddings: 1 },
      unmappedAnnotationKeys: {},
      classificationsWithoutAnswer: 0,
      classificationsWithSeveralAnswers: 0,
      relationshipsWithoutEnds: 0,
      metadataValuesOfUnknownType: 0,
      frameObjectsOutsideSegments: 0,
      frameEntriesNotLoaded: {},
      invalidIntegers: {},
    })
  })
})

describe('text fixture', () => {
  const { rows } = flattenFixture('text')

  it('emits the exact row counts and TextEntity locations as text_start/text_end', () => {
    expect(countsOf(rows)).toEqual({ data_rows: 1, project_data_rows: 1, labels: 1, objects: 2, classifications: 2 })
    expect(rowsOf(rows, 'data_rows')[0]).toMatchObject({ media_type: 'text', mime_type: 'text/plain', dataset_name: 'Product reviews' })
    expect(rowsOf(rows, 'objects').map((o) => [o.feature_id, o.annotation_kind, o.text_start, o.text_end, o.geometry])).toEqual([
      ['ft-ent-1', 'TextEntity', 25, 44, null],
      ['ft-ent-2', 'TextEntity', 372, 380, null],
    ])
    expect(rowsOf(rows, 'classifications').map((c) => [c.row_id, c.scope, c.parent_feature_id, c.path])).toEqual([
      [0, 'global', null, 'language/english'],
      [1, 'object', 'ft-ent-1', 'sentiment/positive'],
    ])
  })
})

describe('document fixture', () => {
  const { rows } = flattenFixture('document')

  it('maps page_number to page next to the bounding box and the text range', () => {
    expect(countsOf(rows)).toEqual({ data_rows: 1, project_data_rows: 1, labels: 1, objects: 2, classifications: 2 })
    // No asset_type and no MIME table: application/pdf gives `application` (README, media_type decision).
    expect(rowsOf(rows, 'data_rows')[0]).toMatchObject({ media_type: 'application', mime_type: 'application/pdf' })
    const [box, text] = rowsOf(rows, 'objects')
    expect(box).toMatchObject({
      annotation_kind: 'DocumentBoundingBox',
      page: 4,
      bbox_top: 144.68,
      bbox_left: 107.84,
      bbox_height: 441.6,
      bbox_width: 9.48,
      geometry: null,
    })
    expect(text).toMatchObject({ annotation_kind: 'DocumentEntityText', page: 0, text_start: 10, text_end: 25, geometry: null })
    expect(rowsOf(rows, 'project_data_rows')[0]).toMatchObject({ workflow_status: 'InRework', priority: 1 })
  })
})

describe('conversational fixture', () => {
  const { rows, flatten } = flattenFixture('conversational')

  it('reads conversational_location into message_id and the text range, and message classifications', () => {
    expect(countsOf(rows)).toEqual({ data_rows: 1, project_data_rows: 1, labels: 1, objects: 1, classifications: 3 })
    expect(rowsOf(rows, 'objects')[0]).toMatchObject({
      feature_id: 'ft-conv-ent-1',
      annotation_kind: 'ConversationalTextEntity',
      message_id: 'msg-2',
      text_start: 5,
      text_end: 17,
      geometry: null,
    })
    expect(rowsOf(rows, 'classifications').map((c) => [c.row_id, c.scope, c.path, c.answer_kind, c.answer])).toEqual([
      [0, 'global', 'intent/refund', 'radio', 'refund'],
      [1, 'message', 'message_tone/polite', 'checklist', 'polite'],
      [2, 'message', 'message_tone/urgent', 'checklist', 'urgent'],
    ])
    expect(flatten.stats.classificationsWithoutAnswer).toBe(0)
  })
})

describe('video fixture', () => {
  const { rows, flatten } = flattenFixture('video')

  it('emits the data row, labels, reviews, global classifications, then each frame label expanded', () => {
    expect(countsOf(rows)).toEqual({
      data_rows: 1,
      project_data_rows: 1,
      labels: 3,
      label_reviews: 1,
      // lb-video-1: car, light; lb-video-2: ped (lb-video-3's maps are empty: no expansion).
      objects: 3,
      frame_objects: 5,
      segments: 3,
      key_frames: 5,
      // 3 + 1 global, and visibility at frame 5.
      classifications: 5,
    })
    expect(rowsOf(rows, 'data_rows')[0]).toMatchObject({
      media_type: 'video',
      width: 1280,
      height: 720,
      frame_rate: 29.97,
      frame_count: 300,
    })
    expect(
      rowsOf(rows, 'classifications').map((c) => [c.label_id, c.row_id, c.parent_row_id, c.depth, c.scope, c.frame, c.path, c.answer]),
    ).toEqual([
      ['lb-video-1', 0, null, 0, 'global', null, 'weather/rain', 'rain'],
      ['lb-video-1', 1, 0, 1, 'global', null, 'weather/rain/road_condition/wet', 'wet'],
      ['lb-video-1', 2, null, 0, 'global', null, 'summary', 'Two cars, light turns red'],
      ['lb-video-3', 0, null, 0, 'global', null, 'usable/yes', 'yes'],
      // Frame rows follow the bounded ones (lb-video-3's global row came first), continuing lb-video-1's ids.
      ['lb-video-1', 3, null, 0, 'frame', 5, 'visibility/clear', 'clear'],
    ])
    // The bounded rows of the whole data row come first, then each label's frame expansion in label order.
    expect(rows.map((r) => r.table).slice(0, 10)).toEqual([
      'data_rows',
      'project_data_rows',
      'labels',
      'label_reviews',
      'classifications',
      'classifications',
      'classifications',
      'labels',
      'labels',
      'classifications',
    ])
    expect(flatten.stats.rowsByTable.frame_objects).toBe(5)
  })
})

describe('dicom fixture', () => {
  const { rows } = flattenFixture('dicom')

  it('emits the global classification and the grouped label expanded', () => {
    expect(countsOf(rows)).toEqual({
      data_rows: 1,
      project_data_rows: 1,
      labels: 1,
      classifications: 1,
      objects: 1,
      frame_objects: 1,
      segments: 1,
      key_frames: 2,
    })
    expect(rowsOf(rows, 'data_rows')[0]).toMatchObject({ media_type: 'application', mime_type: 'application/dicom', frame_count: 120 })
    expect(rowsOf(rows, 'classifications')[0]).toMatchObject({
      label_id: 'lb-dicom-1',
      row_id: 0,
      scope: 'global',
      group_name: null,
      answer_kind: 'text',
      answer: 'small nodule, right upper lobe',
      path: 'finding',
    })
  })
})

describe('unknown-kind fixture', () => {
  const { rows, flatten } = flattenFixture('unknown-kind')

  it('loads everything it does not know, counted', () => {
    expect(countsOf(rows)).toEqual({
      data_rows: 1,
      data_row_metadata: 7,
      project_data_rows: 1,
      workflow_history: 1,
      labels: 1,
      objects: 4,
      classifications: 4,
      relationships: 1,
    })
    expect(flatten.stats).toMatchObject({
      dataRows: 1,
      unknownAnnotationKinds: { ImageCuboid3D: 1, '(none)': 1 },
      unknownObjectKeys: { cuboid: 1, rotation: 1 },
      unmappedDataRowKeys: { model_runs: 1 },
      classificationsWithoutAnswer: 2,
      classificationsWithSeveralAnswers: 1,
      relationshipsWithoutEnds: 1,
      metadataValuesOfUnknownType: 2,
      interpolatedFrameObjects: 0,
      invalidIntegers: { 'data_rows.width': 1, 'data_rows.height': 1, 'project_data_rows.priority': 1, 'objects.page': 1 },
    })
  })

  it('writes int columns that are not 32-bit integers as null, keeping the value in the json column', () => {
    const [dataRow] = rowsOf(rows, 'data_rows')
    expect(dataRow).toMatchObject({ width: null, height: null })
    expect(JSON.parse(dataRow?.media_attributes ?? '')).toMatchObject({ width: 1080.5, height: 3000000000 })
    expect(rowsOf(rows, 'project_data_rows')[0]?.priority).toBeNull()
  })

  it('puts unknown kinds and keys, untyped geometry and uncaptured extras into geometry', () => {
    const geometries = Object.fromEntries(
      rowsOf(rows, 'objects').map((o) => [o.feature_id, o.geometry === null ? null : JSON.parse(o.geometry)]),
    )
    expect(geometries).toEqual({
      'ft-cuboid-1': {
        cuboid: {
          front: [
            { x: 1, y: 2 },
            { x: 3, y: 4 },
          ],
          back: [
            { x: 5, y: 6 },
            { x: 7, y: 8 },
          ],
        },
        rotation: 12.5,
      },
      'ft-geo-1': {
        geojson: {
          type: 'Polygon',
          coordinates: [
            [
              [-99.21, 19.4],
              [-99.2, 19.4],
              [-99.2, 19.41],
              [-99.21, 19.4],
            ],
          ],
        },
      },
      'ft-box-unit': { bounding_box: { top: 1, left: 2, height: 3, width: 4, unit: 'POINTS' }, page_number: 3000000000 },
      'ft-token-1': { location: { start: 3, end: 9, token: 'crates' } },
    })
    const objects = rowsOf(rows, 'objects')
    expect(only(objects, (o) => o.feature_id === 'ft-cuboid-1').annotation_kind).toBe('ImageCuboid3D')
    expect(only(objects, (o) => o.feature_id === 'ft-geo-1').annotation_kind).toBeNull()
    expect(only(objects, (o) => o.feature_id === 'ft-box-unit')).toMatchObject({ bbox_top: 1, bbox_width: 4, page: null })
    expect(only(objects, (o) => o.feature_id === 'ft-token-1')).toMatchObject({ text_start: 3, text_end: 9 })
  })

  it('reads a numeric label version as text, a boolean has_open_issues, and a workflow user by id', () => {
    expect(rowsOf(rows, 'labels')[0]).toMatchObject({ version: '3', has_open_issues: true, benchmark_score: 0.5, seconds_to_review: null })
    expect(rowsOf(rows, 'workflow_history')[0]).toMatchObject({ created_by: 'us-42', created_at: Date.UTC(2024, 0, 15, 11, 5, 0) })
  })

  it('loads a relationship without target or feature id with a synthesized key', () => {
    expect(rowsOf(rows, 'relationships')).toEqual([
      {
        label_id: 'lb-odd-1',
        feature_id: 'relationship:0',
        data_row_id: 'dr-odd-1',
        schema_id: 'sc-rel-on-top',
        name: 'on_top_of',
        source_feature_id: 'ft-cuboid-1',
        target_feature_id: null,
        type: 'unidirectional',
        ...lineage,
      },
    ])
  })
})

describe('flattenDataRows', () => {
  it('accumulates stats across records and returns the same rows for the same record', () => {
    const flatten = flattenDataRows({ loadId, source: 'v2' })
    const record = v2DataRow.parse({ data_row: { id: 'dr-1' }, projects: { p: { labels: [{ id: 'l-1' }] } } })
    const at = { file: 'in.ndjson', line: 1, byteOffset: 0 }
    const first = [...flatten(record, at)]
    const second = [...flatten(record, at)]
    expect(second).toEqual(first)
    expect(first.map((r) => r.table)).toEqual(['data_rows', 'project_data_rows', 'labels'])
    expect(flatten.stats.dataRows).toBe(2)
    expect(flatten.stats.rowsByTable).toMatchObject({ data_rows: 2, project_data_rows: 2, labels: 2 })
  })

  it('counts annotation keys no table holds, and empty frame maps as nothing to expand', () => {
    // The SDK's expected audio export: global classifications, `segments: {}` and `timestamp: {}`.
    const flatten = flattenDataRows({ loadId, source: 'v2' })
    const annotations = { classifications: [{ name: 'text', text_answer: { content: 'free form text...' } }], segments: {}, timestamp: {} }
    const record = v2DataRow.parse({ data_row: { id: 'dr-audio' }, projects: { p: { labels: [{ id: 'l-audio', annotations }] } } })
    const rows = [...flatten(record, { file: '-', line: 1, byteOffset: 0 })]
    expect(rows.map((r) => r.table)).toEqual(['data_rows', 'project_data_rows', 'labels', 'classifications'])
    expect(flatten.stats.unmappedAnnotationKeys).toEqual({ timestamp: 1 })
    // An array, not a generator: nothing to expand.
    expect(Array.isArray(flatten(record, { file: '-', line: 2, byteOffset: 0 }))).toBe(true)
  })

  it('keeps int columns at the 32-bit bounds and nulls one past them', () => {
    const flatten = flattenDataRows({ loadId, source: 'v2' })
    const record = v2DataRow.parse({
      data_row: { id: 'dr-1' },
      media_attributes: { width: 2147483647, height: -2147483648, frame_count: 2147483648 },
    })
    const [dataRow] = flatten(record, { file: '-', line: 1, byteOffset: 0 })
    expect(dataRow?.row).toMatchObject({ width: 2147483647, height: -2147483648, frame_count: null })
    expect(flatten.stats.invalidIntegers).toEqual({ 'data_rows.frame_count': 1 })
  })

  it('is serializable as the report: JSON.stringify(stats) holds every count', () => {
    const { flatten } = flattenFixture('unknown-kind')
    const report = JSON.parse(JSON.stringify(flatten.stats))
    expect(report.unknownAnnotationKinds).toEqual({ ImageCuboid3D: 1, '(none)': 1 })
    expect(report.rowsByTable.objects).toBe(4)
  })

  it('imports nothing from node:* in library modules, so it runs in workers and browsers', () => {
    const dir = new URL('./', import.meta.url)
    const modules = readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    expect(modules.length).toBeGreaterThan(5)
    for (const name of modules) expect(readFileSync(new URL(name, dir), 'utf8'), name).not.toMatch(/from '(node:|fs|path|stream)/)
  })
})

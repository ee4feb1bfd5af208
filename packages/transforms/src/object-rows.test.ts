import { type TableRow, type TableRowOf, type V2DataRow, v2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { flattenDataRows } from './flatten-data-rows.js'

type ObjectRow = TableRowOf<'objects'>
type RelationshipRow = TableRowOf<'relationships'>
const at = { file: 'in.ndjson', line: 1, byteOffset: 0 }

function recordWith(annotations: object): unknown {
  return { data_row: { id: 'dr-1' }, projects: { 'pj-1': { labels: [{ id: 'lb-1', annotations }] } } }
}

function flattenRecord(record: V2DataRow) {
  const flatten = flattenDataRows({ loadId: 'test', source: 'v2' })
  const rows: TableRow[] = [...flatten(record, at)]
  return {
    objects: rows.filter((r) => r.table === 'objects').map((r) => r.row as ObjectRow),
    relationships: rows.filter((r) => r.table === 'relationships').map((r) => r.row as RelationshipRow),
    stats: flatten.stats,
  }
}

function flattenObjects(...objects: object[]) {
  return flattenRecord(v2DataRow.parse(recordWith({ objects })))
}

function geometryOf(row: ObjectRow | undefined): unknown {
  return row?.geometry == null ? null : JSON.parse(row.geometry)
}

describe('objects: typed columns and geometry', () => {
  it('leaves geometry null when typed columns capture everything', () => {
    const { objects, stats } = flattenObjects(
      { feature_id: 'f1', annotation_kind: 'ImageBoundingBox', bounding_box: { top: 1, left: 2, height: 3, width: 4 } },
      { feature_id: 'f2', annotation_kind: 'ImagePoint', point: { x: 5, y: 6 } },
      { feature_id: 'f3', annotation_kind: 'TextEntity', location: { start: 0, end: 8 } },
      {
        feature_id: 'f4',
        annotation_kind: 'ConversationalTextEntity',
        conversational_location: { message_id: '0', location: { start: 0, end: 8 } },
      },
      { feature_id: 'f5', annotation_kind: 'ConversationalTextEntity', conversational_location: { message_id: '1' } },
      { feature_id: 'f6', annotation_kind: 'DocumentBoundingBox', page_number: 2, bounding_box: { top: 1, left: 2, height: 3, width: 4 } },
    )
    expect(objects.map((o) => o.geometry)).toEqual([null, null, null, null, null, null])
    expect(objects.map((o) => [o.bbox_top, o.point_x, o.text_start, o.text_end, o.message_id, o.page])).toEqual([
      [1, null, null, null, null, null],
      [null, 5, null, null, null, null],
      [null, null, 0, 8, null, null],
      [null, null, 0, 8, '0', null],
      [null, null, null, null, '1', null],
      [1, null, null, null, null, 2],
    ])
    expect(stats.unknownObjectKeys).toEqual({})
    expect(stats.unknownAnnotationKinds).toEqual({})
  })

  it('keeps a typed key in geometry too when it carries more than its columns', () => {
    const { objects, stats } = flattenObjects(
      { feature_id: 'f1', point: { x: 1, y: 2, z: 3 } },
      { feature_id: 'f2', location: { start: 0, end: 3000000000 } },
      { feature_id: 'f3', conversational_location: { message_id: 'm', location: { start: 1, end: 2 }, speaker: 'agent' } },
    )
    expect(objects[0]).toMatchObject({ point_x: 1, point_y: 2 })
    expect(geometryOf(objects[0])).toEqual({ point: { x: 1, y: 2, z: 3 } })
    expect(objects[1]).toMatchObject({ text_start: 0, text_end: null })
    expect(geometryOf(objects[1])).toEqual({ location: { start: 0, end: 3000000000 } })
    expect(objects[2]).toMatchObject({ message_id: 'm', text_start: 1, text_end: 2 })
    expect(geometryOf(objects[2])).toEqual({
      conversational_location: { message_id: 'm', location: { start: 1, end: 2 }, speaker: 'agent' },
    })
    expect(stats.invalidIntegers).toEqual({ 'objects.text_end': 1 })
  })

  it('lets a top-level location win over the conversational one, which then stays in geometry', () => {
    const { objects } = flattenObjects({
      feature_id: 'f1',
      location: { start: 1, end: 2 },
      conversational_location: { message_id: 'm', location: { start: 10, end: 20 } },
    })
    expect(objects[0]).toMatchObject({ text_start: 1, text_end: 2, message_id: 'm' })
    expect(geometryOf(objects[0])).toEqual({ conversational_location: { message_id: 'm', location: { start: 10, end: 20 } } })
  })

  it('keeps a location without start/end (DocumentEntityToken groups) in geometry only', () => {
    // Core's schema requires start/end today, so this record skips validation; the flattener must not
    // depend on it (see README, needs from core).
    const record = recordWith({
      objects: [
        { feature_id: 'f1', annotation_kind: 'DocumentEntityToken', location: { groups: [{ id: 'g', page_number: 1, tokens: ['t1'] }] } },
      ],
    }) as V2DataRow
    const { objects, stats } = flattenRecord(record)
    expect(objects[0]).toMatchObject({ text_start: null, text_end: null, annotation_kind: 'DocumentEntityToken' })
    expect(geometryOf(objects[0])).toEqual({ location: { groups: [{ id: 'g', page_number: 1, tokens: ['t1'] }] } })
    expect(stats.unknownAnnotationKinds).toEqual({})
  })

  it('copies mask.url to mask_url and keeps the mask as exported', () => {
    const { objects } = flattenObjects(
      { feature_id: 'f1', mask: { url: 'https://m/1', color_rgb: [255, 0, 0] } },
      { feature_id: 'f2', mask: {} },
    )
    expect(objects.map((o) => o.mask_url)).toEqual(['https://m/1', null])
    expect(geometryOf(objects[0])).toEqual({ mask: { url: 'https://m/1', color_rgb: [255, 0, 0] } })
    expect(geometryOf(objects[1])).toEqual({ mask: {} })
  })

  it('skips known keys exported as null, but keeps unknown keys even when null, counting them', () => {
    const { objects, stats } = flattenObjects({
      feature_id: 'f1',
      polygon: null,
      bounding_box: null,
      page_number: null,
      extra: null,
      more: { a: 1 },
    })
    expect(objects[0]).toMatchObject({ bbox_top: null, page: null })
    expect(geometryOf(objects[0])).toEqual({ extra: null, more: { a: 1 } })
    expect(stats.unknownObjectKeys).toEqual({ extra: 1, more: 1 })
    expect(stats.unknownAnnotationKinds).toEqual({ '(none)': 1 })
  })

  it('keeps an exported __proto__ key as data, never as a prototype', () => {
    // JSON.parse makes `__proto__` an own key; core's zod output drops it, so this record is built unvalidated.
    const record = JSON.parse(
      '{"data_row":{"id":"dr-1"},"projects":{"p":{"labels":[{"id":"l","annotations":{"objects":[{"feature_id":"f","__proto__":{"polluted":true}}]}}]}}}',
    ) as V2DataRow
    const { objects, stats } = flattenRecord(record)
    expect(objects[0]?.geometry).toBe('{"__proto__":{"polluted":true}}')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys(stats.unknownObjectKeys)).toEqual(['__proto__'])
  })

  it('counts unknown kinds by name, once per object', () => {
    const { stats } = flattenObjects(
      { feature_id: 'f1', annotation_kind: 'ImageCuboid3D' },
      { feature_id: 'f2', annotation_kind: 'ImageCuboid3D' },
      { feature_id: 'f3', annotation_kind: 'ImageBoundingBox', bounding_box: { top: 0, left: 0, height: 1, width: 1 } },
    )
    expect(stats.unknownAnnotationKinds).toEqual({ ImageCuboid3D: 2 })
  })
})

describe('relationships', () => {
  it('prefers top-level ends over a nested relationship object and synthesizes ids by position', () => {
    const { relationships, stats } = flattenRecord(
      v2DataRow.parse(
        recordWith({
          relationships: [
            {
              name: 'a',
              source: 's-top',
              target: 't-top',
              type: 'bidirectional',
              relationship: { source: 's-in', target: 't-in', type: 'unidirectional' },
            },
            { name: 'b', feature_id: 'ft-b', relationship: { source: 's', target: 't' } },
            { name: 'c' },
          ],
        }),
      ),
    )
    expect(relationships.map((r) => [r.feature_id, r.name, r.source_feature_id, r.target_feature_id, r.type])).toEqual([
      ['relationship:0', 'a', 's-top', 't-top', 'bidirectional'],
      ['ft-b', 'b', 's', 't', null],
      ['relationship:2', 'c', null, null, null],
    ])
    expect(stats.relationshipsWithoutEnds).toBe(1)
  })
})

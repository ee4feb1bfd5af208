import { type TableRowOf, v2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { flattenDataRows } from './flatten-data-rows.js'

type MetadataRow = TableRowOf<'data_row_metadata'>

function metadataOf(...fields: object[]) {
  const flatten = flattenDataRows({ loadId: 'test', source: 'v2' })
  const record = v2DataRow.parse({ data_row: { id: 'dr-1' }, metadata_fields: fields })
  const rows = [...flatten(record, { file: '-', line: 1, byteOffset: 0 })]
  return {
    rows: rows.filter((r) => r.table === 'data_row_metadata').map((r) => r.row as MetadataRow),
    stats: flatten.stats,
  }
}

/** [ordinal, kind, value_text, value_number, value_datetime, option_schema_id, option_name] */
function values(rows: readonly MetadataRow[]) {
  return rows.map((m) => [m.ordinal, m.kind, m.value_text, m.value_number, m.value_datetime, m.option_schema_id, m.option_name])
}

describe('data_row_metadata', () => {
  it('reads strings, numbers and zoned ISO date-times; zone-less or invalid times stay strings', () => {
    const { rows } = metadataOf(
      { schema_name: 's', value: 'plain' },
      { schema_name: 'n', value: 0 },
      { schema_name: 'z', value: '2023-05-01T12:30:00+02:00' },
      { schema_name: 'short', value: '2023-05-01T12:30Z' },
      { schema_name: 'local', value: '2023-05-01T12:30:00' },
      { schema_name: 'space', value: '2023-05-01 12:30:00Z' },
      { schema_name: 'bad', value: '2023-13-45T99:99:99Z' },
    )
    expect(values(rows)).toEqual([
      [0, 'string', 'plain', null, null, null, null],
      [1, 'number', null, 0, null, null, null],
      [2, 'datetime', '2023-05-01T12:30:00+02:00', null, Date.UTC(2023, 4, 1, 10, 30), null, null],
      [3, 'datetime', '2023-05-01T12:30Z', null, Date.UTC(2023, 4, 1, 12, 30), null, null],
      [4, 'string', '2023-05-01T12:30:00', null, null, null, null],
      [5, 'datetime', '2023-05-01 12:30:00Z', null, Date.UTC(2023, 4, 1, 12, 30), null, null],
      [6, 'string', '2023-13-45T99:99:99Z', null, null, null, null],
    ])
    expect(rows[0]).toMatchObject({ data_row_id: 'dr-1', name: 's', schema_id: null })
  })

  it('reads enums from value_name, option objects and lists, one row and ordinal per option', () => {
    const { rows } = metadataOf(
      { schema_id: 'm1', value: 'o1', value_name: 'one' },
      { schema_id: 'm2', value: { schema_id: 'o2', schema_name: 'two' } },
      { schema_id: 'm3', value: [{ id: 'o3', name: 'three' }, 'o4'], value_name: [null, 'four'] },
      { schema_id: 'm4', value: [] },
      { schema_id: 'm5', value: 'o5', value_name: 'five' },
    )
    expect(values(rows)).toEqual([
      [0, 'enum', null, null, null, 'o1', 'one'],
      [1, 'enum', null, null, null, 'o2', 'two'],
      [2, 'enum', null, null, null, 'o3', 'three'],
      [3, 'enum', null, null, null, 'o4', 'four'],
      [4, 'enum', null, null, null, null, null],
      [5, 'enum', null, null, null, 'o5', 'five'],
    ])
    expect(rows.map((m) => m.schema_id)).toEqual(['m1', 'm2', 'm3', 'm3', 'm4', 'm5'])
  })

  it('writes an empty field with a null kind, and other values as JSON with kind unknown, counted', () => {
    const { rows, stats } = metadataOf({ schema_id: 'a', value: null }, { schema_id: 'b', value: false }, { schema_id: 'c', value: [1, 2] })
    expect(values(rows)).toEqual([
      [0, null, null, null, null, null, null],
      [1, 'unknown', 'false', null, null, null, null],
      [2, 'unknown', '[1,2]', null, null, null, null],
    ])
    expect(stats.metadataValuesOfUnknownType).toBe(2)
  })
})

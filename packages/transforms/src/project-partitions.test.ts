import type { Position, TableRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { hivePartitionValue, partitionByProject } from './project-partitions.js'

const at: Position = { file: 'x.ndjson', line: 1, byteOffset: 0 }
const row = (table: TableRow['table'], values: Record<string, unknown>) => ({ table, row: values }) as unknown as TableRow

describe('partitionByProject', () => {
  it("tags a label's rows with its labels row's project, rows with a project_id their own, and data row tables none", () => {
    const rows = [
      row('data_rows', { data_row_id: 'd' }),
      row('project_data_rows', { project_id: 'p1', data_row_id: 'd' }),
      row('labels', { label_id: 'l1', project_id: 'p1' }),
      row('labels', { label_id: 'l2', project_id: 'p2' }),
      row('frame_objects', { label_id: 'l2' }),
      row('objects', { label_id: 'l1' }),
      row('attachments', { data_row_id: 'd' }),
      row('labels', { label_id: 'l3', project_id: null }),
      row('classifications', { label_id: 'l3' }),
    ]
    const tagged = [...partitionByProject(() => rows)(null, at)]
    expect(tagged.map((value) => [value.table, value.partition])).toEqual([
      ['data_rows', undefined],
      ['project_data_rows', 'project_id=p1'],
      ['labels', 'project_id=p1'],
      ['labels', 'project_id=p2'],
      ['frame_objects', 'project_id=p2'],
      ['objects', 'project_id=p1'],
      ['attachments', undefined],
      ['labels', 'project_id=__HIVE_DEFAULT_PARTITION__'],
      ['classifications', 'project_id=__HIVE_DEFAULT_PARTITION__'],
    ])
    expect(tagged[4]?.row).toBe(rows[4]?.row)
  })

  it("fails on a label's row that comes before its labels row (flattenDataRows never emits one)", () => {
    const stage = partitionByProject(() => [row('objects', { label_id: 'l9' })])
    expect(() => [...stage(null, at)]).toThrow('a objects row of label l9 came before its labels row')
  })

  it('fails on a project whose folder name would pass 255 bytes, naming it', () => {
    const name = 'é'.repeat(130)
    const stage = partitionByProject(() => [row('labels', { label_id: 'l1', project_id: name })])
    expect(() => [...stage(null, at)]).toThrow(`the partition folder of project "${name}" would be 271 bytes, more than the 255`)
  })

  it('keeps each record apart: a label id known from one record is not reused by the next', () => {
    const stage = partitionByProject((labelled: boolean) =>
      labelled ? [row('labels', { label_id: 'l1', project_id: 'p1' })] : [row('objects', { label_id: 'l1' })],
    )
    expect([...stage(true, at)]).toHaveLength(1)
    expect(() => [...stage(false, at)]).toThrow('came before its labels row')
  })
})

describe('hivePartitionValue', () => {
  it("escapes what Hive's escapePathName escapes, and names a null or empty value the default partition", () => {
    expect(hivePartitionValue('ckr083gl1dr8j0yag4jo5cnnt')).toBe('ckr083gl1dr8j0yag4jo5cnnt')
    expect(hivePartitionValue('a/b=c d%')).toBe('a%2Fb%3Dc d%25')
    expect(hivePartitionValue('tab\there: "q" #1 ^x [y] {z}')).toBe('tab%09here%3A %22q%22 %231 %5Ex %5By%5D %7Bz}')
    expect(hivePartitionValue('é 漢')).toBe('é 漢')
    expect(hivePartitionValue('')).toBe('__HIVE_DEFAULT_PARTITION__')
    expect(hivePartitionValue(null)).toBe('__HIVE_DEFAULT_PARTITION__')
  })
})

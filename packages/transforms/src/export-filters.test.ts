import type { LabelpipeError, V2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { filterDataRows, filterTime } from './export-filters.js'

const at = { file: 'export.ndjson', line: 1, byteOffset: 0 }

/** A data row in two projects (p1: batch b1, Done; p2: batch b2, InReview), one label each. */
function record(id: string, lastActivity: string | null, labelCreated = '2024-01-10T00:00:00Z'): V2DataRow {
  const label = (labelId: string) => ({
    id: labelId,
    label_details: { created_at: labelCreated, created_by: 'a@example.com' },
    performance_details: { seconds_to_create: 3 },
    annotations: { objects: [], classifications: [] },
  })
  return {
    data_row: { id, global_key: `gk-${id}`, details: lastActivity === null ? null : { last_activity_at: lastActivity, dataset_name: 'd' } },
    attachments: [{ type: 'TEXT', value: 'x' }],
    metadata_fields: [{ schema_id: 's', value: 'v' }],
    projects: {
      p1: { name: 'P1', labels: [label(`${id}-l1`)], project_details: { batch_id: 'b1', workflow_status: 'Done' } },
      p2: { name: 'P2', labels: [label(`${id}-l2`)], project_details: { batch_id: 'b2', workflow_status: 'InReview' } },
    },
  } as V2DataRow
}

const rows = [
  record('a', '2024-01-01T00:00:00Z'),
  record('b', '2024-02-01T00:00:00Z', '2024-02-01T00:00:00Z'),
  record('c', '2024-03-01T00:00:00+01:00'),
  record('d', null),
]
const keptIds = (filter: ReturnType<typeof filterDataRows>) => rows.flatMap((row) => filter(row, at)).map((row) => row.data_row.id)

describe('filterDataRows', () => {
  it('keeps everything and leaves records untouched without filters', () => {
    const filter = filterDataRows()
    expect(rows.flatMap((row) => filter(row, at))).toEqual(rows)
    expect(filter.stats).toMatchObject({ kept: 4, dropped: 0 })
  })

  it('takes last_activity_at ranges inclusively, either bound open; a missing time is dropped', () => {
    expect(keptIds(filterDataRows({ filters: { lastActivityAt: { from: '2024-02-01T00:00:00Z', to: null } } }))).toEqual(['b', 'c'])
    expect(keptIds(filterDataRows({ filters: { lastActivityAt: { to: '2024-02-29T23:00:00Z' } } }))).toEqual(['a', 'b', 'c'])
    const filter = filterDataRows({ filters: { lastActivityAt: { from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' } } })
    expect(keptIds(filter)).toEqual(['a', 'b'])
    expect(filter.stats.droppedBy).toEqual({ last_activity_at: 2 })
  })

  it('ANDs filters and ORs the values of one', () => {
    const filter = filterDataRows({ filters: { dataRowIds: ['a', 'b', 'd'], globalKeys: ['gk-b', 'gk-d'], workflowStatus: ['Done'] } })
    expect(keptIds(filter)).toEqual(['b', 'd'])
    expect(filter.stats.droppedBy).toEqual({ data_row_ids: 1, global_keys: 1 })
  })

  it('narrows project-scoped filters to the matching projects and drops data rows with none', () => {
    const filter = filterDataRows({ filters: { batchIds: ['b2'] } })
    const kept = rows.flatMap((row) => filter(row, at))
    expect(kept.map((row) => Object.keys(row.projects ?? {}))).toEqual([['p2'], ['p2'], ['p2'], ['p2']])
    expect(filter.stats.projectsRemoved).toBe(4)
    expect(rows[0]?.projects?.p1).toBeDefined()
    const none = filterDataRows({ filters: { projectIds: ['p3'] } })
    expect(keptIds(none)).toEqual([])
    // The summary's "projects of kept data rows left out": a dropped data row's projects are not counted.
    expect(none.stats).toMatchObject({ dropped: 4, projectsRemoved: 0 })
  })

  it('keeps a data row whole when any label was created in label_created_at', () => {
    const filter = filterDataRows({ filters: { labelCreatedAt: { from: '2024-01-15T00:00:00Z', to: '2024-02-15T00:00:00Z' } } })
    const kept = rows.flatMap((row) => filter(row, at))
    expect(kept.map((row) => row.data_row.id)).toEqual(['b'])
    expect(Object.keys(kept[0]?.projects ?? {})).toEqual(['p1', 'p2'])
  })

  it('removes excluded param groups from a copy', () => {
    const filter = filterDataRows({ exclude: ['attachments', 'metadata_fields', 'data_row_details', 'project_details', 'label_details'] })
    const [out] = filter(rows[0] as V2DataRow, at)
    expect(out?.attachments).toBeUndefined()
    expect(out?.metadata_fields).toBeUndefined()
    expect(out?.data_row.details).toBeUndefined()
    expect(out?.projects?.p1?.project_details).toBeUndefined()
    expect(out?.projects?.p1?.labels?.[0]?.label_details).toBeUndefined()
    expect(out?.projects?.p1?.labels?.[0]?.performance_details).toEqual({ seconds_to_create: 3 })
    expect(rows[0]?.attachments).toHaveLength(1)
  })

  it('incremental: keeps data rows active after a project cursor minus the overlap, or in a project without one', () => {
    const incremental = { cursors: { p1: '2024-02-01T00:05:00Z', p2: '2024-02-01T00:05:00Z' }, overlapMs: 10 * 60_000 }
    expect(keptIds(filterDataRows({ incremental }))).toEqual(['b', 'c', 'd'])
    expect(keptIds(filterDataRows({ incremental: { ...incremental, overlapMs: 0 } }))).toEqual(['c', 'd'])
    expect(keptIds(filterDataRows({ incremental: { cursors: { p1: '2030-01-01T00:00:00Z' }, overlapMs: 0 } }))).toEqual([
      'a',
      'b',
      'c',
      'd',
    ])
  })

  it('reports the cursors the kept data rows reach, per project', () => {
    const filter = filterDataRows({ filters: { projectIds: ['p1'] } })
    for (const row of rows) filter(row, at)
    expect(filter.cursors()).toEqual({ p1: '2024-02-29T23:00:00.000Z' })
  })

  it('refuses a time without an offset, saying why', () => {
    const error = (() => {
      try {
        filterTime('lastActivityAt.from', '2024-01-01 10:00:00')
      } catch (caught) {
        return caught as LabelpipeError
      }
    })()
    expect(error?.code).toBe('LP_INVALID_OPTION')
    expect(error?.message).toContain("API user's time zone")
    expect(error?.message).toContain('2024-01-01T10:00:00Z')
    expect(() => filterDataRows({ filters: { lastActivityAt: { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' } } })).toThrow(
      'starts after it ends',
    )
    expect(() => filterDataRows({ filters: { dataRowIds: [] } })).toThrow('at least one value')
  })
})

import type { V2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { isNewer, pickStates, type QueuedDelivery } from './webhook-batch.js'
import type { WebhookEvent } from './webhook-delivery.js'

let seq = 0
function delivery(
  dataRowId: string,
  lastActivityMs: number | null,
  event: WebhookEvent = 'LABEL_UPDATED',
  projects: readonly string[] = ['p1'],
): QueuedDelivery {
  const dataRow = { data_row: { id: dataRowId }, projects: Object.fromEntries(projects.map((p) => [p, { labels: [] }])) } as V2DataRow
  return { deliveryId: `d${seq}`, event, dataRow, lastActivityMs, seq: seq++, bytes: 10, receivedAt: new Date(0) }
}

const parts = (result: ReturnType<typeof pickStates>) =>
  result.staged.map(({ delivery: d, dataRow, projects }) => ({ id: d.deliveryId, dataRow, projects }))

describe('pickStates: the state a batch writes per merge unit', () => {
  it('keeps the greatest last_activity_at, whatever the arrival order; the others are superseded', () => {
    const newest = delivery('a', 300)
    const older = [delivery('a', 100), delivery('a', 200)]
    const other = delivery('b', 50)
    const result = pickStates([older[0] as QueuedDelivery, newest, other, older[1] as QueuedDelivery])
    expect(result.staged.map((state) => state.delivery)).toEqual([newest, other])
    expect(parts(result)[0]).toEqual({ id: newest.deliveryId, dataRow: true, projects: ['p1'] })
    expect(new Set(result.superseded)).toEqual(new Set(older))
    expect(result.deletions).toEqual([])
  })

  it('a tie goes to the later-received; a state without the time counts as newest', () => {
    const first = delivery('a', 100)
    const second = delivery('a', 100)
    expect(isNewer(second, first)).toBe(true)
    expect(isNewer(first, second)).toBe(false)
    const untimed = delivery('a', null)
    const later = delivery('a', 10 ** 15)
    expect(isNewer(untimed, later)).toBe(true)
    expect(pickStates([untimed, later]).staged.map((state) => state.delivery)).toEqual([untimed])
  })

  it('LABEL_DELETED deliveries are not states; staged states come in arrival order', () => {
    const deletion = delivery('a', 999, 'LABEL_DELETED')
    const b = delivery('b', 1)
    const a = delivery('a', 1)
    const { staged, deletions } = pickStates([a, deletion, b])
    expect(deletions).toEqual([deletion])
    expect(staged.map((state) => state.delivery.dataRow.data_row.id)).toEqual(['b', 'a'])
  })

  it('deliveries of different projects of one data row each write their own project; the data row goes to the newest', () => {
    const projectB = delivery('a', 100, 'LABEL_UPDATED', ['pB'])
    const projectA = delivery('a', 200, 'LABEL_UPDATED', ['pA'])
    const result = pickStates([projectA, projectB])
    expect(parts(result)).toEqual([
      { id: projectB.deliveryId, dataRow: false, projects: ['pB'] },
      { id: projectA.deliveryId, dataRow: true, projects: ['pA'] },
    ])
    expect(result.superseded).toEqual([])
  })

  it('a state of two projects gives up only the project a newer delivery carries', () => {
    const both = delivery('a', 100, 'LABEL_UPDATED', ['pA', 'pB'])
    const newerA = delivery('a', 200, 'LABEL_UPDATED', ['pA'])
    const newerBoth = delivery('a', 300, 'LABEL_UPDATED', ['pA', 'pB'])
    expect(parts(pickStates([newerA, both]))).toEqual([
      { id: both.deliveryId, dataRow: false, projects: ['pB'] },
      { id: newerA.deliveryId, dataRow: true, projects: ['pA'] },
    ])
    const all = pickStates([both, newerBoth, newerA])
    expect(parts(all)).toEqual([{ id: newerBoth.deliveryId, dataRow: true, projects: ['pA', 'pB'] }])
    expect(new Set(all.superseded)).toEqual(new Set([both, newerA]))
  })
})

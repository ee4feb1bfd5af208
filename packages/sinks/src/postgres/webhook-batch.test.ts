import type { V2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { isNewer, pickStates, type QueuedDelivery } from './webhook-batch.js'
import type { WebhookEvent } from './webhook-delivery.js'

let seq = 0
function delivery(dataRowId: string, lastActivityMs: number | null, event: WebhookEvent = 'LABEL_UPDATED'): QueuedDelivery {
  const dataRow = { data_row: { id: dataRowId } } as V2DataRow
  return { deliveryId: `d${seq}`, event, dataRow, lastActivityMs, seq: seq++, bytes: 10, receivedAt: new Date(0) }
}

describe('pickStates: the state a batch writes per data row', () => {
  it('keeps the greatest last_activity_at, whatever the arrival order; the others are superseded', () => {
    const newest = delivery('a', 300)
    const older = [delivery('a', 100), delivery('a', 200)]
    const other = delivery('b', 50)
    const { winners, superseded, deletions } = pickStates([older[0] as QueuedDelivery, newest, other, older[1] as QueuedDelivery])
    expect(winners).toEqual([newest, other])
    expect(new Set(superseded)).toEqual(new Set(older))
    expect(deletions).toEqual([])
  })

  it('a tie goes to the later-received; a state without the time counts as newest', () => {
    const first = delivery('a', 100)
    const second = delivery('a', 100)
    expect(isNewer(second, first)).toBe(true)
    expect(isNewer(first, second)).toBe(false)
    const untimed = delivery('a', null)
    const later = delivery('a', 10 ** 15)
    expect(isNewer(untimed, later)).toBe(true)
    expect(pickStates([untimed, later]).winners).toEqual([untimed])
  })

  it('LABEL_DELETED deliveries are not states; winners come in arrival order', () => {
    const deletion = delivery('a', 999, 'LABEL_DELETED')
    const b = delivery('b', 1)
    const a = delivery('a', 1)
    const { winners, deletions } = pickStates([a, deletion, b])
    expect(deletions).toEqual([deletion])
    expect(winners.map((w) => w.dataRow.data_row.id)).toEqual(['b', 'a'])
  })
})

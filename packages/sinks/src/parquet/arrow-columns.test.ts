import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import type { CheckedColumn } from '../column-values.js'
import { arrowType, columnBuffer, takeRecordBatch } from './arrow-columns.js'

const column = (type: CheckedColumn['type'], notNull = false): CheckedColumn => ({ name: 'c', type, notNull, isValue: () => true })

/** Buffers `values` (as the sink does, possibly over several takes) and reads them back through Arrow IPC. */
function roundTrip(type: CheckedColumn['type'], values: readonly unknown[], takeEvery = values.length): unknown[] {
  const col = column(type)
  const schema = new arrow.Schema([new arrow.Field('c', arrowType(arrow, col), true)])
  const buffer = columnBuffer(col)
  const out: unknown[] = []
  for (let start = 0; start < values.length; start += takeEvery) {
    const slice = values.slice(start, start + takeEvery)
    for (const value of slice) buffer.append(value)
    const batch = takeRecordBatch(arrow, schema, [buffer], slice.length)
    // Through IPC, as the sink hands batches to parquet-wasm, so offsets and bitmaps are checked as serialized.
    const table = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(batch), 'stream'))
    const vector = table.getChild('c')
    for (let i = 0; i < slice.length; i++) out.push(vector?.get(i) ?? null)
  }
  return out
}

describe('column buffers', () => {
  it('encodes text across 256-value runs: ASCII runs, non-ASCII runs, empty strings and nulls', () => {
    const values = Array.from({ length: 1000 }, (_, i) =>
      i % 7 === 0 ? null : i % 11 === 0 ? '' : i > 600 ? `ünïcode ${i} 🎉 שלום` : `ascii-${i}`,
    )
    expect(roundTrip('text', values)).toEqual(values)
    expect(roundTrip('text', values, 300)).toEqual(values)
  })

  it('does not let lone surrogates of neighbouring values pair up (each becomes U+FFFD, as Buffer.from does)', () => {
    expect(roundTrip('text', ['a\ud83c', '\udf89b', '🎉'])).toEqual(['a\ufffd', '\ufffdb', '🎉'])
  })

  it('stores int64 and timestamps exactly across the safe-integer range, negatives included', () => {
    const values = [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), null, 1234567890123]
    expect(roundTrip('bigint', values).map((v) => (v === null ? null : Number(v)))).toEqual(values)
    const instants = [0, -1, 8.64e15, -8.64e15, Date.UTC(2024, 1, 29, 12), null]
    expect(roundTrip('timestamptz', instants).map((v) => (v === null ? null : Number(v)))).toEqual(instants)
  })

  it('keeps int32 extremes, doubles, booleans and their nulls', () => {
    const ints = [2147483647, -2147483648, 0, null, 7]
    expect(roundTrip('int', ints)).toEqual(ints)
    const doubles = [5e-324, 1e308, -0.5, Math.PI, null]
    expect(roundTrip('double', doubles)).toEqual(doubles)
    const bools = Array.from({ length: 37 }, (_, i) => (i % 5 === 0 ? null : i % 3 === 0))
    expect(roundTrip('bool', bools, 10)).toEqual(bools)
  })
})

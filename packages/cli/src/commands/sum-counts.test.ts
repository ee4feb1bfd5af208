import { describe, expect, it } from 'vitest'
import { sumCounts } from './sum-counts.js'

describe('sumCounts', () => {
  it('adds numbers and keyed counts one level down, keeping keys only one side has', () => {
    const a = { dataRows: 2, rowsByTable: { objects: 3, labels: 1 }, unknownAnnotationKinds: { blob: 1 } }
    const b = { dataRows: 5, rowsByTable: { objects: 4, labels: 0 }, unknownAnnotationKinds: { cube: 2 } }
    expect(sumCounts([a, b])).toEqual({ dataRows: 7, rowsByTable: { objects: 7, labels: 1 }, unknownAnnotationKinds: { blob: 1, cube: 2 } })
  })

  it('adds counts keyed by names like Object.prototype keys', () => {
    const a = JSON.parse('{"unknownAnnotationKinds":{"constructor":1,"__proto__":2}}') as { unknownAnnotationKinds: Record<string, number> }
    const b = JSON.parse('{"unknownAnnotationKinds":{"constructor":3,"__proto__":4}}') as { unknownAnnotationKinds: Record<string, number> }
    const sum = sumCounts([a, b]).unknownAnnotationKinds
    expect(Object.entries(sum)).toEqual([
      ['constructor', 4],
      ['__proto__', 6],
    ])
  })
})

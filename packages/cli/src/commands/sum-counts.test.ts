import { describe, expect, it } from 'vitest'
import { sumCounts } from './sum-counts.js'

describe('sumCounts', () => {
  it('adds numbers and keyed counts one level down, keeping keys only one side has', () => {
    const a = { dataRows: 2, rowsByTable: { objects: 3, labels: 1 }, unknownAnnotationKinds: { blob: 1 } }
    const b = { dataRows: 5, rowsByTable: { objects: 4, labels: 0 }, unknownAnnotationKinds: { cube: 2 } }
    expect(sumCounts([a, b])).toEqual({ dataRows: 7, rowsByTable: { objects: 7, labels: 1 }, unknownAnnotationKinds: { blob: 1, cube: 2 } })
  })
})

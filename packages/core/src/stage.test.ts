import { describe, expect, it } from 'vitest'
import { TransformError } from './errors.js'
import type { Located, Position } from './position.js'
import { composeStages, runStage } from './stage.js'

const at = (line: number): Position => ({ file: 'in.ndjson', line, byteOffset: line * 10 })

async function* batchesOf<T>(...batches: Located<T>[][]) {
  yield* batches
}

describe('runStage', () => {
  it('fans out, batches at batchSize and keeps each output at its input position', async () => {
    const double = runStage((n: number) => [n, n], 3)
    const out: Located<number>[][] = []
    for await (const batch of double(
      batchesOf([
        { value: 1, at: at(1) },
        { value: 2, at: at(2) },
      ]),
    ))
      out.push([...batch])
    expect(out.map((b) => b.map((r) => r.value))).toEqual([[1, 1, 2], [2]])
    expect(out[0]?.[2]?.at.line).toBe(2)
  })

  it('stays lazy inside one record: a consumer that stops early leaves the expansion unfinished', async () => {
    let produced = 0
    const expand = runStage(function* (n: number) {
      for (let i = 0; i < n; i++) {
        produced++
        yield i
      }
    }, 4)
    for await (const _ of expand(batchesOf([{ value: 1_000_000, at: at(1) }]))) break
    expect(produced).toBe(4)
  })

  it('wraps a plain exception as TransformError with the record position', async () => {
    const failing = runStage((_: number): number[] => {
      throw new RangeError('boom')
    })
    const run = async () => {
      for await (const _ of failing(batchesOf([{ value: 1, at: at(7) }]))) void _
    }
    await expect(run()).rejects.toMatchObject({
      code: 'LP_TRANSFORM',
      line: 7,
      message: 'in.ndjson line 7 (byte 70): transform failed: boom',
    })
    await expect(run()).rejects.toBeInstanceOf(TransformError)
  })
})

describe('composeStages', () => {
  it('feeds every output of the first stage to the second', () => {
    const stage = composeStages(
      (n: number) => [n, n + 1],
      (n: number) => [String(n)],
    )
    expect([...stage(1, at(1))]).toEqual(['1', '2'])
  })
})

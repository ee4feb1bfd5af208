import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Batch, LabelpipeError, Located, V1Label, V1LabelGroup } from '@labelpipe/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { groupV1Labels } from './group-v1-labels.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-group-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const signal = new AbortController().signal

/** Labels of data rows `dr-<n % rows>` in array order, each ~1 KB, 10 per batch. */
async function* labels(count: number, rows: number, failAt = -1): AsyncGenerator<Batch<V1Label>> {
  let batch: Located<V1Label>[] = []
  for (let i = 0; i < count; i++) {
    if (i === failAt) throw new Error('the source broke')
    const value = { ID: `l-${i}`, 'DataRow ID': `dr-${i % rows}`, Label: { objects: [] }, pad: 'x'.repeat(1000) } as V1Label
    batch.push({ value, at: { file: 'v1.json', line: i + 1, byteOffset: i * 1100, arrayIndex: i } })
    if (batch.length === 10) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

async function collect(groups: AsyncIterable<Batch<V1LabelGroup>>) {
  const out: { id: string; labels: string[]; arrayIndex: number | undefined }[] = []
  for await (const batch of groups)
    for (const { value, at } of batch) out.push({ id: value.dataRowId, labels: value.labels.map((l) => l.ID), arrayIndex: at.arrayIndex })
  return out
}

describe('groupV1Labels', () => {
  it('groups scattered labels by data row in memory, in id order, labels in array order', async () => {
    const grouper = groupV1Labels()
    const groups = await collect(grouper.run(labels(9, 3), { signal }))
    expect(groups).toEqual([
      { id: 'dr-0', labels: ['l-0', 'l-3', 'l-6'], arrayIndex: 0 },
      { id: 'dr-1', labels: ['l-1', 'l-4', 'l-7'], arrayIndex: 1 },
      { id: 'dr-2', labels: ['l-2', 'l-5', 'l-8'], arrayIndex: 2 },
    ])
    expect(grouper.stats).toMatchObject({ labels: 9, groups: 3, spilledRuns: 0 })
  })

  it('spills sorted runs past a tiny budget, merges them to the same groups, and removes its temp files', async () => {
    const inMemory = await collect(groupV1Labels().run(labels(500, 37), { signal }))
    const grouper = groupV1Labels({ memoryBudget: 20_000, tempDir: dir })
    const spilled = await collect(grouper.run(labels(500, 37), { signal }))
    expect(spilled).toEqual(inMemory)
    expect(spilled).toHaveLength(37)
    expect(grouper.stats.spilledRuns).toBeGreaterThan(10)
    expect(await readdir(dir)).toEqual([])
  })

  it('removes its temp files when the source fails after a spill', async () => {
    const grouper = groupV1Labels({ memoryBudget: 20_000, tempDir: dir })
    const run = grouper.run(labels(500, 37, 300), { signal })
    await expect(collect(run)).rejects.toThrow('the source broke')
    expect(grouper.stats.spilledRuns).toBeGreaterThan(5)
    expect(await readdir(dir)).toEqual([])
  })

  it('removes its temp files when the consumer stops in the middle of the merge (abort)', async () => {
    const grouper = groupV1Labels({ memoryBudget: 20_000, tempDir: dir, batchSize: 1 })
    const iterator = grouper.run(labels(500, 37), { signal })[Symbol.asyncIterator]()
    await iterator.next()
    expect(await readdir(dir)).toHaveLength(1)
    await iterator.return?.()
    expect(await readdir(dir)).toEqual([])
  })

  it('assumeGrouped groups as labels come and names the data row and array indexes when one comes back', async () => {
    const grouped = async function* (): AsyncGenerator<Batch<V1Label>> {
      for await (const batch of labels(6, 6))
        yield batch.map(({ value, at }) => ({ value: { ...value, 'DataRow ID': `dr-${Math.floor(at.line / 3)}` }, at }))
    }
    expect((await collect(groupV1Labels({ assumeGrouped: true }).run(grouped(), { signal }))).map((g) => g.labels)).toEqual([
      ['l-0', 'l-1'],
      ['l-2', 'l-3', 'l-4'],
      ['l-5'],
    ])
    const error = (await collect(groupV1Labels({ assumeGrouped: true }).run(labels(6, 2), { signal })).catch((e) => e)) as LabelpipeError
    expect(error.code).toBe('LP_EXPORT_FORMAT')
    expect(error.message).toBe(
      'v1.json line 3 (byte 2200, array index 2): DataRow ID: data row dr-0 comes back after other data rows (its labels before ended at array index 0): the input is not grouped by data row; read it without assumeGrouped',
    )
  })

  it('checks its options', () => {
    expect(() => groupV1Labels({ memoryBudget: 0 })).toThrow(/invalid option memoryBudget/)
  })
})

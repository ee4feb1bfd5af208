// Issue 9: property tests over random valid exports. For generated v2 exports of every media type (random seed,
// size and frames), the tables hold exactly the generator's counts and every primary key once; for generated v1
// exports (image and video, labels scattered across the array), v1 -> v2 -> tables equals the v2 export of the
// same content. fast-check runs a fixed seed, then a random one (printed on failure, to replay).
import { Readable } from 'node:stream'
import { expectedRows, type GeneratedMedia, generateV1Export, generateV2Export } from '@labelpipe/benchmarks'
import { type Batch, type Located, primaryKeys, type TableName, type V2DataRow } from '@labelpipe/core'
import { readV2Export } from '@labelpipe/sources'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { labelledOnly, sorted, tablesOf, v1ToV2, withoutWhatV1Lacks } from './support/v1.js'

async function v2Records(stream: Readable): Promise<V2DataRow[]> {
  const out: V2DataRow[] = []
  for await (const batch of readV2Export(stream) as AsyncIterable<Batch<V2DataRow>>) for (const { value } of batch) out.push(value)
  return out
}

const exportShape = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  media: fc.constantFrom<GeneratedMedia>('image', 'video', 'dicom', 'mixed'),
  dataRows: fc.integer({ min: 1, max: 25 }),
  framesPerVideo: fc.integer({ min: 1, max: 40 }),
})

const runs = (seed?: number) => ({ numRuns: 12, ...(seed === undefined ? {} : { seed }) })

describe('table invariants on random valid exports (issue 9)', () => {
  for (const seed of [11, undefined]) {
    it(`v2: counts equal the generator's and every primary key is unique (seed ${seed ?? 'random'})`, async () => {
      await fc.assert(
        fc.asyncProperty(exportShape, async (options) => {
          const stream = generateV2Export(options)
          const records = await v2Records(stream)
          const tables = tablesOf(records, 'v2')
          const expected = expectedRows(stream.stats)
          for (const [table, count] of Object.entries(expected)) expect(tables.get(table)?.length ?? 0, table).toBe(count)
          for (const [table, rows] of tables) {
            const keys = primaryKeys[table as TableName] as readonly string[]
            const seen = new Set(rows.map((row) => JSON.stringify(keys.map((key) => row[key]))))
            expect(seen.size, `${table} keys`).toBe(rows.length)
          }
        }),
        runs(seed),
      )
    }, 120_000)

    it(`v1: labels scattered across the array give the tables of the v2 export of the same content (seed ${seed ?? 'random'})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          exportShape.filter((o) => o.media === 'image' || o.media === 'video'),
          fc.integer({ min: 0, max: 30 }),
          async (options, spread) => {
            const v1 = generateV1Export({ ...options, spread })
            const chunks: Buffer[] = []
            for await (const chunk of v1) chunks.push(chunk as Buffer)
            const { records } = await v1ToV2(Readable.from([Buffer.concat(chunks)]), {
              convert: { projectId: (name) => (name === null ? undefined : v1.stats().projectIds[name]) },
              group: { memoryBudget: 4096 },
            })
            const v2Rows = (await v2Records(generateV2Export(options))).flatMap(labelledOnly)
            const expected = withoutWhatV1Lacks(tablesOf(v2Rows, 'v2'))
            const actual = tablesOf(
              records.map((r: Located<V2DataRow>) => r.value),
              'v1',
            )
            expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort())
            for (const [table, rows] of expected) expect(sorted(actual.get(table) ?? []), table).toEqual(sorted(rows))
          },
        ),
        runs(seed),
      )
    }, 120_000)
  }
})

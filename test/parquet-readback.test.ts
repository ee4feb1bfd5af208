// Issue 2: a generated 100k-row export goes to Parquet and NDJSON in one run; an independent reader
// (hyparquet) reads every Parquet table back, and it equals the NDJSON output row by row.

import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { writeV2Export } from '@labelpipe/benchmarks'
import { tableNames } from '@labelpipe/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { readParquetRows } from './support/files.js'

const dataRows = 100_000
let dir: string
let manifest: { rows: Record<string, number>; files: { table: string; path: string; rows: number }[] }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-readback-'))
  const input = join(dir, 'export.ndjson')
  const stats = await writeV2Export(input, { seed: 2, media: 'image', dataRows })
  const result = await runCli([
    'load',
    input,
    '--to',
    `parquet:${join(dir, 'pq')}`,
    '--to',
    `ndjson:${join(dir, 'nd')}`,
    '--load-id',
    'readback',
    '--quiet',
  ])
  expect(result).toMatchObject({ code: 0, stderr: '' })
  manifest = JSON.parse(await readFile(join(dir, 'pq', '_manifests', 'readback.json'), 'utf8'))
  expect(manifest.rows.data_rows).toBe(dataRows)
  expect(manifest.rows.objects).toBe(stats.tables.objects)
}, 600_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function* ndjsonRows(file: string, rowsPerRead: number): AsyncGenerator<Record<string, unknown>[]> {
  let chunk: Record<string, unknown>[] = []
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
    chunk.push(JSON.parse(line) as Record<string, unknown>)
    if (chunk.length === rowsPerRead) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}

describe('Parquet read back by hyparquet equals the NDJSON output', () => {
  // An image export: the frame tables stay empty and have no file.
  it.each(tableNames.filter((t) => t !== 'frame_objects' && t !== 'segments' && t !== 'key_frames'))('%s', async (table) => {
    const files = manifest.files.filter((f) => f.table === table)
    expect(files.length).toBeGreaterThan(0)
    let rows = 0
    for (const file of files) {
      const ndjson = ndjsonRows(join(dir, 'nd', file.path.replace(/\.parquet$/, '.ndjson')), 20_000)
      for await (const parquetChunk of readParquetRows(join(dir, 'pq', file.path), 20_000)) {
        const ndjsonChunk = (await ndjson.next()).value
        expect(parquetChunk).toEqual(ndjsonChunk)
        rows += parquetChunk.length
      }
      expect((await ndjson.next()).done).toBe(true)
    }
    expect(rows).toBe(manifest.rows[table])
  })
})

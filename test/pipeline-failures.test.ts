// Issue 2: backpressure from a stalled sink reaches the real reader; an abort or a sink failing mid-run
// leaves no table file, no manifest and no temp file, in Parquet and NDJSON alike.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { writeV2Export } from '@labelpipe/benchmarks'
import { type Batch, fanOutSink, type RecordStage, runPipeline, runStage, type TableRow } from '@labelpipe/core'
import { ndjsonSink } from '@labelpipe/sinks/ndjson'
import { parquetSink } from '@labelpipe/sinks/parquet'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listFiles } from './support/files.js'

let dir: string
let input: string
let totalDataRows: number
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-failures-'))
  input = join(dir, 'export.ndjson')
  totalDataRows = (await writeV2Export(input, { seed: 9, media: 'image', dataRows: 20_000 })).dataRows
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const loadId = 'failing-run'
const flatten = () => ({ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) })

/** Passes rows through, and calls `atRow` when the n-th table row goes by. */
function tapAt(n: number, atRow: (row: TableRow) => TableRow): { name: string; run: ReturnType<typeof runStage<TableRow, TableRow>> } {
  let seen = 0
  const stage: RecordStage<TableRow, TableRow> = (row) => [++seen === n ? atRow(row) : row]
  return { name: 'tap', run: runStage(stage) }
}

describe('a real load under failure', () => {
  it('stops reading the export while the sink is stalled', async () => {
    let release: (() => void) | undefined
    const stalled = new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(_batch: Batch<TableRow>, _e, callback) {
        release = callback
      },
    })
    const source = readV2Export(input)
    const run = runPipeline({ source, transforms: [flatten()], sink: stalled })
    while (release === undefined) await nextTurn()
    for (let i = 0; i < 100; i++) await nextTurn()
    const readWhileStalled = source.stats.records
    // A few batches of 512 in the stages, plus the lines of the 64 KiB read buffers: not the export.
    expect(readWhileStalled).toBeLessThan(3_000)
    expect(source.progress().bytesRead).toBeLessThan((source.progress().totalBytes as number) / 5)
    stalled.destroy()
    await expect(run).rejects.toThrow()
  })

  it('aborted mid-run by its AbortSignal: LP_ABORTED, nothing left in either target', async () => {
    const controller = new AbortController()
    const out = join(dir, 'aborted')
    const error = await runPipeline({
      source: readV2Export(input),
      transforms: [
        flatten(),
        tapAt(50_000, (row) => {
          controller.abort('test')
          return row
        }),
      ],
      sink: fanOutSink([parquetSink({ dir: join(out, 'pq'), loadId }), ndjsonSink({ dir: join(out, 'nd'), loadId })]),
      signal: controller.signal,
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LP_ABORTED' })
    expect(await listFiles(out)).toEqual([])
  })

  it('a sink failing mid-run (a value it cannot store): LP_SINK with the position, nothing left in either target', async () => {
    const out = join(dir, 'failed')
    const error = await runPipeline({
      source: readV2Export(input),
      transforms: [
        flatten(),
        tapAt(100_000, (row) =>
          row.table === 'data_rows' ? row : ({ table: 'data_rows', row: { data_row_id: null } } as unknown as TableRow),
        ),
      ],
      sink: fanOutSink([ndjsonSink({ dir: join(out, 'nd'), loadId }), parquetSink({ dir: join(out, 'pq'), loadId })]),
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LP_SINK', file: input })
    expect((error as { line: number }).line).toBeGreaterThan(1)
    expect((error as { line: number }).line).toBeLessThan(totalDataRows)
    expect(await listFiles(out)).toEqual([])
  })
})

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Batch, LabelpipeError, V2DataRow } from '@labelpipe/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { v2ExportSink } from './v2-export-sink.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-v2-export-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function dataRow(i: number): V2DataRow {
  return { data_row: { id: `dr-${i}`, row_data: `https://example.com/${i}.jpg`, global_key: `tab\there "quoted" 🎉 ${i}` } } as V2DataRow
}

function batches(count: number, perBatch = 10, failAt = -1): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < count; i += perBatch) {
        if (failAt >= 0 && i >= failAt) throw new Error('the source broke')
        const batch: Batch<V2DataRow> = Array.from({ length: Math.min(perBatch, count - i) }, (_, k) => ({
          value: dataRow(i + k),
          at: { file: 'v1.json', line: 1, byteOffset: 0 },
        }))
        yield batch
      }
    })(),
  )
}

describe('v2ExportSink', () => {
  it('writes one JSON data row a line, in order, and only the final name is left', async () => {
    const path = join(dir, 'out.ndjson')
    const sink = v2ExportSink({ to: path })
    await pipeline(batches(2500), sink)
    const lines = (await readFile(path, 'utf8')).split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.map((line) => JSON.parse(line))).toEqual(Array.from({ length: 2500 }, (_, i) => dataRow(i)))
    expect(sink.dataRows).toBe(2500)
    expect(await readdir(dir)).toEqual(['out.ndjson'])
  })

  it('leaves an existing file untouched and no temp file when the run fails', async () => {
    const path = join(dir, 'out.ndjson')
    await writeFile(path, 'the previous conversion\n')
    await expect(pipeline(batches(1000, 10, 500), v2ExportSink({ to: path }))).rejects.toThrow('the source broke')
    expect(await readFile(path, 'utf8')).toBe('the previous conversion\n')
    expect(await readdir(dir)).toEqual(['out.ndjson'])
  })

  it('names the path when its folder does not exist', async () => {
    const path = join(dir, 'missing', 'out.ndjson')
    const error = (await pipeline(batches(10), v2ExportSink({ to: path })).catch((e: unknown) => e)) as LabelpipeError
    expect(error.code).toBe('LP_SINK')
    expect(error.message).toContain(path)
  })

  it('waits for a slow stream (backpressure) and never ends it', async () => {
    let received = ''
    let writes = 0
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.toString()
        writes++
        setTimeout(callback, 1)
      },
    })
    const out = new PassThrough()
    out.pipe(slow)
    await pipeline(batches(3000, 100), v2ExportSink({ to: out }))
    expect(out.writableEnded).toBe(false)
    out.end()
    await new Promise((resolve) => slow.on('finish', resolve))
    expect(received.split('\n').filter((line) => line !== '')).toHaveLength(3000)
    expect(writes).toBeGreaterThan(1)
  })
})

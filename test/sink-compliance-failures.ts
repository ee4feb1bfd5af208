// Failure half of the file-sink compliance suite: a failed, aborted or destroyed run emits no 'finish', at most
// one 'error', and leaves no table file, no temp file and no manifest.

import { existsSync } from 'node:fs'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SinkError, type TableName, type TableRow } from '@labelpipe/core'
import { expect, it } from 'vitest'
import { interleavedBatches } from './sink-compliance-rows.js'
import { bulkyBatches, type FileSinkUnderTest, listFiles, loadId, sampleRows, watch, writeAsync } from './sink-compliance-support.js'

export function failureCompliance(subject: FileSinkUnderTest, folders: () => { readonly root: string; readonly dir: string }): void {
  const badRows: readonly [string, TableName, Record<string, unknown>, string][] = [
    ['a string in an int column', 'data_rows', { width: 'wide' }, 'data_rows.width'],
    ['a null in a NOT NULL column', 'objects', { label_id: null }, 'objects.label_id'],
    ['a missing column', 'labels', { skipped: undefined }, 'labels.skipped'],
    ['NaN in a double column', 'objects', { bbox_top: Number.NaN }, 'objects.bbox_top'],
    ['2^31 in an int column', 'objects', { first_frame: 2 ** 31 }, 'objects.first_frame'],
    ['an ISO string in a timestamptz column', 'labels', { created_at: '2024-01-01T00:00:00Z' }, 'labels.created_at'],
    ['an object in a json column', 'data_rows', { media_attributes: { a: 1 } }, 'data_rows.media_attributes'],
    ['a lone UTF-16 surrogate in a text column', 'objects', { name: 'car \ud83d\ude97 \ud800' }, 'objects.name'],
  ]

  it.each(badRows)('fails on %s: no finish, exactly one LP_SINK error naming %s, nothing left', async (_, table, patch, where) => {
    const { dir } = folders()
    const rows = sampleRows()
    const good = interleavedBatches(rows, 16)
    const bad = { ...rows[table as keyof typeof rows][0], ...patch } as TableRow['row']
    const batches = [
      ...good.slice(0, 3),
      [{ value: { table, row: bad } as TableRow, at: { file: 'in.ndjson', line: 77, byteOffset: 9001 } }],
      ...good.slice(3),
    ]
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    const failure = await pipeline(Readable.from(batches), sink).then(
      () => undefined,
      (error: unknown) => error,
    )
    await closed
    expect(failure).toBeInstanceOf(SinkError)
    expect(failure).toMatchObject({ code: 'LP_SINK', file: 'in.ndjson', line: 77, byteOffset: 9001 })
    expect((failure as Error).message).toContain(`in.ndjson line 77 (byte 9001): ${where}: expected`)
    // A surrogate pair (the emoji) is text; the index is of the lone one.
    if (table === 'objects' && 'name' in patch) expect((failure as Error).message).toContain('a lone UTF-16 surrogate at character 7')
    expect(events).toMatchObject({ finish: 0, error: 1 })
    expect(await listFiles(dir)).toEqual([])
  })

  it('fails on a row of an unknown table with one error and nothing left', async () => {
    const { dir } = folders()
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    const unknown = [{ value: { table: 'users', row: {} } as unknown as TableRow, at: { file: 'x', line: 1, byteOffset: 0 } }]
    await expect(pipeline(Readable.from([unknown]), sink)).rejects.toThrow(/unknown table string "users"/)
    await closed
    expect(events).toMatchObject({ finish: 0, error: 1 })
    expect(await listFiles(dir)).toEqual([])
  })

  it('fails when dir is a file: one SinkError naming the path, no finish, the file untouched', async () => {
    const { dir } = folders()
    await writeFile(dir, 'not a folder')
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    const failure = await pipeline(Readable.from(interleavedBatches(sampleRows())), sink).then(
      () => undefined,
      (error: unknown) => error,
    )
    await closed
    expect(failure).toBeInstanceOf(SinkError)
    expect((failure as Error).message).toContain(dir)
    expect((failure as Error).message).toMatch(/^(data_rows|objects|labels): cannot create /)
    expect((failure as Error).cause).toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) })
    expect(events).toMatchObject({ finish: 0, error: 1 })
    expect(await readFile(dir, 'utf8')).toBe('not a folder')
  })

  it('fails the commit when describeRun throws: one error, nothing left', async () => {
    const { dir } = folders()
    const sink = subject.create({
      dir,
      loadId,
      describeRun: () => {
        throw new Error('facts unavailable')
      },
    })
    const { events, closed } = watch(sink)
    await expect(pipeline(Readable.from(interleavedBatches(sampleRows())), sink)).rejects.toThrow(
      'manifest: describeRun() threw: facts unavailable',
    )
    await closed
    expect(events).toMatchObject({ finish: 0, error: 1 })
    expect(await listFiles(dir)).toEqual([])
  })

  it('removes renamed part files when the manifest cannot be written (_manifests is a file)', async () => {
    const { dir } = folders()
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, '_manifests'), 'in the way')
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    const failure = await pipeline(Readable.from(interleavedBatches(sampleRows())), sink).then(
      () => undefined,
      (error: unknown) => error,
    )
    await closed
    expect(failure).toBeInstanceOf(SinkError)
    expect((failure as Error).message).toMatch(/^manifest: cannot /)
    expect(events).toMatchObject({ finish: 0, error: 1 })
    expect(await listFiles(dir)).toEqual(['_manifests'])
  })

  it('destroy() before the first write: no error, no finish, nothing written', async () => {
    const { root, dir } = folders()
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    sink.destroy()
    await closed
    expect(events).toMatchObject({ finish: 0, error: 0 })
    expect(await listFiles(root)).toEqual([])
  })

  it('destroy() after rows reached a temp file removes every file of the run', async () => {
    const { dir } = folders()
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    const temp = join(dir, 'objects', `_part-${loadId}-00000${subject.extension}.tmp`)
    let tempBytes = 0
    for (const batch of bulkyBatches()) {
      await writeAsync(sink, batch)
      tempBytes = existsSync(temp) ? (await stat(temp)).size : 0
      if (tempBytes > 0) break
    }
    expect(tempBytes).toBeGreaterThan(0)
    sink.destroy()
    await closed
    expect(events).toMatchObject({ finish: 0, error: 0 })
    expect(await listFiles(dir)).toEqual([])
  })

  it('destroy(error) mid-run emits that error once and leaves nothing', async () => {
    const { dir } = folders()
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    for (const batch of bulkyBatches().slice(0, 40)) await writeAsync(sink, batch)
    const reason = new Error('upstream gave up')
    sink.destroy(reason)
    await closed
    expect(events).toMatchObject({ finish: 0, error: 1, errors: [reason] })
    expect(await listFiles(dir)).toEqual([])
  })

  it('is all or nothing when destroyed while committing', async () => {
    const { root } = folders()
    const outcomes = new Set<string>()
    for (let ticks = 0; ticks < 12; ticks++) {
      const runDir = join(root, `run-${ticks}`)
      const sink = subject.create({ dir: runDir, loadId })
      const { events, closed } = watch(sink)
      for (const batch of interleavedBatches(sampleRows(), 32)) sink.write(batch)
      sink.end()
      for (let i = 0; i < ticks * 3; i++) await new Promise((resolve) => setImmediate(resolve))
      sink.destroy()
      await closed
      const files = await listFiles(runDir)
      if (events.finish === 1) {
        outcomes.add('committed')
        expect(files).toContain(`_manifests/${loadId}.json`)
        expect(files.filter((file) => file.includes('.tmp'))).toEqual([])
      } else {
        outcomes.add('rolled back')
        expect(files).toEqual([])
      }
      expect(events.error).toBe(0)
    }
    // Destroyed in the same tick as end(), the commit cannot have happened: rollback must be among the outcomes.
    expect(outcomes.has('rolled back')).toBe(true)
  })

  it('an aborted pipeline leaves nothing', async () => {
    const { dir } = folders()
    const controller = new AbortController()
    const batches = bulkyBatches()
    async function* source() {
      for (const [i, batch] of batches.entries()) {
        if (i === 30) controller.abort()
        yield batch
      }
    }
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    await expect(pipeline(source(), sink, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    await closed
    expect(events.finish).toBe(0)
    expect(await listFiles(dir)).toEqual([])
  })

  it('a source that fails mid-run leaves nothing', async () => {
    const { dir } = folders()
    const batches = bulkyBatches()
    async function* source() {
      yield* batches.slice(0, 30)
      throw new Error('export truncated')
    }
    const sink = subject.create({ dir, loadId })
    const { events, closed } = watch(sink)
    await expect(pipeline(source(), sink)).rejects.toThrow('export truncated')
    await closed
    expect(events.finish).toBe(0)
    expect(await listFiles(dir)).toEqual([])
  })
}

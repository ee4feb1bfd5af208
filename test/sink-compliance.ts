// The file-sink compliance suite (pg-copy-streams "stream compliance", vector's assert_sink_compliance): every
// file sink, in every configuration, runs the same cases. Success is exactly one 'finish' and no 'error';
// failure is no 'finish' and exactly one 'error' (sink-compliance-failures.ts); an aborted or failed run leaves
// no table file, no temp file and no manifest; write() honours highWaterMark; the sink works under pipeline()
// and finished().

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import { SinkError, type TableName, type TableRow, tableNames } from '@labelpipe/core'
import type { LoadManifest } from '@labelpipe/sinks/ndjson'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { failureCompliance } from './sink-compliance-failures.js'
import { readRows } from './sink-compliance-read.js'
import { expectedJson, interleavedBatches, tableRows } from './sink-compliance-rows.js'
import { type FileSinkUnderTest, facts, listFiles, loadId, sampleRows, watch } from './sink-compliance-support.js'

export type { ComplianceSink, ComplianceSinkOptions, FileSinkUnderTest } from './sink-compliance-support.js'

export function sinkCompliance(subject: FileSinkUnderTest): void {
  describe(`${subject.name}: file sink compliance`, () => {
    let root: string
    let dir: string
    const partName = (table: TableName) => `${table}/part-${loadId}-00000${subject.extension}`

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'labelpipe-sink-'))
      dir = join(root, 'out')
    })

    afterEach(async () => {
      await rm(root, { recursive: true, force: true })
    })

    it('commits: one finish, no error, one file per table with rows, the manifest last and exact', async () => {
      const rows = sampleRows()
      let described = 0
      const sink = subject.create({
        dir,
        loadId,
        describeRun: () => {
          described++
          return facts
        },
      })
      const { events, closed } = watch(sink)
      await pipeline(Readable.from(interleavedBatches(rows, 32)), sink)
      await closed
      expect(events).toMatchObject({ finish: 1, error: 0 })
      expect(described).toBe(1)

      const tables = ['data_rows', 'labels', 'objects'] as const
      expect(await listFiles(dir)).toEqual([`_manifests/${loadId}.json`, ...tables.map(partName)].sort())

      const manifest = JSON.parse(await readFile(join(dir, '_manifests', `${loadId}.json`), 'utf8')) as LoadManifest
      expect(manifest).toEqual(sink.manifest)
      expect(manifest).toMatchObject({
        load_id: loadId,
        status: 'committed',
        started_at: '2026-11-25T01:55:16.123Z',
        source: 'v2',
        input: '/data/export.ndjson',
        input_bytes: 123_456,
        dead_letters: 2,
        format: subject.format,
      })
      expect(manifest.labelpipe_version).toMatch(/^\d+\.\d+\.\d+/)
      expect(Date.parse(manifest.finished_at)).toBeGreaterThanOrEqual(Date.parse(manifest.started_at))
      expect(Object.keys(manifest.rows)).toEqual(tableNames)
      for (const table of tableNames) expect(manifest.rows[table]).toBe(rows[table as keyof typeof rows]?.length ?? 0)
      expect(manifest.files.map((file) => file.path)).toEqual(tables.map(partName))

      const newest = Math.max(...(await Promise.all(tables.map(async (t) => (await stat(join(dir, partName(t)))).mtimeMs))))
      expect((await stat(join(dir, '_manifests', `${loadId}.json`))).mtimeMs).toBeGreaterThanOrEqual(newest)
      for (const file of manifest.files) {
        expect(file.bytes).toBe((await stat(join(dir, file.path))).size)
        const written = rows[file.table as keyof typeof rows]
        expect(file.rows).toBe(written.length)
        expect(await readRows(join(dir, file.path), file.table)).toEqual(written.map((row) => expectedJson(file.table, row)))
      }
    })

    it('commits an empty run: a manifest with every table at 0 and no data file', async () => {
      const sink = subject.create({ dir, loadId })
      const { events, closed } = watch(sink)
      sink.end()
      await closed
      expect(events).toMatchObject({ finish: 1, error: 0 })
      expect(await listFiles(dir)).toEqual([`_manifests/${loadId}.json`])
      expect(sink.manifest?.files).toEqual([])
      expect(Object.values(sink.manifest?.rows ?? {})).toEqual(tableNames.map(() => 0))
      expect(sink.manifest).toMatchObject({ source: null, input: null, input_bytes: null, dead_letters: null })
    })

    failureCompliance(subject, () => ({ root, dir }))

    it('write() returns false at highWaterMark (batches), and the sink still commits', async () => {
      const batches = interleavedBatches(sampleRows(), 8)
      const small = subject.create({ dir, loadId, highWaterMark: 3 })
      expect(small.writableHighWaterMark).toBe(3)
      expect([small.write(batches[0]), small.write(batches[1]), small.write(batches[2])]).toEqual([true, true, false])
      small.end()
      await finished(small)

      const byDefault = subject.create({ dir: join(root, 'default'), loadId })
      expect(byDefault.writableHighWaterMark).toBe(4)
      const accepted = batches.slice(0, 4).map((batch) => byDefault.write(batch))
      expect(accepted.lastIndexOf(true)).toBe(2)
      expect(accepted[3]).toBe(false)
      byDefault.end()
      await finished(byDefault)
      expect(byDefault.manifest?.files.length).toBeGreaterThan(0)
    })

    it('works with finished(): it resolves after the files are in place, and rejects with the one error', async () => {
      const sink = subject.create({ dir, loadId })
      const rows = sampleRows()
      for (const batch of interleavedBatches(rows)) sink.write(batch)
      expect((await listFiles(dir)).filter((file) => !file.includes('/_'))).toEqual([])
      sink.end()
      await finished(sink)
      expect(await listFiles(dir)).toContain(partName('objects'))

      const failing = subject.create({ dir: join(root, 'failing'), loadId })
      const { events } = watch(failing)
      failing.write([
        {
          value: { table: 'objects', row: { ...rows.objects[0], frame_count: 1.5 } } as TableRow,
          at: { file: 'f', line: 1, byteOffset: 0 },
        },
      ])
      failing.end()
      await expect(finished(failing)).rejects.toBeInstanceOf(SinkError)
      expect(events).toMatchObject({ finish: 0, error: 1 })
      expect(await listFiles(join(root, 'failing'))).toEqual([])
    })

    it('commits a load id once: a second run with the same id fails and leaves the first intact', async () => {
      const first = subject.create({ dir, loadId })
      await pipeline(Readable.from(interleavedBatches(sampleRows())), first)
      const committed = await listFiles(dir)
      const manifestBefore = await readFile(join(dir, '_manifests', `${loadId}.json`), 'utf8')

      const second = subject.create({ dir, loadId })
      const { events, closed } = watch(second)
      await expect(pipeline(Readable.from(interleavedBatches({ labels: tableRows('labels', 5, 99) })), second)).rejects.toThrow(
        /already committed/,
      )
      await closed
      expect(events).toMatchObject({ finish: 0, error: 1 })
      expect(await listFiles(dir)).toEqual(committed)
      expect(await readFile(join(dir, '_manifests', `${loadId}.json`), 'utf8')).toBe(manifestBefore)
    })
  })
}

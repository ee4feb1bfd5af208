// The file sinks' deferred commit (`commit: 'none'`), as the sharded load uses it: several sinks of one load seal
// their part files, one commitSealedParts makes them visible under one manifest, removeParts undoes them.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import type { TableRow } from '@labelpipe/core'
import {
  assertNotCommitted,
  commitSealedParts,
  ndjsonSink,
  removeParts,
  type SealedPart,
  sweepUncommittedParts,
  uncommittedParts,
} from '@labelpipe/sinks/ndjson'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { interleavedBatches, tableRows } from './sink-compliance-rows.js'
import { facts, listFiles, loadId, writeAsync } from './sink-compliance-support.js'

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'labelpipe-deferred-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function sealed(seq: number, rows: number): Promise<readonly SealedPart[]> {
  const sink = ndjsonSink({ dir: root, loadId, seq, commit: 'none' })
  for (const batch of interleavedBatches({ data_rows: tableRows('data_rows', rows, seq), labels: tableRows('labels', rows, seq) })) {
    await writeAsync(sink, batch)
  }
  sink.end()
  await finished(sink)
  expect(sink.manifest).toBeUndefined()
  return sink.sealedParts ?? []
}

/** A sink in `dir` given one labels row in each of 257 partitions, one past the cap, and ended. */
async function pastThePartitionCap(dir: string) {
  const sink = ndjsonSink({ dir, loadId })
  const [row] = tableRows('labels', 1)
  const rows = Array.from({ length: 257 }, (_, i) => ({
    value: { table: 'labels', row, partition: `project_id=p${i}` } as TableRow,
    at: { file: 'many.ndjson', line: i + 1, byteOffset: i * 100 },
  }))
  await writeAsync(sink, rows.slice(0, 256))
  sink.write(rows.slice(256))
  sink.end()
  return sink
}

describe("file sinks with commit: 'none'", () => {
  it('seal part files under their temp names, numbered by seq, and write no manifest', async () => {
    const parts = await sealed(7, 5)
    expect(parts.map(({ table, path, rows }) => [table, path, rows])).toEqual([
      ['data_rows', `data_rows/part-${loadId}-00007.ndjson`, 5],
      ['labels', `labels/part-${loadId}-00007.ndjson`, 5],
    ])
    expect(await listFiles(root)).toEqual([`data_rows/_part-${loadId}-00007.ndjson.tmp`, `labels/_part-${loadId}-00007.ndjson.tmp`])
    for (const part of parts) expect(part.bytes).toBeGreaterThan(0)
  })

  it('commit as one load: every part renamed, one manifest listing them all, rows summed', async () => {
    const parts = [...(await sealed(0, 3)), ...(await sealed(1, 4))]
    const committed = await commitSealedParts(
      root,
      parts,
      { loadId, format: 'ndjson', startedAt: new Date(), facts },
      `${loadId}.shard-1-of-2`,
    )
    const manifestPath = join(root, '_manifests', `${loadId}.shard-1-of-2.json`)
    expect(JSON.parse(await readFile(manifestPath, 'utf8'))).toEqual(committed.manifest)
    expect(committed.manifest.rows).toMatchObject({ data_rows: 7, labels: 7, objects: 0 })
    expect(committed.manifest.files.map((file) => file.path)).toEqual(parts.map((part) => part.path))
    expect(committed.manifest).toMatchObject({ load_id: loadId, input_bytes: facts.inputBytes, dead_letters: facts.deadLetters })
    expect(await listFiles(root)).toEqual([`_manifests/${loadId}.shard-1-of-2.json`, ...parts.map((part) => part.path).sort()])
    await expect(
      commitSealedParts(root, [], { loadId, format: 'ndjson', startedAt: new Date(), facts }, `${loadId}.shard-1-of-2`),
    ).rejects.toThrow(/already committed/)
  })

  it('removeParts removes sealed and spooled files of the given seqs only, never a published one', async () => {
    const published = await sealed(0, 2)
    await commitSealedParts(root, published, { loadId, format: 'ndjson', startedAt: new Date(), facts })
    await sealed(1, 2)
    await sealed(2, 2)
    // What a worker thread that died (out of memory) leaves behind: a half-written part file and its row spool.
    await mkdir(join(root, 'objects'))
    await writeFile(join(root, 'objects', `_part-${loadId}-00003.parquet.tmp`), 'PAR1')
    await writeFile(join(root, 'objects', `_part-${loadId}-00003.parquet.rows.tmp`), '')
    await writeFile(join(root, 'objects', `part-${loadId}-000030.parquet`), 'another seq')
    await removeParts(root, loadId, [0, 1, 3])
    // Seq 0's published files are a committed load's (a run with the same load id must not take them away).
    expect((await listFiles(root)).filter((file) => !file.startsWith('_manifests/'))).toEqual([
      `data_rows/_part-${loadId}-00002.ndjson.tmp`,
      `data_rows/part-${loadId}-00000.ndjson`,
      `labels/_part-${loadId}-00002.ndjson.tmp`,
      `labels/part-${loadId}-00000.ndjson`,
      `objects/part-${loadId}-000030.parquet`,
    ])
  })

  it('a commit that fails part way removes the files it renamed; discard() takes a committed load back', async () => {
    const parts = [...(await sealed(0, 2)), ...(await sealed(1, 2))]
    // The last part's temp file is gone (a disk error): the rename fails after the others were renamed.
    await rm(parts.at(-1)?.tempPath as string)
    await expect(commitSealedParts(root, parts, { loadId, format: 'ndjson', startedAt: new Date(), facts })).rejects.toThrow(
      /labels: cannot publish .*_part-.*-00001\.ndjson\.tmp/,
    )
    expect(await listFiles(root)).toEqual([])

    const committed = await commitSealedParts(root, await sealed(2, 2), { loadId, format: 'ndjson', startedAt: new Date(), facts })
    await writeFile(join(root, 'objects-unrelated.txt'), 'kept')
    expect(await listFiles(root)).toHaveLength(4)
    await committed.discard()
    expect(await listFiles(root)).toEqual(['objects-unrelated.txt'])
  })
  it('rows with a partition go to <table>/<partition>/ files; commit, removeParts and uncommittedParts reach them', async () => {
    const partitionedSink = async (seq: number) => {
      const sink = ndjsonSink({ dir: root, loadId, seq, commit: 'none' })
      const [first, second] = tableRows('labels', 2, seq)
      await writeAsync(sink, [
        { value: { table: 'labels', row: first, partition: 'project_id=p1' } as TableRow, at: { file: 'x', line: 1, byteOffset: 0 } },
        { value: { table: 'labels', row: second, partition: 'project_id=p%2F2' } as TableRow, at: { file: 'x', line: 2, byteOffset: 9 } },
        { value: { table: 'data_rows', row: tableRows('data_rows', 1, seq)[0] } as TableRow, at: { file: 'x', line: 3, byteOffset: 18 } },
      ])
      sink.end()
      await finished(sink)
      return sink
    }
    const zero = await partitionedSink(0)
    expect(zero.rowCounts).toMatchObject({ labels: 2, data_rows: 1 })
    expect(zero.sealedParts?.map(({ path, rows }) => [path, rows])).toEqual([
      [`data_rows/part-${loadId}-00000.ndjson`, 1],
      [`labels/project_id=p1/part-${loadId}-00000.ndjson`, 1],
      [`labels/project_id=p%2F2/part-${loadId}-00000.ndjson`, 1],
    ])
    await partitionedSink(1)
    // A killed worker's temp file in a partition folder goes with its seq; seq 0 is committed.
    await removeParts(root, loadId, [1])
    await commitSealedParts(root, zero.sealedParts ?? [], { loadId, format: 'ndjson', startedAt: new Date(), facts })
    expect(await listFiles(root)).toEqual([
      `_manifests/${loadId}.json`,
      `data_rows/part-${loadId}-00000.ndjson`,
      `labels/project_id=p%2F2/part-${loadId}-00000.ndjson`,
      `labels/project_id=p1/part-${loadId}-00000.ndjson`,
    ])
    // A part renamed into a partition folder by a run killed before its manifest.
    await writeFile(join(root, 'labels', 'project_id=p1', 'part-killed-run-00000.ndjson'), 'x')
    expect(await uncommittedParts(root, 0)).toEqual(['labels/project_id=p1/part-killed-run-00000.ndjson'])
  })

  it('a row past 256 open partition files fails the run naming its folder; the failed run leaves no file or folder', async () => {
    await expect(finished(await pastThePartitionCap(root))).rejects.toThrow(
      'labels/project_id=p256: more than 256 partition files (tables × projects) in one writer; partitioning keeps each open until the commit',
    )
    expect(await readdir(root)).toEqual([])
  })

  it('a load in the other layout than the loads already in the folder is refused before anything is published', async () => {
    const flat = ndjsonSink({ dir: root, loadId: 'flat-1' })
    await writeAsync(flat, [
      { value: { table: 'labels', row: tableRows('labels', 1)[0] } as TableRow, at: { file: 'x', line: 1, byteOffset: 0 } },
    ])
    flat.end()
    await finished(flat)
    const before = await listFiles(root)
    const split = ndjsonSink({ dir: root, loadId: 'split-1' })
    await writeAsync(split, [
      {
        value: { table: 'labels', row: tableRows('labels', 1)[0], partition: 'project_id=p1' } as TableRow,
        at: { file: 'x', line: 1, byteOffset: 0 },
      },
    ])
    split.end()
    await expect(finished(split)).rejects.toThrow(
      `manifest: this load writes labels in partition folders, but ${join(root, '_manifests', 'flat-1.json')} wrote it without them`,
    )
    expect(await listFiles(root)).toEqual(before)
    expect((await readdir(join(root, 'labels'))).sort()).toEqual(['part-flat-1-00000.ndjson'])

    // What is not a manifest in _manifests says nothing of the layout, and fails no load.
    await writeFile(join(root, '_manifests', 'notes.json'), 'not json')
    await writeFile(join(root, '_manifests', 'odd.json'), '{"files":[null, 7, {"table":"labels"}]}')
    await mkdir(join(root, '_manifests', 'folder.json'))
    const again = ndjsonSink({ dir: root, loadId: 'flat-2' })
    await writeAsync(again, [
      { value: { table: 'labels', row: tableRows('labels', 1)[0] } as TableRow, at: { file: 'x', line: 1, byteOffset: 0 } },
    ])
    again.end()
    await finished(again)
    expect(again.manifest?.load_id).toBe('flat-2')
  })

  it('a failed run removes the folders it created, but never the root it was given, however it is spelt', async () => {
    await expect(finished(await pastThePartitionCap(`${join(root, 'new-root')}/`))).rejects.toThrow('more than 256 partition files')
    expect(await readdir(root)).toEqual(['new-root'])
    expect(await readdir(join(root, 'new-root'))).toEqual([])
  })

  it('uncommittedParts lists old published parts whose load has no manifest; sweepUncommittedParts removes them, nothing else', async () => {
    await commitSealedParts(root, await sealed(0, 2), { loadId, format: 'ndjson', startedAt: new Date(), facts })
    // A killed run: parts renamed, no manifest. A shard load, one shard of which has committed. A temp file.
    const orphans = ['data_rows/part-killed-run-00000.ndjson', 'labels/part-killed-run-00003.ndjson.gz']
    const kept = ['data_rows/part-sharded-00001.ndjson', 'data_rows/_part-killed-run-00001.ndjson.tmp', 'data_rows/notes.txt']
    await mkdir(join(root, 'labels'), { recursive: true })
    for (const file of [...orphans, ...kept]) await writeFile(join(root, file), 'x')
    await writeFile(join(root, '_manifests', 'sharded.shard-2-of-2.json'), '{}')
    const before = await listFiles(root)
    // Renamed just now: maybe a run committing at this moment.
    expect(await uncommittedParts(root)).toEqual([])
    expect(await sweepUncommittedParts(root)).toEqual([])
    expect((await uncommittedParts(root, 0)).sort()).toEqual(orphans)
    expect(await listFiles(root)).toEqual(before)
    expect((await sweepUncommittedParts(root, 0)).sort()).toEqual(orphans)
    expect(await listFiles(root)).toEqual(before.filter((file) => !orphans.includes(file)))
  })

  it('a committed part is never replaced: a name that exists fails the commit, and a load id is split one way only', async () => {
    const parts = await sealed(0, 2)
    const taken = join(root, parts[0]?.path as string)
    await writeFile(taken, 'committed by another load\n')
    await expect(commitSealedParts(root, parts, { loadId, format: 'ndjson', startedAt: new Date(), facts })).rejects.toThrow(
      /cannot publish .*: .* exists: another load published this name \(the same load id\?\); use a new load id/,
    )
    expect(await readFile(taken, 'utf8')).toBe('committed by another load\n')
    expect(await listFiles(join(root, '_manifests'))).toEqual([])
    await rm(taken)
    await commitSealedParts(root, await sealed(1, 2), { loadId, format: 'ndjson', startedAt: new Date(), facts }, `${loadId}.shard-1-of-2`)
    await expect(assertNotCommitted(root, loadId)).rejects.toThrow(`load ${loadId} is already committed as ${loadId}.shard-1-of-2`)
    await expect(assertNotCommitted(root, `${loadId}.shard-1-of-3`)).rejects.toThrow('a load id is split one way only')
    await assertNotCommitted(root, `${loadId}.shard-2-of-2`)
  })

  it("uncommittedParts: a shard's manifest commits its own parts, not those of a shard of the same load killed before its commit", async () => {
    const shardOne = await sealed(0, 2)
    await commitSealedParts(root, shardOne, { loadId, format: 'ndjson', startedAt: new Date(), facts }, `${loadId}.shard-1-of-2`)
    // Shard 2 (seq 1) was killed after renaming its parts, before writing its manifest.
    const killed = [`data_rows/part-${loadId}-00001.ndjson`, `labels/part-${loadId}-00001.ndjson`]
    for (const file of killed) await writeFile(join(root, file), 'x')
    expect((await uncommittedParts(root, 0)).sort()).toEqual(killed)
    expect((await sweepUncommittedParts(root, 0)).sort()).toEqual(killed)
    expect((await listFiles(root)).filter((file) => !file.startsWith('_manifests'))).toEqual(shardOne.map((part) => part.path).sort())
  })
})

// `labelpipe load --partition-by project_id` (docs/schema.md, File layout: Hive partitioning): the built CLI in a
// child process. The same rows as an unpartitioned load, each in the folder of its project, in one thread and in
// worker threads, Parquet and NDJSON; the data row tables stay unpartitioned.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot, runCli } from './support/cli.js'
import { listFiles, readNdjson, readParquetRows, sortedTableLines } from './support/files.js'

const sample = join(repoRoot, 'examples/data/sample-v2.ndjson')
const loadId = 'partitions-1'
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-partitions-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function load(...args: string[]): Promise<void> {
  const result = await runCli(['load', sample, '--load-id', loadId, '-q', ...args])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
}

describe('labelpipe load --partition-by project_id', () => {
  it("writes each row under its project's folder, the same rows as without partitions", async () => {
    await load('--to', `ndjson:${join(dir, 'flat')}`)
    await load('--to', `ndjson:${join(dir, 'split')}`, '--to', `parquet:${join(dir, 'split-parquet')}`, '--partition-by', 'project_id')
    const flat = await sortedTableLines(join(dir, 'flat'))
    expect(await sortedTableLines(join(dir, 'split'))).toEqual(flat)

    const labels = await readNdjson(join(dir, 'flat', 'labels', `part-${loadId}-00000.ndjson`))
    const projectOf = new Map(labels.map((label) => [label.label_id, label.project_id]))
    const files = (await listFiles(join(dir, 'split'))).filter((file) => !file.startsWith('_'))
    const folders = new Set<string>()
    for (const file of files) {
      const [table, folder, name] = file.split('/')
      if (['data_rows', 'data_row_metadata', 'attachments'].includes(table as string)) {
        expect(name, file).toBeUndefined()
        continue
      }
      expect(folder, file).toMatch(/^project_id=cl[a-z0-9]+$/)
      folders.add(folder as string)
      const project = (folder as string).slice('project_id='.length)
      for (const row of await readNdjson(join(dir, 'split', file))) {
        expect(row.project_id ?? projectOf.get(row.label_id), file).toBe(project)
      }
    }
    expect(folders.size).toBe(new Set(labels.map((label) => label.project_id)).size)

    // The manifest lists the partition files; Parquet has the same files with the same row counts.
    const manifest = JSON.parse(await readFile(join(dir, 'split', '_manifests', `${loadId}.json`), 'utf8'))
    expect(manifest.files.map((file: { path: string }) => file.path).sort()).toEqual(files.sort())
    const parquetFiles = (await listFiles(join(dir, 'split-parquet'))).filter((file) => !file.startsWith('_'))
    expect(parquetFiles.map((file) => file.replace(/\.parquet$/, '.ndjson')).sort()).toEqual(files)
    for (const file of parquetFiles.filter((path) => path.startsWith('frame_objects/'))) {
      let rows = 0
      for await (const batch of readParquetRows(join(dir, 'split-parquet', file))) rows += batch.length
      expect(rows).toBe((await readNdjson(join(dir, 'split', file.replace(/\.parquet$/, '.ndjson')))).length)
    }
  })

  it('partitions the same way in worker threads, and with --tables (which drops the labels rows it learns from)', async () => {
    await load('--to', `ndjson:${join(dir, 'workers')}`, '--partition-by', 'project_id', '--workers', '2')
    const split = await sortedTableLines(join(dir, 'split'))
    expect(await sortedTableLines(join(dir, 'workers'))).toEqual(split)
    const workerFiles = await listFiles(join(dir, 'workers'))
    expect(workerFiles.filter((file) => file.endsWith('-00001.ndjson') && file.includes('/project_id=')).length).toBeGreaterThan(0)

    await load('--to', `ndjson:${join(dir, 'frames')}`, '--partition-by', 'project_id', '--tables', 'frame_objects')
    const frames = (await listFiles(join(dir, 'frames'))).filter((file) => !file.startsWith('_'))
    expect(frames).toEqual((await listFiles(join(dir, 'split'))).filter((file) => file.startsWith('frame_objects/')))
  })

  it('refuses a load whose layout differs from the loads in its folder, leaving no file or folder of its own', async () => {
    const out = join(dir, 'mixed')
    expect((await runCli(['load', sample, '--to', `parquet:${out}`, '--load-id', 'plain-1', '-q'])).code).toBe(0)
    const listing = async () => (await readdir(out, { recursive: true })).sort()
    const before = await listing()
    const result = await runCli(['load', sample, '--to', `parquet:${out}`, '--load-id', 'split-2', '--partition-by', 'project_id', '-q'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`but ${join(out, '_manifests', 'plain-1.json')} wrote it without them`)
    expect(await listing()).toEqual(before)
  })

  it('refuses another column, and a run with no file target', async () => {
    const column = await runCli(['load', sample, '--to', `ndjson:${join(dir, 'bad')}`, '--partition-by', 'label_id'])
    expect(column.code).toBe(2)
    expect(column.stderr).toContain("--partition-by: takes project_id (docs/schema.md's Hive partitioning)")
    const postgres = await runCli(['load', sample, '--to', 'postgres://localhost/x', '--partition-by', 'project_id'])
    expect(postgres.code).toBe(2)
    expect(postgres.stderr).toContain('--partition-by: is for parquet: and ndjson: targets (Hive folders), and no --to names one')
  })
})

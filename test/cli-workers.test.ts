// End-to-end: `labelpipe load --workers N`, the built CLI in a child process (issue 7, item 4).

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { writeV2Export } from '@labelpipe/benchmarks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, startCli } from './support/cli.js'
import { listFiles, readNdjson, readParquetRows, sortedTableLines } from './support/files.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-workers-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

interface Manifest {
  load_id: string
  rows: Record<string, number>
  dead_letters: number
  input_bytes: number
  files: { path: string; rows: number }[]
}

async function manifestsOf(root: string): Promise<Record<string, Manifest>> {
  const names = await readdir(join(root, '_manifests'))
  const entries = await Promise.all(names.map(async (name) => [name, JSON.parse(await readFile(join(root, '_manifests', name), 'utf8'))]))
  return Object.fromEntries(entries)
}

async function parquetRows(root: string, table: string): Promise<string[]> {
  const rows: string[] = []
  for (const file of (await listFiles(root)).filter((f) => f.startsWith(`${table}/`))) {
    for await (const batch of readParquetRows(join(root, file))) rows.push(...batch.map((row) => JSON.stringify(row)))
  }
  return rows.sort()
}

const good = (i: number) => `{"data_row":{"id":"ckx${String(i).padStart(22, '0')}","row_data":"https://example.com/${i}.jpg"}}`

describe('labelpipe load --workers', () => {
  it('loads exactly the rows of a single-threaded run, one part file per worker per table, under one manifest', async () => {
    const input = join(dir, 'export.ndjson')
    const stats = await writeV2Export(input, { seed: 9, media: 'mixed', dataRows: 300, framesPerVideo: 40 })
    const one = await runCli([
      'load',
      input,
      '--to',
      `ndjson:${join(dir, 'one')}`,
      '--to',
      `parquet:${join(dir, 'one-pq')}`,
      '--load-id',
      'run',
    ])
    expect(one.code).toBe(0)
    const three = await runCli([
      'load',
      input,
      '--to',
      `ndjson:${join(dir, 'three')}`,
      '--to',
      `parquet:${join(dir, 'three-pq')}`,
      '--load-id',
      'run',
      '--workers',
      '3',
    ])
    expect(three.stderr).toBe('')
    expect(three.code).toBe(0)
    expect(three.stdout).toMatch(/^loaded 300 data rows as [\d,]+ table rows/)
    expect(three.stdout.split('\n').slice(2)).toEqual(one.stdout.split('\n').slice(2))
    expect(await sortedTableLines(join(dir, 'three'))).toEqual(await sortedTableLines(join(dir, 'one')))
    expect(await parquetRows(join(dir, 'three-pq'), 'frame_objects')).toEqual(await parquetRows(join(dir, 'one-pq'), 'frame_objects'))
    for (const root of ['three', 'three-pq']) {
      const { 'run.json': manifest, ...others } = await manifestsOf(join(dir, root))
      expect(others).toEqual({})
      expect(manifest).toMatchObject({ load_id: 'run', dead_letters: 0, input_bytes: stats.bytes })
      expect(manifest?.rows).toEqual((await manifestsOf(join(dir, root.replace('three', 'one'))))['run.json']?.rows)
      const files = (await listFiles(join(dir, root))).filter((f) => !f.startsWith('_manifests/'))
      expect(files).toEqual(manifest?.files.map((f) => f.path).sort())
      expect(new Set(files.map((f) => /-(\d{5})\./.exec(f)?.[1]))).toEqual(new Set(['00000', '00001', '00002']))
    }
  })

  it('without --workers, a plain file loads in one worker thread with the tables of the in-thread path (stdin)', async () => {
    const input = join(dir, 'export.ndjson')
    await writeV2Export(input, { seed: 4, media: 'mixed', dataRows: 150, framesPerVideo: 30 })
    const file = await runCli([
      'load',
      input,
      '--to',
      `ndjson:${join(dir, 'file')}`,
      '--to',
      `parquet:${join(dir, 'file-pq')}`,
      '--load-id',
      'run',
    ])
    const piped = await runCli(
      ['load', '-', '--to', `ndjson:${join(dir, 'piped')}`, '--to', `parquet:${join(dir, 'piped-pq')}`, '--load-id', 'run'],
      {
        stdin: await readFile(input, 'utf8'),
      },
    )
    expect([file.code, file.stderr, piped.code, piped.stderr]).toEqual([0, '', 0, ''])
    expect(file.stdout.split('\n').slice(2)).toEqual(piped.stdout.split('\n').slice(2))
    expect(await sortedTableLines(join(dir, 'file'))).toEqual(await sortedTableLines(join(dir, 'piped')))
    expect(await parquetRows(join(dir, 'file-pq'), 'frame_objects')).toEqual(await parquetRows(join(dir, 'piped-pq'), 'frame_objects'))
    const files = (await listFiles(join(dir, 'file'))).filter((f) => !f.startsWith('_manifests/'))
    expect(files).toEqual((await listFiles(join(dir, 'piped'))).filter((f) => !f.startsWith('_manifests/')))
  })

  it('names a bad line in worker 2 by its absolute line and byte, exits 1 and leaves no file of any worker', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => good(i))
    lines[1500] = '{"data_row":{"id":"x",}'
    const input = join(dir, 'bad.ndjson')
    await writeFile(input, `${lines.join('\n')}\n`)
    const out = join(dir, 'out')
    const result = await runCli(['load', input, '--to', `parquet:${out}`, '--to', `ndjson:${out}-nd`, '--workers', '2'])
    expect(result.code).toBe(1)
    const byte = Buffer.byteLength(`${lines.slice(0, 1500).join('\n')}\n`)
    expect(result.stderr).toContain(`labelpipe: ${input} line 1501 (byte ${byte}): invalid JSON`)
    expect(result.stderr).toContain('[LP_EXPORT_FORMAT in readV2Export]')
    expect(await listFiles(out)).toEqual([])
    expect(await listFiles(`${out}-nd`)).toEqual([])
  })

  it('dead-letters the bad lines of every worker into one file, and counts --max-errors across workers', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => good(i))
    // Two bad lines in worker 1's half, one in worker 2's: each worker alone stays within --max-errors 2.
    lines[10] = 'not json'
    lines[20] = '{"data_row":{"id":42}}'
    lines[300] = 'not json either'
    const input = join(dir, 'mixed.ndjson')
    await writeFile(input, `${lines.join('\n')}\n`)
    const out = join(dir, 'out')
    const result = await runCli(['load', input, '--to', `ndjson:${out}`, '--max-errors', '3', '--load-id', 'dl', '--workers', '2'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const letters = await readNdjson(join(out, '_dead_letters', 'dl.ndjson'))
    expect(letters.map((l) => [l.line, l.byteOffset]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      [10, 20, 300].map((i) => [i + 1, Buffer.byteLength(`${lines.slice(0, i).join('\n')}\n`)]),
    )
    expect((await manifestsOf(out))['dl.json']).toMatchObject({ dead_letters: 3, rows: { data_rows: 397 } })

    const strict = await runCli(['load', input, '--to', `ndjson:${join(dir, 'strict')}`, '--max-errors', '2', '--workers', '2'])
    expect(strict.code).toBe(1)
    expect(strict.stderr).toContain('more than 2 bad records')
    expect((await listFiles(join(dir, 'strict'))).filter((f) => !f.startsWith('_dead_letters/'))).toEqual([])
  })

  it('stops every worker on SIGINT with exit code 130 and removes every file of the run', async () => {
    const input = join(dir, 'big.ndjson')
    await writeV2Export(input, { seed: 4, media: 'image', dataRows: 15_000 })
    const out = join(dir, 'out')
    const run = startCli(['load', input, '--to', `parquet:${out}`, '--to', `ndjson:${out}-nd`, '--workers', '2'])
    // Interrupted once both workers have part files open.
    const bothOpen = (files: string[]) =>
      ['00000', '00001'].every((seq) => files.some((f) => f.includes('/_part-') && f.includes(`-${seq}.`)))
    while (run.child.exitCode === null && !bothOpen(await listFiles(out))) await new Promise((r) => setTimeout(r, 20))
    run.child.kill('SIGINT')
    const result = await run.done
    expect(result.code).toBe(130)
    expect(result.stderr).toMatch(
      /stopped by SIGINT( after [\d,]+ data rows \([\d.]+ [KMG]?i?B read\) in [\d.]+ s)?; nothing was committed, temp files removed/,
    )
    expect(await listFiles(out)).toEqual([])
    expect(await listFiles(`${out}-nd`)).toEqual([])
  })

  it('refuses stdin and gzip input with exit code 2, saying why', async () => {
    const input = join(dir, 'export.ndjson.gz')
    await writeFile(input, gzipSync(`${good(1)}\n`))
    const gz = await runCli(['load', input, '--to', `ndjson:${join(dir, 'out')}`, '--workers', '2'])
    expect(gz.code).toBe(2)
    expect(gz.stderr).toContain('invalid option --workers: splits the file by byte ranges, and')
    expect(gz.stderr).toContain('is gzip-compressed')
    const stdin = await runCli(['load', '-', '--to', `ndjson:${join(dir, 'out')}`, '--workers', '2'], { stdin: `${good(1)}\n` })
    expect(stdin.code).toBe(2)
    expect(stdin.stderr).toContain('stdin cannot be split')
    expect((await runCli(['load', input, '--to', `ndjson:${join(dir, 'out')}`, '--workers', 'many'])).stderr).toContain(
      '--workers takes a whole number or auto',
    )
    expect((await runCli(['load', '--help'])).stdout).toContain('--workers <n>|auto')
    expect(await listFiles(join(dir, 'out'))).toEqual([])
  })
  it('refuses a load id committed before, before any work, and leaves the committed load as it was', async () => {
    const input = join(dir, 'export.ndjson')
    await writeV2Export(input, { seed: 21, media: 'image', dataRows: 40 })
    const out = join(dir, 'out')
    expect((await runCli(['load', input, '--to', `ndjson:${out}`, '--load-id', 'daily-01', '-q'])).code).toBe(0)
    const snapshot = async () =>
      Promise.all((await listFiles(out)).map(async (file) => [file, await readFile(join(out, file), 'utf8')] as const))
    const before = await snapshot()
    expect(before.length).toBeGreaterThan(3)
    // One worker thread (a plain file), two workers, and the in-thread path (stdin): each run again under daily-01.
    for (const [extra, stdin] of [
      [[], undefined],
      [['--workers', '2'], undefined],
      [[], input],
    ] as const) {
      const again = await runCli(['load', stdin === undefined ? input : '-', '--to', `ndjson:${out}`, '--load-id', 'daily-01', ...extra], {
        ...(stdin === undefined ? {} : { stdin: await readFile(stdin) }),
      })
      expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('load daily-01 is already committed')])
      expect(await snapshot()).toEqual(before)
    }
  })
  it('a temp file left by a killed run under the same load id: exit 1 naming it and what to do, the file not touched', async () => {
    const input = join(dir, 'export.ndjson')
    await writeV2Export(input, { seed: 22, media: 'image', dataRows: 20 })
    const out = join(dir, 'out')
    const leftover = join(out, 'data_rows', '_part-nightly-00000.ndjson.tmp')
    await mkdir(join(out, 'data_rows'), { recursive: true })
    await writeFile(leftover, '{"half":')
    // In-thread (stdin): the sink's own temp name is taken.
    const piped = await runCli(['load', '-', '--to', `ndjson:${out}`, '--load-id', 'nightly'], { stdin: await readFile(input) })
    expect(piped.code).toBe(1)
    expect(piped.stderr).toContain(`cannot create ${leftover}: it exists, left by a run of this load id that did not finish (killed)`)
    expect(await listFiles(out)).toEqual(['data_rows/_part-nightly-00000.ndjson.tmp'])
  })
})

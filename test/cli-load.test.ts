// End-to-end: the built CLI in a child process, as a user runs it, on generated and hand-made exports.

import { execFileSync } from 'node:child_process'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { expectedRows, writeV2Export } from '@labelpipe/benchmarks'
import { tableNames } from '@labelpipe/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot, runCli, startCli } from './support/cli.js'
import { listFiles, readNdjson, readParquetRows } from './support/files.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-cli-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const sharedV1Fixtures = new URL('../../shared/fixtures/labelbox/v1/', import.meta.url)
async function manifestOf(root: string) {
  const [name, ...more] = await readdir(join(root, '_manifests'))
  expect(more).toEqual([])
  return JSON.parse(await readFile(join(root, '_manifests', name as string), 'utf8')) as {
    load_id: string
    rows: Record<string, number>
    dead_letters: number
    input_bytes: number
    cursors: Record<string, string> | null
    files: { path: string; rows: number }[]
  }
}

describe('labelpipe load', () => {
  it('loads a generated mixed export into Parquet and NDJSON from one read, with the generator counts', async () => {
    const input = join(dir, 'export.json')
    const stats = await writeV2Export(input, { seed: 7, media: 'mixed', dataRows: 300, framesPerVideo: 40 })
    const result = await runCli([
      'load',
      input,
      '--to',
      `parquet:${join(dir, 'pq')}`,
      '--to',
      `ndjson:${join(dir, 'nd')}`,
      '--load-id',
      'run-1',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^loaded 300 data rows as [\d,]+ table rows in [\d.]+ s/)
    for (const root of ['pq', 'nd']) {
      const manifest = await manifestOf(join(dir, root))
      expect(manifest).toMatchObject({ load_id: 'run-1', dead_letters: 0, input_bytes: stats.bytes })
      for (const table of tableNames) expect([table, manifest.rows[table]]).toEqual([table, expectedRows(stats)[table]])
      const files = await listFiles(join(dir, root))
      expect(files.filter((f) => f.includes('/_') || (f.startsWith('_') && !f.startsWith('_manifests/')))).toEqual([])
      expect(files.filter((f) => !f.startsWith('_manifests/'))).toEqual(manifest.files.map((f) => f.path).sort())
    }
    const ndjsonObjects = await readNdjson(join(dir, 'nd', 'objects', 'part-run-1-00000.ndjson'))
    const parquetObjects: Record<string, unknown>[] = []
    for await (const rows of readParquetRows(join(dir, 'pq', 'objects', 'part-run-1-00000.parquet'))) parquetObjects.push(...rows)
    expect(parquetObjects).toEqual(ndjsonObjects)
    expect(ndjsonObjects).toHaveLength(expectedRows(stats).objects)
  })

  it('--tables writes only the tables named, each with the rows of a full load, in one thread and with --workers 2', async () => {
    const input = join(dir, 'export.ndjson')
    const stats = await writeV2Export(input, { seed: 5, media: 'mixed', dataRows: 120, framesPerVideo: 30 })
    const tables = ['frame_objects', 'labels'] as const
    for (const extra of [[], ['--workers', '2']]) {
      const root = join(dir, `nd${extra.length}`)
      const args = [
        'load',
        input,
        '--to',
        `ndjson:${root}`,
        '--to',
        `parquet:${root}-pq`,
        '--tables',
        tables.join(','),
        '--load-id',
        'some',
      ]
      const result = await runCli([...args, ...extra])
      expect(result.code).toBe(0)
      // The summary lists what was written, not what was flattened.
      const listed = result.stdout.split('\n').flatMap((line) => /^ {2}(\w+) +[\d,]+$/.exec(line)?.[1] ?? [])
      expect(listed.sort()).toEqual([...tables].sort())
      for (const target of [root, `${root}-pq`]) {
        const manifest = await manifestOf(target)
        // No cursor: an --incremental run after this one must not skip the data rows of the tables left out.
        expect(manifest.cursors).toBeNull()
        expect(Object.fromEntries(Object.entries(manifest.rows).filter(([, rows]) => rows > 0))).toEqual(
          Object.fromEntries(tables.map((table) => [table, expectedRows(stats)[table]])),
        )
        const folders = new Set((await listFiles(target)).map((file) => file.split('/')[0]))
        expect([...folders].sort()).toEqual(['_manifests', ...tables].sort())
      }
    }
    const full = join(dir, 'full')
    expect((await runCli(['load', input, '--to', `ndjson:${full}`, '--load-id', 'some', '-q'])).code).toBe(0)
    for (const table of tables) {
      const [part] = (await listFiles(join(full, table))) as [string]
      expect(await readNdjson(join(dir, 'nd0', table, part))).toEqual(await readNdjson(join(full, table, part)))
    }
  })

  it('fails on invalid JSON at line 50,001 with file, line and byte, and leaves no file behind', async () => {
    const input = join(dir, 'big.ndjson')
    const good = '{"data_row":{"id":"ckx0000000000000000000001","row_data":"https://example.com/a.jpg"}}'
    await writeFile(input, `${`${good}\n`.repeat(50_000)}{"data_row":{"id":"x",}\n${good}\n`)
    const out = join(dir, 'out')
    const result = await runCli(['load', input, '--to', `parquet:${out}`, '--to', `ndjson:${out}-nd`])
    expect(result.code).toBe(1)
    const lineStart = 50_000 * (good.length + 1)
    expect(result.stderr).toContain(`labelpipe: ${input} line 50001 (byte ${lineStart}): invalid JSON`)
    expect(result.stderr).toContain('[LP_EXPORT_FORMAT in readV2Export]')
    expect(result.stderr).not.toContain('    at ')
    expect(await listFiles(out)).toEqual([])
    expect(await listFiles(`${out}-nd`)).toEqual([])
  })

  it('a missing file or a directory is LP_INPUT naming the path, as inspect and convert say it', async () => {
    for (const input of [join(dir, 'missing.ndjson'), dir]) {
      const result = await runCli(['load', input, '--to', `ndjson:${join(dir, 'out')}`])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        new RegExp(`^labelpipe: cannot read ${input} \\(after byte 0\\): (no such file|is a directory) \\[LP_INPUT\\]`),
      )
    }
  })

  it('dead-letters bad lines with --max-errors and loads every good row', async () => {
    const input = join(dir, 'mixed.ndjson')
    await writeV2Export(input, { seed: 3, media: 'image', dataRows: 20 })
    const lines = (await readFile(input, 'utf8')).trimEnd().split('\n')
    lines.splice(5, 0, 'not json')
    lines.splice(12, 0, '{"data_row":{"id":42}}')
    await writeFile(input, Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), Buffer.from([0xff, 0x0a])]))
    const out = join(dir, 'out')
    const result = await runCli(['load', input, '--to', `ndjson:${out}`, '--max-errors', '3', '--load-id', 'dl'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`3 bad lines dead-lettered to ${join(out, '_dead_letters', 'dl.ndjson')}`)
    const letters = await readNdjson(join(out, '_dead_letters', 'dl.ndjson'))
    expect(letters.map((l) => [l.line, l.code])).toEqual([
      [6, 'LP_EXPORT_FORMAT'],
      [13, 'LP_EXPORT_FORMAT'],
      [23, 'LP_INVALID_UTF8'],
    ])
    expect(letters[0]).toMatchObject({ file: input, raw: 'not json' })
    const manifest = await manifestOf(out)
    expect(manifest.rows.data_rows).toBe(20)
    expect(manifest.dead_letters).toBe(3)

    const strict = await runCli(['load', input, '--to', `ndjson:${join(dir, 'strict')}`, '--max-errors', '2', '--load-id', 'again'])
    expect(strict.code).toBe(1)
    expect(strict.stderr).toContain('more than 2 bad records')
    expect((await listFiles(join(dir, 'strict'))).filter((f) => !f.startsWith('_dead_letters/'))).toEqual([])
    // The failed run's letters stay; a new run of the same (uncommitted) id writes its own file, not after them.
    const again = await runCli(['load', input, '--to', `ndjson:${join(dir, 'strict')}`, '--max-errors', '3', '--load-id', 'again'])
    expect(again.code).toBe(0)
    expect(await readNdjson(join(dir, 'strict', '_dead_letters', 'again.ndjson'))).toHaveLength(3)
    expect((await manifestOf(join(dir, 'strict'))).dead_letters).toBe(3)
  })

  it('stops on SIGINT with exit code 130, committing nothing and leaving no temp file', async () => {
    const out = join(dir, 'out')
    const run = startCli(['load', '-', '--to', `ndjson:${out}`, '--to', `parquet:${out}-pq`])
    const row = '{"data_row":{"id":"ckx0000000000000000000001","row_data":"https://example.com/a.jpg"}}\n'
    run.child.stdin?.write(row.repeat(5000))
    // stdin stays open: the run is mid-load until its first part file exists, then it is interrupted.
    while (!(await listFiles(out)).some((f) => f.includes('/_part-'))) await new Promise((r) => setTimeout(r, 20))
    run.child.kill('SIGINT')
    const result = await run.done
    expect(result.code).toBe(130)
    expect(result.stderr).toMatch(
      /stopped by SIGINT( after [\d,]+ data rows \([\d.]+ [KMG]?i?B read\) in [\d.]+ s)?; nothing was committed, temp files removed/,
    )
    expect(await listFiles(out)).toEqual([])
    expect(await listFiles(`${out}-pq`)).toEqual([])
  })

  it('stops on SIGTERM with exit code 143 and a summary of how far it got, committing nothing', async () => {
    const out = join(dir, 'term')
    const run = startCli(['load', '-', '--to', `ndjson:${out}`])
    const row = '{"data_row":{"id":"ckx0000000000000000000001","row_data":"https://example.com/a.jpg"}}\n'
    run.child.stdin?.write(row.repeat(5000))
    while (!(await listFiles(out)).some((f) => f.includes('/_part-'))) await new Promise((r) => setTimeout(r, 20))
    // Past the first progress report (every 250 ms), so the summary has counts.
    await new Promise((r) => setTimeout(r, 400))
    run.child.kill('SIGTERM')
    const result = await run.done
    expect(result.code).toBe(143)
    expect(result.stderr).toMatch(
      /stopped by SIGTERM after [\d,]+ data rows \([\d.]+ [KM]iB read\) in [\d.]+ s; nothing was committed, temp files removed/,
    )
    expect(await listFiles(out)).toEqual([])
  })

  it('reads stdin and gzip, decided by content', async () => {
    const input = join(dir, 'export.gz')
    const stats = await writeV2Export(join(dir, 'plain.ndjson'), { seed: 5, media: 'image', dataRows: 10 })
    const { gzipSync } = await import('node:zlib')
    await writeFile(input, gzipSync(await readFile(join(dir, 'plain.ndjson'))))
    const result = await runCli(['load', '-', '--to', `ndjson:${join(dir, 'out')}`, '--quiet'], { stdin: await readFile(input) })
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect((await manifestOf(join(dir, 'out'))).rows.objects).toBe(stats.tables.objects)
  })
})

describe('labelpipe load from a FIFO', () => {
  // A FIFO (or `<(zcat export.gz)`) can be read once: the head read to tell v1 from v2 must reach the reader.
  const feed = (file: string, fifo: string) => pipeline(createReadStream(file), createWriteStream(fifo))

  it('loads every data row of a v2 export longer than the format check reads, and refuses --workers before opening it', async () => {
    const input = join(dir, 'export.ndjson')
    const stats = await writeV2Export(input, { seed: 9, media: 'mixed', dataRows: 200, framesPerVideo: 10 })
    expect((await stat(input)).size).toBeGreaterThan(4 * 64 * 1024)
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const out = join(dir, 'out')
    const [result] = await Promise.all([runCli(['load', fifo, '--to', `ndjson:${out}`, '--quiet']), feed(input, fifo)])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const manifest = await manifestOf(out)
    for (const table of tableNames) expect([table, manifest.rows[table] ?? 0]).toEqual([table, expectedRows(stats)[table]])
    expect(manifest.input_bytes).toBe((await stat(input)).size)

    // Refused on stat alone: opening a FIFO for reading would wait for a writer that never comes.
    const refused = await runCli(['load', fifo, '--workers', '2', '--to', `ndjson:${join(dir, 'w2')}`])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`invalid option workers: splits a regular file by byte ranges; ${fifo} can be read once only`)
  })

  it('loads a v1 export from a FIFO as from its file', async () => {
    const v1 = new URL('video_export.json', sharedV1Fixtures).pathname
    expect((await stat(v1)).size).toBeGreaterThan(2 * 64 * 1024)
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const fromFile = await runCli(['load', v1, '--skip-frames', '--to', `ndjson:${join(dir, 'file')}`, '-q'])
    const [fromFifo] = await Promise.all([
      runCli(['load', fifo, '--skip-frames', '--to', `ndjson:${join(dir, 'fifo-out')}`, '-q']),
      feed(v1, fifo),
    ])
    expect([fromFile.code, fromFifo.code, fromFifo.stderr]).toEqual([0, 0, ''])
    const rows = (await manifestOf(join(dir, 'file'))).rows
    expect(rows.labels).toBeGreaterThan(0)
    expect((await manifestOf(join(dir, 'fifo-out'))).rows).toEqual(rows)
  })
})

describe('labelpipe load with flags of the other format', () => {
  it('says on stderr which flags the detected format does not read, and loads', async () => {
    const v2 = join(repoRoot, 'examples/data/sample-v2.ndjson')
    const onV2 = await runCli(['load', v2, '--to', `ndjson:${join(dir, 'a')}`, '-q', '--project-id', 'p', '--skip-frames'])
    expect(onV2.code).toBe(0)
    expect(onV2.stderr).toBe(
      'labelpipe: --project-id is for an Export v1 input, and this one is v2: ignored\n' +
        'labelpipe: --skip-frames is for an Export v1 input, and this one is v2: ignored\n',
    )
    const v1 = new URL('image_export.json', sharedV1Fixtures).pathname
    const onV1 = await runCli(['load', v1, '--to', `ndjson:${join(dir, 'b')}`, '-q', '--max-line-length', '1000000'])
    expect(onV1.code).toBe(0)
    expect(onV1.stderr).toBe('labelpipe: --max-line-length is for an Export v2 input, and this one is v1: ignored\n')
  })
})

describe('labelpipe inspect', () => {
  it('reports rows per table, media types, projects and bad lines without writing anything', async () => {
    const input = join(dir, 'export.ndjson')
    const stats = await writeV2Export(input, { seed: 11, media: 'mixed', dataRows: 100, framesPerVideo: 20 })
    await writeFile(input, `${await readFile(input, 'utf8')}{"data_row":{}}\n`)
    const result = await runCli(['inspect', input, '--json'])
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as {
      dataRows: number
      badLines: number
      rowsByTable: Record<string, number>
      mediaTypes: Record<string, number>
      firstBadLines: { line: number }[]
    }
    expect(report.dataRows).toBe(100)
    expect(report.badLines).toBe(1)
    expect(report.firstBadLines[0]?.line).toBe(101)
    for (const table of tableNames) expect([table, report.rowsByTable[table]]).toEqual([table, expectedRows(stats)[table]])
    expect(Object.values(report.mediaTypes).reduce((a, b) => a + b, 0)).toBe(100)
    expect(await readdir(dir)).toEqual(['export.ndjson'])

    const human = await runCli(['inspect', input])
    expect(human.stdout).toContain('rows per table:')
    expect(human.stdout).toContain('bad lines (first 1 of 1):')
  })

  it.each([
    'highly_nested_image.json',
    'image_export.json',
    'pdf_export.json',
    'text_export.json',
    'tiled_image_export.json',
    'unkown_media_type_export.json',
    'video_export.json',
  ])('recognises the real v1 sample %s as Export v1 by content and says so', async (name) => {
    const result = await runCli(['inspect', new URL(name, sharedV1Fixtures).pathname])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('this is an Export v1 file')
    expect(result.stderr).toContain('LP_UNSUPPORTED_FORMAT')
  })
})

describe('labelpipe usage', () => {
  it('prints help for each command and exits 2 on bad usage, naming the option', async () => {
    expect((await runCli(['--help'])).stdout).toContain('labelpipe load <export> --to parquet:<dir>')
    expect((await runCli(['load', '--help'])).stdout).toContain('--parquet-engine <name>')
    expect((await runCli(['inspect', '-h'])).stdout).toContain('--json')
    const noTarget = await runCli(['load', 'x.ndjson'])
    expect(noTarget.code).toBe(2)
    expect(noTarget.stderr).toContain('--to: load needs at least one --to')
    const badTarget = await runCli(['load', 'x.ndjson', '--to', 'csv:out'])
    expect(badTarget.stderr).toContain('expected parquet:<dir>, ndjson:<dir> or postgres://…, got "csv:…"')
    expect((await runCli(['load', 'x', '--to', 'ndjson:o', '--max-errors', 'many'])).stderr).toContain(
      '--max-errors: --max-errors takes a whole number',
    )
    expect((await runCli(['frobnicate'])).code).toBe(2)
  })
})

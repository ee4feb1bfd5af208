// `labelpipe convert <v1.json> --out <v2.ndjson|->` (issue 4): every real v1 sample converts to the records of the
// library's v1 path, valid Export v2 as readV2Export reads it; a spread generated export spilled under a tiny
// budget gives each data row id exactly one line; a failed run leaves --out as it was.
import { readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeV1Export } from '@labelpipe/benchmarks'
import type { Batch, V2DataRow } from '@labelpipe/core'
import { readV2Export } from '@labelpipe/sources'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { v1ToV2 } from './support/v1.js'

const v1Fixtures = new URL('../../shared/fixtures/labelbox/v1/', import.meta.url).pathname
const names = readdirSync(v1Fixtures)
  .filter((name) => name.endsWith('.json'))
  .sort()
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-cli-convert-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The file read back with readV2Export: each line validated against the v2 schema, as a load would. */
async function readBack(path: string): Promise<V2DataRow[]> {
  const out: V2DataRow[] = []
  for await (const batch of readV2Export(path) as AsyncIterable<Batch<V2DataRow>>) for (const { value } of batch) out.push(value)
  return out
}

describe('labelpipe convert', () => {
  it.each(names)('%s converts to valid v2 data rows, the library v1 path records', async (name) => {
    const out = join(dir, `${name}.ndjson`)
    const result = await runCli(['convert', join(v1Fixtures, name), '--out', out])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^converted \d+ labels into \d+ v2 data rows/)
    const { records } = await v1ToV2(join(v1Fixtures, name))
    const converted = await readBack(out)
    expect(converted).toEqual(JSON.parse(JSON.stringify(records.map((r) => r.value))))
    const ids = converted.map((record) => record.data_row.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('writes to stdout with --out -, the summary on stderr', async () => {
    const result = await runCli(['convert', join(v1Fixtures, 'video_export.json'), '--out', '-'])
    expect(result.code).toBe(0)
    const { records } = await v1ToV2(join(v1Fixtures, 'video_export.json'))
    const lines = result.stdout.split('\n').filter((line) => line !== '')
    expect(lines.map((line) => JSON.parse(line))).toEqual(JSON.parse(JSON.stringify(records.map((r) => r.value))))
    expect(result.stderr).toContain('-> stdout')
  })

  it('reads stdin with -', async () => {
    const stdin = await readFile(join(v1Fixtures, 'image_export.json'))
    const result = await runCli(['convert', '-', '--out', '-', '-q'], { stdin })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const { records } = await v1ToV2(join(v1Fixtures, 'image_export.json'))
    expect(result.stdout.split('\n').filter((line) => line !== '')).toHaveLength(records.length)
  })

  it('spills a spread export under a 1 MiB budget: each data row id on exactly one line, the same records as unspilled', async () => {
    const input = join(dir, 'spread.json')
    const stats = await writeV1Export(input, { seed: 7, media: 'image', dataRows: 3000, spread: 1500 })
    const spilled = join(dir, 'spilled.ndjson')
    const whole = join(dir, 'whole.ndjson')
    expect((await runCli(['convert', input, '--out', spilled, '--memory-budget-mb', '1', '-q'])).code).toBe(0)
    expect((await runCli(['convert', input, '--out', whole, '-q'])).code).toBe(0)
    const records = await readBack(spilled)
    const ids = records.map((record) => record.data_row.id)
    expect(new Set(ids).size).toBe(stats.dataRows)
    expect(ids).toHaveLength(stats.dataRows)
    expect(ids).toEqual([...ids].sort())
    const labels = records.reduce((n, r) => n + Object.values(r.projects ?? {}).reduce((m, p) => m + (p.labels?.length ?? 0), 0), 0)
    expect(labels).toBe(stats.labels)
    expect(await readFile(spilled, 'utf8')).toBe(await readFile(whole, 'utf8'))
  })

  it('fails on a truncated array with exit 1, naming the file, and leaves --out as it was', async () => {
    const text = await readFile(join(v1Fixtures, 'image_export.json'), 'utf8')
    const input = join(dir, 'truncated.json')
    await writeFile(input, text.slice(0, Math.floor(text.length * 0.7)))
    const out = join(dir, 'kept.ndjson')
    await writeFile(out, 'an earlier conversion\n')
    const result = await runCli(['convert', input, '--out', out])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(input)
    expect(await readFile(out, 'utf8')).toBe('an earlier conversion\n')
    expect(readdirSync(dir).filter((name) => name.includes('kept.ndjson'))).toEqual(['kept.ndjson'])
  })

  it('is a usage error without --out, or with --max-errors and --out - but no --dead-letters', async () => {
    const noOut = await runCli(['convert', join(v1Fixtures, 'image_export.json')])
    expect(noOut.code).toBe(2)
    expect(noOut.stderr).toContain('--out')
    const noLetters = await runCli(['convert', join(v1Fixtures, 'image_export.json'), '--out', '-', '--max-errors', '5'])
    expect(noLetters.code).toBe(2)
    expect(noLetters.stderr).toContain('--dead-letters')
  })
})

// `labelpipe load --filter / --exclude / --include / --incremental` (issue 8) on the shipped sample export and on
// generated ones: the CLI keeps exactly the data rows the library's filterDataRows keeps, refuses a time without
// an offset, and an incremental run takes only what is newer than the folder's last cursor minus the overlap.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Batch, V2DataRow } from '@labelpipe/core'
import { readV2Export } from '@labelpipe/sources'
import { type FilterDataRowsOptions, filterDataRows } from '@labelpipe/transforms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot, runCli } from './support/cli.js'
import { listFiles, readNdjson } from './support/files.js'

const sample = join(repoRoot, 'examples/data/sample-v2.ndjson')
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-cli-filters-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function records(path: string): Promise<V2DataRow[]> {
  const out: V2DataRow[] = []
  for await (const batch of readV2Export(path) as AsyncIterable<Batch<V2DataRow>>) for (const { value } of batch) out.push(value)
  return out
}

async function table(out: string, name: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = []
  for (const file of await listFiles(out))
    if (file.startsWith(`${name}/`)) rows.push(...((await readNdjson(join(out, file))) as Record<string, unknown>[]))
  return rows
}

function expectedIds(all: readonly V2DataRow[], options: FilterDataRowsOptions): string[] {
  const filter = filterDataRows(options)
  const at = { file: sample, line: 1, byteOffset: 0 }
  return all.flatMap((record) => filter(record, at)).map((record) => record.data_row.id)
}

describe('labelpipe load with export filters and params', () => {
  it('keeps the data rows filterDataRows keeps, leaves excluded groups out, and counts them', async () => {
    const all = await records(sample)
    const out = join(dir, 'done')
    const result = await runCli([
      'load',
      sample,
      '--to',
      `ndjson:${out}`,
      '--filter',
      'workflow_status=Done,InRework',
      '--filter',
      'last_activity_at=2023-01-01T00:00:00Z..',
      '--exclude',
      'attachments,metadata_fields',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const expected = expectedIds(all, {
      filters: { workflowStatus: ['Done', 'InRework'], lastActivityAt: { from: '2023-01-01T00:00:00Z' } },
    })
    expect(expected.length).toBeGreaterThan(0)
    expect(expected.length).toBeLessThan(all.length)
    expect((await table(out, 'data_rows')).map((row) => row.data_row_id).sort()).toEqual([...expected].sort())
    expect(await table(out, 'attachments')).toEqual([])
    expect(await table(out, 'data_row_metadata')).toEqual([])
    expect(result.stdout).toContain(`filters: kept ${expected.length} data rows, dropped ${all.length - expected.length}`)
    const statuses = new Set((await table(out, 'project_data_rows')).map((row) => row.workflow_status))
    expect([...statuses].every((status) => status === 'Done' || status === 'InRework')).toBe(true)
  })

  it('refuses a time without an offset, explaining the time zone, and an unknown filter', async () => {
    const bare = await runCli(['load', sample, '--to', `ndjson:${join(dir, 'bare')}`, '--filter', 'last_activity_at=2024-01-01 10:00..'])
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain("API user's time zone")
    const unknown = await runCli(['load', sample, '--to', `ndjson:${join(dir, 'unknown')}`, '--filter', 'dataset=x'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('--filter: unknown filter "dataset"')
    const param = await runCli(['load', sample, '--to', `ndjson:${join(dir, 'param')}`, '--exclude', 'embeddings'])
    expect(param.code).toBe(2)
    expect(param.stderr).toContain('--exclude takes attachments')
  })

  it('--incremental takes only data rows active after the last cursor minus the overlap, and records the new cursor', async () => {
    const all = await records(sample)
    const out = join(dir, 'incremental')
    expect((await runCli(['load', sample, '--to', `ndjson:${out}`, '--load-id', 'first', '-q'])).code).toBe(0)
    const first = JSON.parse(await readFile(join(out, '_manifests', 'first.json'), 'utf8')) as { cursors: Record<string, string> }
    expect(Object.keys(first.cursors).length).toBeGreaterThan(0)
    // The same export again: only what falls in the overlap window before each project's cursor comes back.
    const again = await runCli(['load', sample, '--to', `ndjson:${out}`, '--load-id', 'again', '--incremental', '--overlap-minutes', '600'])
    expect(again.code).toBe(0)
    const inOverlap = expectedIds(all, { incremental: { cursors: first.cursors, overlapMs: 600 * 60_000 } })
    expect(inOverlap.length).toBeLessThan(all.length)
    expect(again.stdout).toContain(`filters: kept ${inOverlap.length} data rows`)
    // One data row changed later: it is taken, with what the overlap holds.
    const changed = structuredClone(all[0] as V2DataRow)
    const details = changed.data_row.details as { last_activity_at?: string }
    details.last_activity_at = '2030-01-01T00:00:00.000Z'
    const next = join(dir, 'next.ndjson')
    await writeFile(next, `${JSON.stringify(changed)}\n${(await readFile(sample, 'utf8')).split('\n').slice(1).join('\n')}`)
    const third = await runCli(['load', next, '--to', `ndjson:${out}`, '--load-id', 'third', '--incremental', '--overlap-minutes', '0'])
    expect(third.code).toBe(0)
    const rows = (await readNdjson(join(out, 'data_rows', 'part-third-00000.ndjson'))) as { data_row_id: string }[]
    expect(rows.map((row) => row.data_row_id)).toEqual([changed.data_row.id])
    const manifest = JSON.parse(await readFile(join(out, '_manifests', 'third.json'), 'utf8')) as { cursors: Record<string, string> }
    expect(Object.values(manifest.cursors)).toContain('2030-01-01T00:00:00.000Z')
  })

  it('records no cursor for a run that left data rows or fields out, and a per-project one for project_ids', async () => {
    const all = await records(sample)
    const first = all[0] as V2DataRow
    const project = Object.keys(first.projects ?? {})[0] as string
    const cursorsOf = async (name: string, options: string[]) => {
      const out = join(dir, `cursors-${name}`)
      const result = await runCli(['load', sample, '--to', `ndjson:${out}`, '--load-id', name, '-q', ...options])
      expect([name, result.code, result.stderr]).toEqual([name, 0, ''])
      return (JSON.parse(await readFile(join(out, '_manifests', `${name}.json`), 'utf8')) as { cursors: Record<string, string> | null })
        .cursors
    }
    // A later --incremental run would skip, for good, the data rows older than the cursor that these left out.
    expect(await cursorsOf('ids', ['--filter', `data_row_ids=${first.data_row.id}`])).toBeNull()
    expect(await cursorsOf('status', ['--filter', 'workflow_status=Done'])).toBeNull()
    expect(await cursorsOf('excluded', ['--exclude', 'attachments'])).toBeNull()
    // Whole projects kept: the cursor of each one is what an unfiltered run records for it.
    const whole = await cursorsOf('whole', [])
    expect(await cursorsOf('project', ['--filter', `project_ids=${project}`])).toEqual({ [project]: whole?.[project] })
    expect(await cursorsOf('interpolated', ['--exclude', 'interpolated_frames'])).toEqual(whole)
    // A dead-lettered line's data row is not loaded, and its activity is unknown: no cursor either.
    const withBadLine = join(dir, 'with-bad-line.ndjson')
    await writeFile(withBadLine, `${await readFile(sample, 'utf8')}{"data_row":{}}\n`)
    const out = join(dir, 'cursors-bad-line')
    const result = await runCli(['load', withBadLine, '--to', `ndjson:${out}`, '--load-id', 'bad-line', '--max-errors', '1', '-q'])
    expect(result.code).toBe(0)
    expect(JSON.parse(await readFile(join(out, '_manifests', 'bad-line.json'), 'utf8')).cursors).toBeNull()
  })
})

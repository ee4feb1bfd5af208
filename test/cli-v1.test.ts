// `labelpipe load` on Export v1 files (issue 4): the format is detected from content, gzip or not; every real
// v1 sample loads through the CLI with the same rows per table as the library's v1 path; v1 refuses --workers.
import { readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { listFiles, readNdjson } from './support/files.js'
import { tablesOf, v1ToV2 } from './support/v1.js'

const v1Fixtures = new URL('../../shared/fixtures/labelbox/v1/', import.meta.url).pathname
const names = readdirSync(v1Fixtures)
  .filter((name) => name.endsWith('.json'))
  .sort()
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-cli-v1-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function rowsPerTable(out: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const file of await listFiles(out)) {
    if (!file.endsWith('.ndjson') || file.startsWith('_')) continue
    const table = file.split('/')[0] as string
    counts[table] = (counts[table] ?? 0) + (await readNdjson(join(out, file))).length
  }
  return counts
}

describe('labelpipe load <Export v1>', () => {
  it.each(names)('%s loads with the rows of the library v1 path', async (name) => {
    const out = join(dir, name)
    const result = await runCli(['load', join(v1Fixtures, name), '--to', `ndjson:${out}`])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^loaded \d+ labels as \d+ table rows/)
    const { records } = await v1ToV2(join(v1Fixtures, name))
    const expected = Object.fromEntries(
      [
        ...tablesOf(
          records.map((r) => r.value),
          'v1',
        ),
      ].map(([table, rows]) => [table, rows.length]),
    )
    expect(await rowsPerTable(out)).toEqual(expected)
  })

  it('detects a gzipped v1 file, and refuses --workers with exit 2', async () => {
    const gz = join(dir, 'video.json.gz')
    await writeFile(gz, gzipSync(await readFile(join(v1Fixtures, 'video_export.json'))))
    const loaded = await runCli(['load', gz, '--to', `ndjson:${join(dir, 'gz')}`, '-q'])
    expect(loaded.code).toBe(0)
    expect((await rowsPerTable(join(dir, 'gz'))).frame_objects).toBeGreaterThan(0)
    const refused = await runCli(['load', gz, '--to', `ndjson:${join(dir, 'gz2')}`, '--workers', '2'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('an Export v1 file loads in one thread')
  })
})

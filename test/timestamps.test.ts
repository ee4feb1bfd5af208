// A timestamp names one instant on every machine: an export time with a zone loads the same whatever the host's
// TZ, and one without a zone (which Date.parse would read in the host's zone) is refused with its field.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { listFiles, readNdjson } from './support/files.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-timestamps-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const line = (createdAt: string) => `{"data_row":{"id":"d1","details":{"created_at":"${createdAt}"}}}\n`

async function createdAt(out: string): Promise<unknown> {
  const [file] = await listFiles(join(out, 'data_rows'))
  const [row] = await readNdjson(join(out, 'data_rows', file as string))
  return row?.created_at
}

describe('export timestamps', () => {
  it('loads a time with an offset as the same instant under any host time zone', async () => {
    const input = join(dir, 'offset.ndjson')
    await writeFile(input, line('2023-06-12T18:42:24.000+02:00'))
    const values: unknown[] = []
    for (const tz of ['UTC', 'Asia/Tokyo', 'America/Los_Angeles']) {
      const out = join(dir, `offset-${tz.replace('/', '-')}`)
      const result = await runCli(['load', input, '--to', `ndjson:${out}`, '-q'], { env: { TZ: tz } })
      expect(result.stderr).toBe('')
      values.push(await createdAt(out))
    }
    expect(values).toEqual(['2023-06-12T16:42:24.000Z', '2023-06-12T16:42:24.000Z', '2023-06-12T16:42:24.000Z'])
  })

  it('refuses a time without a zone, naming file, line and field, under any host time zone', async () => {
    const input = join(dir, 'bare.ndjson')
    await writeFile(input, `${line('2023-06-12T18:42:24Z')}${line('2023-06-12 18:42:24')}`)
    for (const tz of ['UTC', 'Asia/Tokyo']) {
      const result = await runCli(['load', input, '--to', `ndjson:${join(dir, `bare-${tz.replace('/', '-')}`)}`, '-q'], { env: { TZ: tz } })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        `${input} line 2 (byte 73): data_row.details.created_at: expected an ISO-8601 timestamp with a time zone (Z or ±hh:mm)`,
      )
    }
  })
})

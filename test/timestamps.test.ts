// A timestamp names one instant on every machine: an export time with a zone loads the same whatever the host's
// TZ, and one without a zone (which Date.parse would read in the host's zone) is refused with its field.
// Review item 3: every spelling of a zone that V8 reads right is accepted (a space or `t` before the time, `z`,
// ±hhmm, Postgres' ±hh), and a refusal says what is wrong with a value that has a zone.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isoTimestampWithZone, v2DataRow } from '@labelpipe/core'
import fc from 'fast-check'
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

const line = (createdAt: string, id = 'd1') => `{"data_row":{"id":"${id}","details":{"created_at":"${createdAt}"}}}\n`

async function createdAtById(out: string): Promise<Record<string, unknown>> {
  const byId: Record<string, unknown> = {}
  for (const file of await listFiles(join(out, 'data_rows'))) {
    for (const row of await readNdjson(join(out, 'data_rows', file))) byId[row.data_row_id as string] = row.created_at
  }
  return byId
}

async function createdAt(out: string): Promise<unknown> {
  return (await createdAtById(out)).d1
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
        `${input} line 2 (byte 73): data_row.details.created_at: expected an ISO-8601 timestamp with a time zone (Z or ±hh:mm), got "2023-06-12 18:42:24", which has none (it would be read in the host's time zone)`,
      )
    }
  })

  it('review item 3: every accepted spelling of a zone loads as the same instant under UTC and Asia/Tokyo', async () => {
    // All 2023-10-03T05:36:33.863Z: Labelbox's own form, Python's str(datetime), Postgres text, lowercase, ±hhmm.
    const forms = [
      '2023-10-03T05:36:33.863Z',
      '2023-10-03T05:36:33.863+00:00',
      '2023-10-03 05:36:33.863+00:00',
      '2023-10-03 05:36:33.863456+00:00',
      '2023-10-03t05:36:33.863z',
      '2023-10-03T05:36:33.863z',
      '2023-10-03 05:36:33.863Z',
      '2023-10-03T05:36:33.863+0000',
      '2023-10-03 05:36:33.863+00',
      '2023-10-03 14:36:33.863+09',
      '2023-10-03 00:06:33.863-0530',
      '2023-10-03t14:36:33.863+09:00',
    ]
    const input = join(dir, 'forms.ndjson')
    await writeFile(input, forms.map((form, i) => line(form, `d${i}`)).join(''))
    for (const tz of ['UTC', 'Asia/Tokyo']) {
      const out = join(dir, `forms-${tz.replace('/', '-')}`)
      const result = await runCli(['load', input, '--to', `ndjson:${out}`, '-q'], { env: { TZ: tz } })
      expect(result.stderr, tz).toBe('')
      expect(await createdAtById(out), tz).toEqual(Object.fromEntries(forms.map((_, i) => [`d${i}`, '2023-10-03T05:36:33.863Z'])))
    }
  })

  it('review item 3: a refused time names its field and says what is wrong with it', async () => {
    const refused: [string, string][] = [
      ['2023-10-03T05:36:33', 'expected an ISO-8601 timestamp with a time zone (Z or ±hh:mm), got "2023-10-03T05:36:33", which has none'],
      ['2023-10-03', 'expected an ISO-8601 timestamp with a time zone (Z or ±hh:mm), got "2023-10-03", which has none'],
      // V8 reads ±hh after a space (Postgres' form) but not after T.
      ['2023-10-03T05:36:33.863+00', '"2023-10-03T05:36:33.863+00": an offset of hours alone (+00) is not read after T: write +00:00'],
      // After a space V8 reads a year 0000-0099 as 19xx/20xx.
      [
        '0099-10-03 05:36:33Z',
        '"0099-10-03 05:36:33Z": a year before 0100 is read as 19xx or 20xx after a space: write T between date and time',
      ],
      ['2023-10-03 05:36:33+24:00', '"2023-10-03 05:36:33+24:00": the offset +24:00 is past ±23:59'],
      ['2023-13-03T05:36:33Z', 'expected a real date and time, got "2023-13-03T05:36:33Z"'],
      ['2023-10-03 05:36:33 +00:00', 'expected an ISO-8601 timestamp with a time zone (Z or ±hh:mm), got "2023-10-03 05:36:33 +00:00"'],
    ]
    await Promise.all(
      refused.map(async ([value, why], i) => {
        const input = join(dir, `refused-${i}.ndjson`)
        await writeFile(input, line(value))
        const result = await runCli(['load', input, '--to', `ndjson:${join(dir, `refused-${i}`)}`, '-q'])
        expect(result.code, value).toBe(1)
        expect(result.stderr, value).toContain(`${input} line 1 (byte 0): data_row.details.created_at: ${why}`)
      }),
    )
  })
})

describe('review item 3: isoTimestampWithZone against V8', () => {
  // Every place that turns an export time into epoch ms calls Date.parse on the text as it is (export-primitives.ts),
  // so each accepted spelling must read as the instant of its T/Z/±hh:mm spelling, which V8's ISO parser reads.
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'))
  const spelling = fc.record({
    year: fc.oneof(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 100, max: 9999 })).map((n) => String(n).padStart(4, '0')),
    month: two(13),
    day: two(32),
    separator: fc.constantFrom('T', 't', ' '),
    hour: two(25),
    minute: two(60),
    second: fc.option(two(60), { nil: '' }).map((s) => (s === '' ? '' : `:${s}`)),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: '' }).map((f) => (f === '' ? '' : `.${f}`)),
    zone: fc.oneof(
      fc.constantFrom('Z', 'z', ''),
      fc
        .tuple(fc.constantFrom('+', '-'), two(25), two(61), fc.constantFrom(':', '', 'hours'))
        .map(([sign, h, m, form]) => (form === 'hours' ? `${sign}${h}` : `${sign}${h}${form}${m}`)),
    ),
  })
  const canonicalZone = (zone: string) =>
    /^[Zz]$/.test(zone) ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone
  const accepted = (text: string) => v2DataRow.safeParse({ data_row: { id: 'd', details: { created_at: text } }, projects: {} }).success

  for (const seed of [3, undefined]) {
    it(`an accepted spelling reads as its T/Z/±hh:mm spelling under UTC, Asia/Tokyo and America/Los_Angeles; a refused one with a zone is not called zone-less (seed ${seed ?? 'random'})`, () => {
      const hostZone = process.env.TZ
      try {
        for (const [tz, offsetMinutes] of [
          ['UTC', 0],
          ['Asia/Tokyo', -540],
          ['America/Los_Angeles', 480],
        ] as const) {
          process.env.TZ = tz
          // Node resets V8's zone when TZ is assigned; without that the check would run in one zone only.
          expect(new Date(Date.UTC(2023, 0, 1)).getTimezoneOffset(), tz).toBe(offsetMinutes)
          fc.assert(
            fc.property(spelling, (s) => {
              const text = `${s.year}-${s.month}-${s.day}${s.separator}${s.hour}:${s.minute}${s.second}${s.fraction}${s.zone}`
              const canonical = `${s.year}-${s.month}-${s.day}T${s.hour}:${s.minute}${s.second}${s.fraction}${canonicalZone(s.zone)}`
              if (accepted(text)) {
                expect(isoTimestampWithZone.test(text), text).toBe(true)
                expect(Date.parse(text), `${text} in ${tz}`).toBe(Date.parse(canonical))
              } else if (s.zone !== '') {
                const issue = v2DataRow.safeParse({ data_row: { id: 'd', details: { created_at: text } } }).error?.issues[0]
                expect(issue?.message, text).not.toContain('which has none')
              }
            }),
            { numRuns: 5_000, ...(seed === undefined ? {} : { seed }) },
          )
        }
      } finally {
        if (hostZone === undefined) delete process.env.TZ
        else process.env.TZ = hostZone
      }
    })
  }
})

// The giant-line path of readV2Export (packages/sources/src/giant-row.ts): a line over `streamLinesOver` is
// streamed, its frames spooled and read back one by one. It must give exactly the rows of the JSON.parse
// path: checked on every v2 fixture and on generated video/DICOM exports with every line streamed, and on a
// 50 MB single-row video. Bad input inside a streamed line fails or dead-letters with its exact place.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type GeneratedMedia, writeV2Export } from '@labelpipe/benchmarks'
import { type DeadLetter, frameStoreOf, isLabelpipeError, type TableRow, type V2DataRow } from '@labelpipe/core'
import { type ReadV2ExportOptions, readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const fixtureDir = new URL('./fixtures/v2/', import.meta.url).pathname
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-giant-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

interface Loaded {
  /** Every table row, as JSON, in the order the flattener produced them. */
  readonly rows: string[]
  readonly stats: unknown
  readonly streamedRecords: number
}

async function load(path: string, options: ReadV2ExportOptions, interpolate = false): Promise<Loaded> {
  const reader = readV2Export(path, options)
  const flatten = flattenDataRows({ loadId: 'giant', source: 'v2', interpolate })
  const rows: string[] = []
  let streamedRecords = 0
  for await (const batch of reader) {
    for (const { value, at } of batch) {
      if (hasStoredFrames(value)) streamedRecords++
      for (const row of flatten(value, at) as Iterable<TableRow>) rows.push(JSON.stringify(row))
    }
  }
  return { rows, stats: flatten.stats, streamedRecords }
}

function hasStoredFrames(record: V2DataRow): boolean {
  for (const project of Object.values(record.projects ?? {})) {
    for (const label of project.labels ?? []) {
      const annotations = label.annotations
      if (annotations?.frames != null && frameStoreOf(annotations.frames) !== undefined) return true
      for (const group of Object.values(annotations?.groups ?? {})) {
        if (group.frames != null && frameStoreOf(group.frames) !== undefined) return true
      }
    }
  }
  return false
}

async function expectSameRows(path: string, interpolate = false): Promise<Loaded> {
  const parsed = await load(path, { streamLinesOver: Number.MAX_SAFE_INTEGER }, interpolate)
  const streamed = await load(path, { streamLinesOver: 1 }, interpolate)
  expect(parsed.streamedRecords).toBe(0)
  expect(streamed.rows.length).toBe(parsed.rows.length)
  expect(streamed.rows).toEqual(parsed.rows)
  expect(streamed.stats).toEqual(parsed.stats)
  return streamed
}

async function spoolFiles(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('labelpipe-frames-'))
}

describe('giant lines: the streamed path gives the rows of the JSON.parse path', () => {
  it.each(['video.ndjson', 'dicom.ndjson', 'frames-edge-cases.ndjson', 'image.ndjson', 'conversational.ndjson'])(
    'fixture %s, every line streamed',
    async (name) => {
      const result = await expectSameRows(join(fixtureDir, name))
      expect(result.rows.length).toBeGreaterThan(0)
    },
  )

  it.each<[GeneratedMedia, boolean]>([
    ['video', false],
    ['video', true],
    ['dicom', false],
    ['mixed', true],
  ])('generated %s export (interpolate %s), every line streamed', async (media, interpolate) => {
    const path = join(dir, `${media}-${interpolate}.ndjson`)
    await writeV2Export(path, { media, seed: 7, dataRows: 12, framesPerVideo: 120 })
    const result = await expectSameRows(path, interpolate)
    expect(result.streamedRecords).toBeGreaterThan(0)
  })

  it('frames out of order, repeated keys, keys that are not frame numbers, and __proto__ (dropped on both paths)', async () => {
    const frame = (x: number) => ({
      objects: { f1: { feature_id: 'f1', name: 'car', bounding_box: { top: x, left: 1, height: 2, width: 3 } } },
    })
    // Written as text: a JS object would put integer keys in order and drop the repeated one.
    const frames = `{"9":${JSON.stringify(frame(9))},"x":${JSON.stringify(frame(0))},"3":${JSON.stringify(frame(3))},"9":${JSON.stringify(frame(99))},"007":${JSON.stringify(frame(7))},"5":${JSON.stringify(frame(5))},"__proto__":5}`
    const line = `{"data_row":{"id":"dr1"},"media_attributes":{"asset_type":"video"},"projects":{"p1":{"labels":[{"id":"l1","annotations":{"frames":${frames},"segments":{"f1":[[3,9]]},"key_frame_feature_map":{"f1":{"3":true,"9":true}}}}]}}}`
    const path = join(dir, 'out-of-order.ndjson')
    await writeFile(path, `${line}\n`)
    const result = await expectSameRows(path, true)
    expect(result.rows.filter((row) => row.includes('"table":"frame_objects"')).map((row) => JSON.parse(row).row.frame)).toEqual([
      3, 4, 5, 6, 7, 8, 9,
    ])
    expect(result.stats).toMatchObject({ frameEntriesNotLoaded: { 'frames.invalidNumber': 2 } })
  })

  it('a 50 MB single-row video: same rows, in bounded memory, and no spool file left', async () => {
    const path = join(dir, 'long-video.ndjson')
    const stats = await writeV2Export(path, { media: 'video', seed: 1, dataRows: 1, framesPerVideo: 65_000 })
    expect(stats.bytes).toBeGreaterThan(45e6)
    const streamed = await load(path, {})
    expect(streamed.streamedRecords).toBe(1)
    const parsed = await load(path, { streamLinesOver: Number.MAX_SAFE_INTEGER })
    expect(streamed.rows.length).toBe(parsed.rows.length)
    expect(streamed.rows.filter((row) => row.startsWith('{"table":"frame_objects"')).length).toBe(stats.tables.frame_objects)
    for (let i = 0; i < parsed.rows.length; i++) if (streamed.rows[i] !== parsed.rows[i]) expect(streamed.rows[i]).toBe(parsed.rows[i])
    expect(await spoolFiles()).toEqual([])
  }, 60_000)
})

describe('giant lines: bad input', () => {
  const good = '{"data_row":{"id":"dr0"}}'
  const video = (frames: string, tail = '') =>
    `{"data_row":{"id":"dr1"},"projects":{"p1":{"labels":[{"id":"l1","annotations":{"frames":${frames}}}]}}${tail}}`

  async function readError(text: string | Buffer, options: ReadV2ExportOptions = {}): Promise<unknown> {
    const path = join(dir, 'bad.ndjson')
    await writeFile(path, text)
    try {
      for await (const _ of readV2Export(path, { streamLinesOver: 16, ...options })) {
        // drain
      }
    } catch (error) {
      return error
    }
    return undefined
  }

  it('a frame that breaks the schema names the line, the frame and the field', async () => {
    const error = await readError(`${good}\n${video('{"1":{"objects":{"f":{"feature_id":7}}}}')}\n`)
    expect(isLabelpipeError(error)).toBe(true)
    expect((error as Error).message).toMatch(
      /bad\.ndjson line 2 \(byte 26\): projects\.p1\.labels\[0\]\.annotations\.frames\.1\.objects\.f\.feature_id: /,
    )
  })

  it('invalid JSON inside a frame gives the exact byte', async () => {
    const line = video('{"1":{"objects":{"f":{"feature_id":"a","x":tru}}}}')
    const error = await readError(`${good}\n${line}\n`)
    expect((error as Error).message).toContain('line 2 (byte 26): projects.p1.labels[0].annotations.frames.1: invalid JSON')
    // V8 names the place only for some errors; where it does, the byte is the file's own.
    const long = video(`{"1":{"objects":{"f":{"feature_id":"a","x":"${'y'.repeat(40)}"}}},"2":{"objects":{"f":{"feature_id":"a","x":1.}}}}`)
    const located = await readError(`${good}\n${long}\n`)
    expect((located as Error).message).toContain('frames.2: invalid JSON')
    expect((located as Error).message).toContain(`(at byte ${26 + long.indexOf('1.}') + 2})`)
  })

  it('broken structure outside the frames gives the exact byte', async () => {
    const line = video('{}', ',"x" 1')
    const error = await readError(`${line}\n`)
    expect((error as Error).message).toContain(
      `line 1 (byte 0): invalid JSON: expected ":" after the key, got "1" (at byte ${line.indexOf('" 1') + 2})`,
    )
  })

  it('a truncated last line fails after every earlier record', async () => {
    const records: string[] = []
    const path = join(dir, 'truncated.ndjson')
    const line = video('{"1":{"objects":{"f":{"feature_id":"f"}}},"2":{"objects":{}}}')
    await writeFile(path, `${good}\n${line.slice(0, line.indexOf('"2"') + 5)}`)
    const error = await (async () => {
      try {
        for await (const batch of readV2Export(path, { streamLinesOver: 16, batchSize: 1 })) {
          for (const record of batch) records.push(record.value.data_row.id)
        }
      } catch (caught) {
        return caught
      }
    })()
    expect(records).toEqual(['dr0'])
    expect((error as Error).message).toContain('line 2 (byte 26): invalid JSON: the text ends inside an object')
  })

  it('a line over maxHeaderBytes outside its frames fails with LP_LINE_TOO_LONG', async () => {
    const error = await readError(`${video('{}', `,"pad":"${'x'.repeat(200)}"`)}\n`, { maxHeaderBytes: 100 })
    expect(error).toMatchObject({ code: 'LP_LINE_TOO_LONG', line: 1 })
    expect((error as Error).message).toContain('maxHeaderBytes outside its frames maps (100 bytes)')
  })

  it('bad streamed lines are dead-lettered under maxErrors, the others still load', async () => {
    const path = join(dir, 'dead.ndjson')
    const bad = video('{"1":{"objects":{"f":{"feature_id":7}}}}')
    await writeFile(path, `${bad}\n${video('{"2":{"objects":{"f":{"feature_id":"f","point":{"x":1,"y":2}}}}}')}\n${bad}\n`)
    const letters: DeadLetter[] = []
    const flatten = flattenDataRows({ loadId: 'giant', source: 'v2' })
    const frames: unknown[] = []
    const reader = readV2Export(path, { streamLinesOver: 16, maxErrors: 5, deadLetters: (letter) => void letters.push(letter) })
    for await (const batch of reader) {
      for (const { value, at } of batch)
        for (const { table, row } of flatten(value, at)) if (table === 'frame_objects') frames.push(row.frame)
    }
    expect(frames).toEqual([2])
    expect(letters.map((letter) => [letter.line, letter.code])).toEqual([
      [1, 'LP_EXPORT_FORMAT'],
      [3, 'LP_EXPORT_FORMAT'],
    ])
    expect(reader.stats).toMatchObject({ records: 1, deadLetters: 2 })
    expect(await spoolFiles()).toEqual([])
  })

  it('invalid UTF-8 inside a streamed line is reported as such', async () => {
    const text = Buffer.from(`${video('{"1":{"objects":{"f":{"feature_id":"?"}}}}')}\n`)
    const bad = text.indexOf('?')
    text[bad] = 0xff
    const error = await readError(text)
    expect(error).toMatchObject({ code: 'LP_INVALID_UTF8', line: 1 })
    expect((error as Error).message).toContain(`byte ${bad}`)
  })
})

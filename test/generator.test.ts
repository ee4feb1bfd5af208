import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type GeneratedMedia, type GeneratedStats, type GenerateV2Options, generateV2Export, writeV2Export } from '@labelpipe/benchmarks'
import {
  type TableName,
  tableNames,
  type V2Annotations,
  type V2Classification,
  type V2DataRow,
  type V2Frame,
  v2DataRow,
} from '@labelpipe/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The synthetic Export v2 generator (benchmarks/src/generate-*.ts): determinism, schema validity, stats that
// match an independent recount, size control, frame consistency and streaming of giant lines.

const MEDIA: readonly GeneratedMedia[] = ['image', 'video', 'dicom', 'mixed']
const SMALL: Readonly<Record<GeneratedMedia, number>> = { image: 400, video: 12, dicom: 12, mixed: 150 }

async function collect(
  options: GenerateV2Options,
): Promise<{ readonly bytes: Buffer; readonly stats: GeneratedStats; readonly chunks: number }> {
  const stream = generateV2Export(options)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return { bytes: Buffer.concat(chunks), stats: stream.stats, chunks: chunks.length }
}

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = []
  let start = 0
  for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, nl))
    start = nl + 1
  }
  expect(start).toBe(bytes.length) // every line, the last included, ends with '\n'
  return lines
}

function parseRows(bytes: Buffer): V2DataRow[] {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line, index) => {
      const result = v2DataRow.safeParse(JSON.parse(line))
      if (!result.success) throw new Error(`line ${index + 1}: ${result.error.message}`)
      return result.data
    })
}

// ---- An independent recount of the mapping in GeneratedStats.tables, from parsed lines only. ----

function answers(classifications: readonly V2Classification[] | null | undefined): number {
  let count = 0
  for (const c of classifications ?? []) {
    if (c.radio_answer) count += 1 + answers(c.radio_answer.classifications)
    for (const option of c.checklist_answers ?? []) count += 1 + answers(option.classifications)
    if (c.text_answer) count += 1
  }
  return count
}

type Counts = Record<TableName, number> & { tracks: number; frameClassifications: number }

function frameMaps(annotations: V2Annotations): Record<string, V2Frame>[] {
  if (annotations.groups) return Object.values(annotations.groups).map((group) => group.frames ?? {})
  return [annotations.frames ?? {}]
}

function recount(rows: readonly V2DataRow[]): Counts {
  const counts = Object.fromEntries([...tableNames, 'tracks', 'frameClassifications'].map((name) => [name, 0])) as Counts
  for (const row of rows) {
    counts.data_rows++
    for (const field of row.metadata_fields ?? []) counts.data_row_metadata += Array.isArray(field.value) ? field.value.length : 1
    counts.attachments += row.attachments?.length ?? 0
    for (const project of Object.values(row.projects ?? {})) {
      counts.project_data_rows++
      counts.workflow_history += project.project_details?.workflow_history?.length ?? 0
      for (const label of project.labels ?? []) {
        counts.labels++
        counts.label_reviews += label.label_details?.reviews?.length ?? 0
        const a = label.annotations
        if (!a) continue
        counts.classifications += answers(a.classifications)
        if (a.frames || a.groups) {
          for (const frames of frameMaps(a)) {
            for (const frame of Object.values(frames)) {
              counts.frameClassifications += answers(frame.classifications)
              for (const object of Object.values(frame.objects ?? {})) {
                counts.frame_objects++
                counts.frameClassifications += answers(object.classifications)
              }
            }
          }
          for (const value of Object.values(a.segments ?? {})) {
            if (Array.isArray(value)) {
              counts.segments += value.length
              counts.tracks++
            } else {
              for (const runs of Object.values(value)) {
                counts.segments += runs.length
                counts.tracks++
              }
            }
          }
          for (const value of Object.values(a.key_frame_feature_map ?? {})) {
            for (const inner of Object.values(value)) {
              counts.key_frames += typeof inner === 'object' && inner !== null ? Object.keys(inner).length : 1
            }
          }
        } else {
          counts.objects += a.objects?.length ?? 0
          for (const object of a.objects ?? []) counts.classifications += answers(object.classifications)
          counts.relationships += a.relationships?.length ?? 0
        }
      }
    }
  }
  return counts
}

function expectStatsMatch(stats: GeneratedStats, bytes: Buffer, rows: readonly V2DataRow[]): void {
  const { tracks, frameClassifications, ...tables } = recount(rows)
  expect(stats.bytes).toBe(bytes.length)
  expect(stats.dataRows).toBe(rows.length)
  expect(stats.tables).toEqual(tables)
  expect(stats.tracks).toBe(tracks)
  expect(stats.frameClassifications).toBe(frameClassifications)
}

// ---- Frame consistency: frames == union of segments, segments are maximal runs, key frames inside. ----

type Runs = readonly (readonly [number, number])[]

function expectFramesConsistent(frames: Record<string, V2Frame>, segments: Record<string, Runs>, keyFrames: Record<string, unknown>): void {
  const expected = new Map<number, Set<string>>()
  for (const [featureId, runs] of Object.entries(segments)) {
    let previousEnd = Number.NEGATIVE_INFINITY
    for (const [start, end] of runs) {
      expect(start).toBeLessThanOrEqual(end)
      expect(start).toBeGreaterThan(previousEnd + 1) // sorted, disjoint and not touching: maximal runs
      previousEnd = end
      for (let n = start; n <= end; n++) {
        const set = expected.get(n) ?? new Set<string>()
        set.add(featureId)
        expected.set(n, set)
      }
    }
    const keys = Object.keys((keyFrames[featureId] ?? {}) as Record<string, boolean>).map(Number)
    for (const [start, end] of runs) {
      expect(keys).toContain(start)
      expect(keys).toContain(end)
    }
    for (const key of keys) expect(runs.some(([start, end]) => key >= start && key <= end)).toBe(true)
  }
  expect(
    Object.keys(frames)
      .map(Number)
      .sort((a, b) => a - b),
  ).toEqual([...expected.keys()].sort((a, b) => a - b))
  for (const [n, frame] of Object.entries(frames)) {
    const objects = frame.objects ?? {}
    expect(new Set(Object.keys(objects))).toEqual(expected.get(Number(n)))
    for (const [featureId, object] of Object.entries(objects)) expect(object.feature_id).toBe(featureId)
  }
}

function checkFrameLabels(rows: readonly V2DataRow[]): number {
  let checked = 0
  for (const row of rows) {
    for (const project of Object.values(row.projects ?? {})) {
      for (const label of project.labels ?? []) {
        const a = label.annotations
        if (!a) continue
        if (a.groups) {
          for (const [group, { frames }] of Object.entries(a.groups)) {
            const segments = (a.segments?.[group] ?? {}) as Record<string, Runs>
            const keyFrames = Object.fromEntries(
              Object.entries(a.key_frame_feature_map ?? {}).map(([featureId, byGroup]) => [
                featureId,
                (byGroup as Record<string, unknown>)[group],
              ]),
            )
            expectFramesConsistent(frames ?? {}, segments, keyFrames)
            checked++
          }
        } else if (a.frames) {
          expectFramesConsistent(a.frames, (a.segments ?? {}) as Record<string, Runs>, a.key_frame_feature_map ?? {})
          checked++
        }
      }
    }
  }
  return checked
}

describe('generateV2Export', () => {
  it.each(MEDIA)('is deterministic for %s: same seed same bytes, whatever the chunk size; another seed differs', async (media) => {
    const dataRows = SMALL[media]
    const first = await collect({ media, dataRows, seed: 7 })
    const again = await collect({ media, dataRows, seed: 7, chunkSize: 4096 })
    const other = await collect({ media, dataRows, seed: 8 })
    expect(again.chunks).toBeGreaterThan(first.chunks)
    expect(again.bytes.equals(first.bytes)).toBe(true)
    expect(again.stats).toEqual(first.stats)
    expect(other.bytes.equals(first.bytes)).toBe(false)
  })

  it.each(MEDIA)('writes %s lines that pass v2DataRow, with stats equal to a recount', async (media) => {
    const { bytes, stats } = await collect({ media, dataRows: SMALL[media], seed: 3 })
    const rows = parseRows(bytes)
    expect(rows).toHaveLength(SMALL[media])
    expectStatsMatch(stats, bytes, rows)
    for (const row of rows) expect(row.data_row.id).toMatch(/^c[0-9a-z]{24}$/)
    expect(new Set(rows.map((row) => row.data_row.id)).size).toBe(rows.length)
    if (media !== 'image') expect(stats.tables.frame_objects).toBeGreaterThan(0)
    if (media !== 'video' && media !== 'dicom') expect(stats.tables.objects).toBeGreaterThan(0)
  })

  it('writes raw multi-byte UTF-8 (2, 3 and 4 bytes) and escapes that must round-trip', async () => {
    const { bytes } = await collect({ media: 'image', dataRows: 400, seed: 3 })
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    expect(text).toContain('Straßenszenen München')
    expect(text).toContain('Street scenes – detection')
    expect(text).toMatch(/車両|🚗/u)
    expect(text).toContain('\\"STOP\\" sign')
    expect(bytes.length).toBeGreaterThan(text.length) // multi-byte characters are written raw, not as \u escapes
  })

  it('keeps image rows at a few KB and 300-frame video rows above 100 KB', async () => {
    const image = splitLines((await collect({ media: 'image', dataRows: 1000 })).bytes).map((line) => line.length)
    const video = splitLines((await collect({ media: 'video', dataRows: 20 })).bytes).map((line) => line.length)
    const median = (sizes: number[]): number => sizes.sort((a, b) => a - b)[Math.floor(sizes.length / 2)] ?? 0
    expect(median(image)).toBeGreaterThan(2_000)
    expect(median(image)).toBeLessThan(5_000)
    expect(median(video)).toBeGreaterThan(100_000)
  })

  it.each([
    ['image', 1],
    ['image', 100_000],
    ['mixed', 1_000_003],
    ['video', 2_500_000],
  ] as const)('stops %s after the line that crosses targetBytes %d', async (media, targetBytes) => {
    const { bytes, stats } = await collect({ media, targetBytes })
    const lines = splitLines(bytes)
    const last = lines[lines.length - 1]
    expect(stats.bytes).toBe(bytes.length)
    expect(stats.dataRows).toBe(lines.length)
    expect(bytes.length).toBeGreaterThanOrEqual(targetBytes)
    expect(bytes.length - (last?.length ?? 0) - 1).toBeLessThan(targetBytes)
  })

  it('writes video and DICOM frames that agree with segments and key_frame_feature_map', async () => {
    const video = parseRows((await collect({ media: 'video', dataRows: 15, seed: 11 })).bytes)
    const dicom = parseRows((await collect({ media: 'dicom', dataRows: 15, seed: 11 })).bytes)
    expect(checkFrameLabels(video)).toBeGreaterThan(10)
    expect(checkFrameLabels(dicom)).toBeGreaterThan(30)
    const short = parseRows((await collect({ media: 'video', dataRows: 20, framesPerVideo: 1 })).bytes)
    expect(checkFrameLabels(short)).toBeGreaterThan(0)
  })

  it('has checks that catch a frame outside its segments and a miscount (negative control)', async () => {
    const { bytes, stats } = await collect({ media: 'video', dataRows: 2, seed: 11 })
    const rows = parseRows(bytes)
    const label = Object.values(rows[0]?.projects ?? {})[0]?.labels?.[0]
    const frames = label?.annotations?.frames ?? {}
    const [firstFrame] = Object.keys(frames)
    expect(firstFrame).toBeDefined()
    delete frames[firstFrame ?? '']
    expect(() => checkFrameLabels(rows)).toThrow()
    expect(() => expectStatsMatch(stats, bytes, rows)).toThrow()
  })

  it('rejects bad options with LP_INVALID_OPTION before producing anything', () => {
    const bad: GenerateV2Options[] = [
      { seed: -1 },
      { seed: 1.5 },
      { media: 'audio' as GeneratedMedia },
      { targetBytes: 10, dataRows: 1 },
      { targetBytes: 0 },
      { framesPerVideo: 0 },
      { chunkSize: 10 },
    ]
    for (const options of bad) expect(() => generateV2Export(options)).toThrow(expect.objectContaining({ code: 'LP_INVALID_OPTION' }))
  })
})

describe('a giant single video row', () => {
  // v8's gc is not exposed to tests by default; without it heapUsed counts garbage and the bound would flake.
  let gc: () => void
  beforeAll(() => {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  })

  it('streams a ~50 MB line in bounded chunks while retained memory stays flat', async () => {
    const options = { media: 'video', dataRows: 1, framesPerVideo: 64_000, seed: 1 } as const
    const chunkSize = 65_536
    gc()
    const baseline = process.memoryUsage().heapUsed
    let peak = 0
    let bytes = 0
    let chunksBeforeNewline = 0
    let sawNewline = false
    let index = 0
    const stream = generateV2Export(options)
    for await (const chunk of stream) {
      const buffer = chunk as Buffer
      expect(buffer.length).toBeLessThan(chunkSize + 16_384)
      bytes += buffer.length
      if (buffer.includes(10)) sawNewline = true
      else if (!sawNewline) chunksBeforeNewline++
      if (++index % 64 === 0) {
        gc()
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline)
      }
    }
    expect(bytes).toBeGreaterThan(40_000_000)
    expect(stream.stats.dataRows).toBe(1)
    expect(chunksBeforeNewline).toBe(index - 1) // the one newline is in the last chunk
    expect(chunksBeforeNewline).toBeGreaterThan(500)
    expect(peak).toBeLessThan(16 * 1024 * 1024) // the line itself is > 40 MB

    // The same line, collected, is one valid data row whose stats and frames check out.
    const { bytes: whole, stats } = await collect(options)
    expect(whole.length).toBe(bytes)
    const rows = parseRows(whole)
    expectStatsMatch(stats, whole, rows)
    expect(checkFrameLabels(rows)).toBe(1)
  })
})

describe('writeV2Export and the CLI', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'labelpipe-generator-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes the same bytes as the stream and returns the same stats', async () => {
    const options = { media: 'mixed', dataRows: 120, seed: 5 } as const
    const file = join(dir, 'mixed.ndjson')
    const stats = await writeV2Export(file, options)
    const streamed = await collect(options)
    expect((await readFile(file)).equals(streamed.bytes)).toBe(true)
    expect(stats).toEqual(streamed.stats)
  })

  it('runs the built CLI and prints the stats as JSON', async () => {
    const cli = fileURLToPath(new URL('../benchmarks/dist/generate-cli.js', import.meta.url))
    const file = join(dir, 'cli.ndjson')
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      '--media',
      'video',
      '--size',
      '2MB',
      '--frames',
      '120',
      '--seed',
      '4',
      '--out',
      file,
    ])
    const report = JSON.parse(stdout) as GeneratedStats & { readonly out: string; readonly mbPerSecond: number }
    const expected = await collect({ media: 'video', targetBytes: 2_000_000, framesPerVideo: 120, seed: 4 })
    expect((await readFile(file)).equals(expected.bytes)).toBe(true)
    expect(report).toMatchObject({ ...expected.stats, out: file })

    const usage = await promisify(execFile)(process.execPath, [cli, '--out', file, '--size', '12XB']).catch(
      (error: { code: number; stderr: string }) => error,
    )
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('--size') })
  })
})

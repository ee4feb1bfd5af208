// Frame expansion invariants on generated exports (benchmarks/src/generate-*.ts): every frame object, segment
// and key-frame entry of the input becomes exactly one row; counts equal the generator's own stats; every
// row passes its table schema in column order and primary keys stay unique; track aggregates agree with
// frame_objects; and interpolation reproduces the generator's materialized frames from its key frames.

import { type GeneratedStats, type GenerateV2Options, generateV2Export } from '@labelpipe/benchmarks'
import {
  primaryKeys,
  type TableName,
  type TableRow,
  type TableRowOf,
  tableColumns,
  tableNames,
  tableSchemas,
  type V2Classification,
  type V2DataRow,
  type V2Frame,
  v2DataRow,
} from '@labelpipe/core'
import { flattenDataRows } from '@labelpipe/transforms'
import { describe, expect, it } from 'vitest'

const at = { file: 'generated.ndjson', line: 1, byteOffset: 0 }

async function generate(options: GenerateV2Options): Promise<{ records: V2DataRow[]; stats: GeneratedStats }> {
  const stream = generateV2Export(options)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  const lines = Buffer.concat(chunks).toString('utf8').split('\n')
  const records = lines.filter((line) => line !== '').map((line) => v2DataRow.parse(JSON.parse(line)))
  return { records, stats: stream.stats }
}

function flattenAll(records: readonly V2DataRow[], interpolate = false) {
  const flatten = flattenDataRows({ loadId: 'gen', source: 'v2', interpolate })
  const rows: TableRow[] = []
  for (const record of records) for (const row of flatten(record, at)) rows.push(row)
  return { rows, stats: flatten.stats }
}

function rowsOf<T extends TableName>(rows: readonly TableRow[], table: T): TableRowOf<T>[] {
  return rows.filter((r) => r.table === table).map((r) => r.row as TableRowOf<T>)
}

type KeyFrames = Record<string, boolean> | number[]
interface InputFacts {
  /** [label, group, frame, feature] of every frame object. */
  frameObjects: string[]
  /** [label, feature, group, start, end] of every range. */
  segments: string[]
  /** [label, feature, group, frame, is key frame] of every key-frame entry. */
  keyFrames: string[]
  /** Whether (label, group, frame, feature) is marked a key frame in key_frame_feature_map. */
  isKeyFrame: Map<string, boolean>
  frameAnswers: number
}

/** The input read independently of the flattener: a plain walk over formats.md's video and DICOM shapes. */
function inputFacts(records: readonly V2DataRow[]): InputFacts {
  const facts: InputFacts = { frameObjects: [], segments: [], keyFrames: [], isKeyFrame: new Map(), frameAnswers: 0 }
  const walkFrames = (label: string, group: string, frames: Record<string, V2Frame> | null | undefined) => {
    for (const [frame, value] of Object.entries(frames ?? {})) {
      facts.frameAnswers += answers(value.classifications)
      for (const [feature, object] of Object.entries(value.objects ?? {})) {
        facts.frameObjects.push(JSON.stringify([label, group, Number(frame), feature]))
        facts.frameAnswers += answers(object.classifications)
      }
    }
  }
  const addKeyFrames = (label: string, feature: string, group: string, frames: KeyFrames) => {
    const entries: [number, boolean][] = Array.isArray(frames)
      ? frames.map((f) => [f, true])
      : Object.entries(frames).map(([f, b]) => [Number(f), b])
    for (const [frame, is] of entries) {
      facts.keyFrames.push(JSON.stringify([label, feature, group, frame, is]))
      facts.isKeyFrame.set(JSON.stringify([label, group, frame, feature]), is)
    }
  }
  for (const record of records) {
    for (const project of Object.values(record.projects ?? {})) {
      for (const label of project.labels ?? []) {
        const a = label.annotations
        if (a == null) continue
        walkFrames(label.id, '', a.frames)
        for (const [group, value] of Object.entries(a.groups ?? {})) walkFrames(label.id, group, value.frames)
        for (const [key, value] of Object.entries(a.segments ?? {})) {
          const byFeature = Array.isArray(value) ? { [key]: value } : value
          const group = Array.isArray(value) ? '' : key
          for (const [feature, ranges] of Object.entries(byFeature)) {
            for (const [start, end] of ranges) facts.segments.push(JSON.stringify([label.id, feature, group, start, end]))
          }
        }
        for (const [feature, value] of Object.entries(a.key_frame_feature_map ?? {})) {
          const flat = Array.isArray(value) || Object.values(value).every((v) => typeof v === 'boolean')
          if (flat) addKeyFrames(label.id, feature, '', value as KeyFrames)
          else
            for (const [group, frames] of Object.entries(value as Record<string, KeyFrames>)) addKeyFrames(label.id, feature, group, frames)
        }
      }
    }
  }
  return facts
}

/** Answers of a classification list at any depth: radio 1, checklist 1 per option, text 1 (the generator's unit). */
function answers(questions: readonly V2Classification[] | null | undefined): number {
  let n = 0
  for (const q of questions ?? []) {
    if (q.radio_answer != null) n += 1 + answers(q.radio_answer.classifications)
    for (const option of q.checklist_answers ?? []) n += 1 + answers(option.classifications)
    if (q.text_answer != null) n++
  }
  return n
}

const sorted = (keys: string[]) => [...keys].sort()

describe.each([
  { media: 'video', seed: 1, dataRows: 40, framesPerVideo: 150 },
  { media: 'dicom', seed: 3, dataRows: 40, framesPerVideo: 150 },
  { media: 'mixed', seed: 7, dataRows: 150, framesPerVideo: 60 },
] as const)('generated $media export (seed $seed, $dataRows rows, $framesPerVideo frames)', (options) => {
  const generated = generate(options)

  it('loads every input frame object, segment and key frame exactly once, with the generator counts', async () => {
    const { records, stats } = await generated
    const facts = inputFacts(records)
    const { rows, stats: flat } = flattenAll(records)
    const frameObjects = rowsOf(rows, 'frame_objects')
    expect(sorted(frameObjects.map((f) => JSON.stringify([f.label_id, f.group_name, f.frame, f.feature_id])))).toEqual(
      sorted(facts.frameObjects),
    )
    expect(
      sorted(rowsOf(rows, 'segments').map((s) => JSON.stringify([s.label_id, s.feature_id, s.group_name, s.start_frame, s.end_frame]))),
    ).toEqual(sorted(facts.segments))
    expect(
      sorted(rowsOf(rows, 'key_frames').map((k) => JSON.stringify([k.label_id, k.feature_id, k.group_name, k.frame, k.is_keyframe]))),
    ).toEqual(sorted(facts.keyFrames))
    expect(frameObjects.length).toBeGreaterThan(500)
    expect(frameObjects.length).toBe(stats.tables.frame_objects)
    expect(flat.rowsByTable.segments).toBe(stats.tables.segments)
    expect(flat.rowsByTable.key_frames).toBe(stats.tables.key_frames)
    // objects: image objects plus one row per video/DICOM track; classifications: the mapped ones plus frame answers.
    expect(flat.rowsByTable.objects).toBe(stats.tables.objects + stats.tracks)
    const classifications = rowsOf(rows, 'classifications')
    const frameScoped = classifications.filter((c) => c.scope === 'frame' || c.scope === 'object_frame')
    expect(frameScoped.length).toBe(stats.frameClassifications)
    expect(frameScoped.length).toBe(facts.frameAnswers)
    expect(classifications.length - frameScoped.length).toBe(stats.tables.classifications)
    for (const table of tableNames) {
      if (table === 'objects' || table === 'classifications') continue
      expect([table, flat.rowsByTable[table]]).toEqual([table, stats.tables[table]])
    }
    expect({ ...flat.rowsByTable }).toEqual(Object.fromEntries(tableNames.map((t) => [t, rows.filter((r) => r.table === t).length])))
  })

  it('finds the generated export consistent: every check at zero', async () => {
    const { records } = await generated
    const { stats } = flattenAll(records)
    expect(stats).toMatchObject({
      frameObjectsOutsideSegments: 0,
      segmentsWithStartAfterEnd: 0,
      keyFramesOutsideSegments: 0,
      gapsNotInterpolated: 0,
      interpolatedFrameObjects: 0,
      tracksInSeveralGroups: 0,
      frameEntriesNotLoaded: {},
      unknownObjectKeys: {},
    })
  })

  it('passes every table schema in column order, with unique primary keys', async () => {
    const { records } = await generated
    const { rows } = flattenAll(records)
    const columns = Object.fromEntries(tableNames.map((t) => [t, tableColumns(t).map((c) => c.name)]))
    const failures: string[] = []
    const seen = new Map<TableName, Set<string>>()
    for (const { table, row } of rows) {
      const result = tableSchemas[table].safeParse(row)
      if (!result.success) failures.push(`${table} ${JSON.stringify(row)}: ${result.error.message}`)
      if (Object.keys(row).join() !== columns[table]?.join()) failures.push(`${table} column order ${Object.keys(row).join()}`)
      const key = JSON.stringify(primaryKeys[table].map((column) => (row as Record<string, unknown>)[column as string]))
      let keys = seen.get(table)
      if (keys === undefined) seen.set(table, (keys = new Set()))
      if (keys.has(key)) failures.push(`duplicate ${table} ${key}`)
      keys.add(key)
      if (failures.length > 20) break
    }
    expect(failures).toEqual([])
  })

  it('aggregates each track from its frame_objects rows, keyframe flags from key_frame_feature_map', async () => {
    const { records } = await generated
    const facts = inputFacts(records)
    const { rows } = flattenAll(records)
    const byTrack = new Map<string, { first: number; last: number; count: number; keys: number; groups: Set<string> }>()
    for (const f of rowsOf(rows, 'frame_objects')) {
      expect(f.keyframe).toBe(facts.isKeyFrame.get(JSON.stringify([f.label_id, f.group_name, f.frame, f.feature_id])) === true)
      const key = `${f.label_id} ${f.feature_id}`
      const track = byTrack.get(key) ?? { first: f.frame, last: f.frame, count: 0, keys: 0, groups: new Set<string>() }
      track.first = Math.min(track.first, f.frame)
      track.last = Math.max(track.last, f.frame)
      track.count++
      if (f.keyframe) track.keys++
      track.groups.add(f.group_name)
      byTrack.set(key, track)
    }
    const tracks = rowsOf(rows, 'objects').filter((o) => o.frame_count !== null)
    expect(tracks.length).toBe(byTrack.size)
    for (const o of tracks) {
      const track = byTrack.get(`${o.label_id} ${o.feature_id}`)
      const group = [...(track?.groups ?? [])][0]
      expect([o.first_frame, o.last_frame, o.frame_count, o.keyframe_count, o.group_name]).toEqual([
        track?.first,
        track?.last,
        track?.count,
        track?.keys,
        group === '' ? null : group,
      ])
      expect(o.name).not.toBeNull()
    }
  })
})

/** The export with only the key-frame entries' frame objects kept, as if exported without interpolated_frames. */
function keyFramesOnly(records: readonly V2DataRow[]): V2DataRow[] {
  const copy = structuredClone(records) as V2DataRow[]
  for (const record of copy) {
    for (const project of Object.values(record.projects ?? {})) {
      for (const label of project.labels ?? []) {
        const a = label.annotations
        const frames = a?.frames
        if (a == null || frames == null) continue
        const keyFrames = (a.key_frame_feature_map ?? {}) as Record<string, Record<string, boolean>>
        for (const [frame, value] of Object.entries(frames)) {
          const objects = value.objects as Record<string, unknown>
          for (const feature of Object.keys(objects)) if (keyFrames[feature]?.[frame] === undefined) delete objects[feature]
        }
      }
    }
  }
  return copy
}

describe('interpolation against the generator, which materializes every frame linearly between key frames', () => {
  it('recomputes the dropped box and point frames within the export rounding, and leaves lines and masks alone', async () => {
    const { records } = await generate({ media: 'video', seed: 5, dataRows: 30, framesPerVideo: 200, frameClassifications: false })
    const full = rowsOf(flattenAll(records).rows, 'frame_objects')
    const { rows, stats } = flattenAll(keyFramesOnly(records), true)
    const filled = rowsOf(rows, 'frame_objects')
    const key = (f: TableRowOf<'frame_objects'>) => JSON.stringify([f.label_id, f.frame, f.feature_id])
    const interpolable = (f: TableRowOf<'frame_objects'>) => f.annotation_kind === 'VideoBoundingBox' || f.annotation_kind === 'VideoPoint'
    const expected = new Map(full.filter(interpolable).map((f) => [key(f), f]))
    const got = filled.filter(interpolable)
    expect(got.length).toBe(expected.size)
    let interpolated = 0
    for (const f of got) {
      const original = expected.get(key(f))
      expect(original, key(f)).toBeDefined()
      if (!f.interpolated) {
        expect(f).toEqual(original)
        continue
      }
      interpolated++
      expect(f.keyframe).toBe(false)
      // Anchors and the generator's own frames are both rounded to 0.1: at most 0.05 off each.
      const coordinates = ['bbox_top', 'bbox_left', 'bbox_height', 'bbox_width', 'point_x', 'point_y'] as const
      for (const c of coordinates) {
        const want = original?.[c] ?? null
        if (want === null) expect(f[c]).toBeNull()
        else expect(Math.abs((f[c] as number) - want), `${key(f)} ${c}`).toBeLessThanOrEqual(0.1 + 1e-9)
      }
    }
    expect(interpolated).toBeGreaterThan(1000)
    expect(stats.interpolatedFrameObjects).toBe(interpolated)
    // Polylines keep only their key frames, each gap counted.
    const lines = filled.filter((f) => f.annotation_kind === 'VideoPolyline')
    expect(lines.every((f) => !f.interpolated)).toBe(true)
    expect(lines.length).toBeLessThan(full.filter((f) => f.annotation_kind === 'VideoPolyline').length)
    expect(stats.gapsNotInterpolated).toBeGreaterThan(0)
    expect(stats.frameObjectsOutsideSegments).toBe(0)
  })
})

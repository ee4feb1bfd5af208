// Issue 4: Export v1 -> v2 data rows -> tables, on the real v1 samples and on generated exports.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeV1Export, writeV2Export } from '@labelpipe/benchmarks'
import { type V2DataRow, v2DataRow } from '@labelpipe/core'
import { framesDirResolver, readV2Export } from '@labelpipe/sources'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { labelledOnly, sorted, tablesOf, v1ToV2, withoutWhatV1Lacks } from './support/v1.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-v1-convert-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const sharedV1Fixtures = new URL('../../shared/fixtures/labelbox/v1/', import.meta.url)

// Counted by hand from the files: answers are radio 1, checklist 1 per option, text 1, at any depth
// (highly_nested_image.json: 5 under objects, one list inside a list, + 9 global).
const fixtureCounts = {
  'highly_nested_image.json': { labels: 1, dataRows: 1, objects: 3, answers: 14, frameObjects: 0, tracks: 0 },
  'image_export.json': { labels: 1, dataRows: 1, objects: 10, answers: 8, frameObjects: 0, tracks: 0 },
  'pdf_export.json': { labels: 1, dataRows: 1, objects: 7, answers: 0, frameObjects: 0, tracks: 0 },
  'text_export.json': { labels: 1, dataRows: 1, objects: 4, answers: 2, frameObjects: 0, tracks: 0 },
  'tiled_image_export.json': { labels: 2, dataRows: 2, objects: 14, answers: 0, frameObjects: 0, tracks: 0 },
  'unkown_media_type_export.json': { labels: 4, dataRows: 4, objects: 2, answers: 2, frameObjects: 0, tracks: 0 },
  'video_export.json': { labels: 1, dataRows: 1, objects: 0, answers: 0, frameObjects: 500, tracks: 7 },
} as const

describe('the real v1 samples', () => {
  it('has a count for every sample file', async () => {
    const files = (await readdir(sharedV1Fixtures)).filter((name) => name.endsWith('.json')).sort()
    expect(files).toEqual(Object.keys(fixtureCounts).sort())
  })

  for (const [name, counts] of Object.entries(fixtureCounts)) {
    it(`${name} converts to valid v2 data rows, keeping its labels, objects, answers and frame objects`, async () => {
      const { records, convert } = await v1ToV2(new URL(name, sharedV1Fixtures).pathname)
      for (const { value } of records) expect(v2DataRow.safeParse(value).error).toBeUndefined()
      const tables = tablesOf(
        records.map((record) => record.value),
        'v1',
      )
      const rows = (table: string) => tables.get(table)?.length ?? 0
      expect({
        labels: rows('labels'),
        dataRows: rows('data_rows'),
        objects: rows('objects') - counts.tracks,
        answers: rows('classifications'),
        frameObjects: rows('frame_objects'),
        tracks: counts.tracks,
      }).toEqual(counts)
      expect(convert.stats.labels).toBe(counts.labels)
      expect(convert.stats.frameObjects).toBe(counts.frameObjects)
    })
  }

  it('decides each sample label media, counts what it drops, and maps v1 fields as formats.md says', async () => {
    const media = async (name: string) => (await v1ToV2(new URL(name, sharedV1Fixtures).pathname)).convert.stats
    expect((await media('text_export.json')).labelsByMedia).toEqual({ text: 1 })
    expect((await media('pdf_export.json')).labelsByMedia).toEqual({ document: 1 })
    expect((await media('tiled_image_export.json')).labelsByMedia).toEqual({ geospatial: 2 })
    expect((await media('video_export.json')).labelsByMedia).toEqual({ video: 1 })
    const unknown = await media('unkown_media_type_export.json')
    // Its labels show polygons, or say `media_type: "image"`: all four are decided as images.
    expect({ ...unknown.labelsByMedia }).toEqual({ image: 4 })
    expect({ ...unknown.unknownMediaTypes }).toEqual({})
    const nested = await media('highly_nested_image.json')
    expect(nested.nestedClassificationLists).toBe(1)
    expect({ ...nested.droppedObjectKeys }).toEqual({ color: 3, instanceURI: 2 })
    expect({ ...nested.unmappedLabelKeys }).toEqual({ 'Benchmark ID': 1, 'Data Split': 1 })

    const { records } = await v1ToV2(new URL('highly_nested_image.json', sharedV1Fixtures).pathname, {
      convert: { projectId: 'ckt3h8d9z51l10y7uavvf5zcn' },
    })
    const row = records[0]?.value
    const label = row?.projects?.ckt3h8d9z51l10y7uavvf5zcn?.labels?.[0]
    expect(row?.projects?.ckt3h8d9z51l10y7uavvf5zcn?.name).toBe('test_annotation_types')
    expect(label?.performance_details).toEqual({
      seconds_to_create: 220.91400000000002,
      skipped: false,
      consensus_score: null,
      benchmark_score: null,
      has_open_issues: 0,
    })
    const objects = label?.annotations?.objects ?? []
    expect(objects.map((object) => object.annotation_kind)).toEqual(['ImagePolygon', 'ImageSegmentationMask', 'ImagePoint'])
    expect(objects[1]?.mask?.url).toMatch(/^https:\/\/api\.labelbox\.com\/masks\/feature\/ckt3hullq000c3h69o8iqty8k/)
    const global = label?.annotations?.classifications ?? []
    expect(global.map((c) => Object.keys(c).find((key) => key.endsWith('answer') || key.endsWith('answers')))).toEqual([
      'checklist_answers',
      'radio_answer',
      'checklist_answers',
      'text_answer',
      'radio_answer',
      'text_answer',
      'checklist_answers',
    ])
  })

  it('passes a label of an unknown media type through, counted, with objects of no annotation_kind', async () => {
    const text = await readFile(new URL('text_export.json', sharedV1Fixtures), 'utf8')
    const audio = { ...JSON.parse(text), media_type: 'audio', ID: 'audio-label' }
    const bare = { ...JSON.parse(text), ID: 'bare-label', 'DataRow ID': 'other', Label: { classifications: [] } }
    const file = join(dir, 'unknown.json')
    await writeFile(file, JSON.stringify([audio, bare]))
    const { records, convert } = await v1ToV2(file)
    expect({ ...convert.stats.unknownMediaTypes }).toEqual({ audio: 1, '(none)': 1 })
    for (const { value } of records) expect(v2DataRow.safeParse(value).error).toBeUndefined()
    const objects = tablesOf(
      records.map((record) => record.value),
      'v1',
    ).get('objects')
    expect(objects?.map((row) => row.annotation_kind)).toEqual([null, null, null, null])
    expect(objects?.map((row) => row.text_start)).toEqual([25, 372, 65, 290])
  })

  it("keys named like Object.prototype's (a project `constructor`, an attribute `constructor`) stay plain keys", async () => {
    const text = await readFile(new URL('text_export.json', sharedV1Fixtures), 'utf8')
    // Without its View Label URL, a label is keyed by its project name.
    const { 'View Label': _, ...label } = JSON.parse(text)
    const first = { ...label, ID: 'l1', 'Project Name': 'constructor', 'Media Attributes': { constructor: 'x', mimeType: 'text/plain' } }
    const second = { ...label, ID: 'l2', 'Project Name': 'toString' }
    const file = join(dir, 'prototype-keys.json')
    await writeFile(file, JSON.stringify([first, second]))
    const { records } = await v1ToV2(file)
    expect(records).toHaveLength(1)
    const record = records[0]?.value as V2DataRow
    expect(v2DataRow.safeParse(record).error).toBeUndefined()
    expect(Object.keys(record.projects ?? {}).sort()).toEqual(['constructor', 'toString'])
    expect(record.projects?.['constructor' as string]?.labels?.map((l) => l.id)).toEqual(['l1'])
    expect(record.media_attributes).toMatchObject({ constructor: 'x', mime_type: 'text/plain' })
  })

  it('video_export.json: segments are the maximal runs of each feature, key frames from `keyframe`', async () => {
    const { records } = await v1ToV2(new URL('video_export.json', sharedV1Fixtures).pathname)
    const annotations = records[0]?.value.projects?.ckqcx1d58068c0y619qv7hzgu?.labels?.[0]?.annotations
    const source = JSON.parse(await readFile(new URL('video_export.json', sharedV1Fixtures), 'utf8')) as {
      Label: { frameNumber: number; objects: { featureId: string; keyframe: boolean }[] }[]
    }
    const segments = (annotations?.segments ?? {}) as Record<string, [number, number][]>
    for (const [featureId, runs] of Object.entries(segments)) {
      const frames = source.Label.filter((frame) => frame.objects.some((object) => object.featureId === featureId)).map(
        (f) => f.frameNumber,
      )
      const covered = runs.flatMap(([start, end]) => Array.from({ length: end - start + 1 }, (_, i) => start + i))
      expect(covered).toEqual(frames)
      for (let i = 1; i < runs.length; i++)
        expect((runs[i] as [number, number])[0]).toBeGreaterThan((runs[i - 1] as [number, number])[1] + 1)
    }
    const keyFrames = annotations?.key_frame_feature_map as Record<string, Record<string, boolean>>
    const trueEntries = Object.values(keyFrames).reduce((sum, map) => sum + Object.values(map).filter(Boolean).length, 0)
    expect(trueEntries).toBe(477)
  })
  it("keys labels by their View Label URL's project id, the caller's id first, as a v2 export of them would be", async () => {
    const tables = async (name: string, projectId?: string) => {
      const { records } = await v1ToV2(new URL(name, sharedV1Fixtures).pathname, projectId === undefined ? {} : { convert: { projectId } })
      return tablesOf(
        records.map((record) => record.value),
        'v1',
      )
    }
    const image = await tables('image_export.json')
    expect(image.get('labels')?.map((row) => [row.project_id, row.project_name])).toEqual([
      ['ckr083gl1dr8j0yag4jo5cnnt', 'subclass_mal_project'],
    ])
    expect(image.get('project_data_rows')?.map((row) => row.project_id)).toEqual(['ckr083gl1dr8j0yag4jo5cnnt'])
    const given = await tables('image_export.json', 'my-project')
    expect(given.get('labels')?.map((row) => row.project_id)).toEqual(['my-project'])
    const unknown = await tables('unkown_media_type_export.json')
    expect(new Set(unknown.get('labels')?.map((row) => row.project_id))).toEqual(new Set(['ckw3cd90b38br0zd4dh4n1xou']))
  })

  it('review item 4: a label without a View Label URL takes the id another label of its project name gave', async () => {
    const image = JSON.parse(await readFile(new URL('image_export.json', sharedV1Fixtures), 'utf8'))
    const { 'View Label': _, ...bare } = image
    const url = (project: string, id: string) => `https://editor.labelbox.com?project=${project}&label=${id}`
    const label = (id: string, dataRow: string, project: string, viewLabel?: string) => ({
      ...(viewLabel === undefined ? bare : { ...bare, 'View Label': viewLabel }),
      ID: id,
      'DataRow ID': dataRow,
      'Project Name': project,
    })
    const cars = 'Cars/Trucks = 2021 v2'
    const labels = [
      // dr0 sorts before every URL of its project: it keeps the name (the documented residual).
      label('l0', 'dr0', cars),
      // In one data row: the URL-less label joins its sibling's project instead of a second one named after it.
      label('l1', 'dr1', cars, url('ckpzrfmvwabc0001project01', 'l1')),
      label('l2', 'dr1', cars),
      // A later data row: the id learned earlier in the export.
      label('l3', 'dr2', cars),
      // Two projects share a name: no id is guessed for their URL-less labels, in the data row or after it.
      label('l4', 'dr3', 'twins', url('ckpzrfmvwabc0002project02', 'l4')),
      label('l5', 'dr3', 'twins', url('ckpzrfmvwabc0003project03', 'l5')),
      label('l6', 'dr3', 'twins'),
      label('l7', 'dr4', 'twins'),
    ]
    const file = join(dir, 'partial-urls.json')
    await writeFile(file, JSON.stringify(labels))
    const { records } = await v1ToV2(file)
    const tables = tablesOf(
      records.map((record) => record.value),
      'v1',
    )
    expect(tables.get('project_data_rows')?.map((row) => [row.data_row_id, row.project_id])).toEqual([
      ['dr0', cars],
      ['dr1', 'ckpzrfmvwabc0001project01'],
      ['dr2', 'ckpzrfmvwabc0001project01'],
      ['dr3', 'ckpzrfmvwabc0002project02'],
      ['dr3', 'ckpzrfmvwabc0003project03'],
      ['dr3', 'twins'],
      ['dr4', 'twins'],
    ])
    expect(tables.get('labels')?.map((row) => [row.label_id, row.project_id])).toEqual([
      ['l0', cars],
      ['l1', 'ckpzrfmvwabc0001project01'],
      ['l2', 'ckpzrfmvwabc0001project01'],
      ['l3', 'ckpzrfmvwabc0001project01'],
      ['l4', 'ckpzrfmvwabc0002project02'],
      ['l5', 'ckpzrfmvwabc0003project03'],
      ['l6', 'twins'],
      ['l7', 'twins'],
    ])
  })

  it('fills data_rows.media_type from the label: its media_type, else the media decided for it', async () => {
    const mediaTypes = async (name: string) => {
      const { records } = await v1ToV2(new URL(name, sharedV1Fixtures).pathname)
      const rows = tablesOf(
        records.map((record) => record.value),
        'v1',
      ).get('data_rows')
      return Object.fromEntries(rows?.map((row) => [row.data_row_id, row.media_type]) ?? [])
    }
    // The label of this data row says `media_type: "image"` and has no objects to decide from.
    expect((await mediaTypes('unkown_media_type_export.json')).ckw3cctc41uqo0zo5gpma1mr2).toBe('image')
    expect(Object.values(await mediaTypes('video_export.json'))).toEqual(['video'])
    expect(Object.values(await mediaTypes('pdf_export.json'))).toEqual(['document'])
    // Media Attributes that name a MIME type decide it, as in v2 (the major type).
    const text = JSON.parse(await readFile(new URL('text_export.json', sharedV1Fixtures), 'utf8'))
    const file = join(dir, 'mime.json')
    await writeFile(file, JSON.stringify([{ ...text, 'Media Attributes': { mimeType: 'text/plain' } }]))
    const { records } = await v1ToV2(file)
    const rows = tablesOf(
      records.map((record) => record.value),
      'v1',
    ).get('data_rows')
    expect(rows?.map((row) => [row.media_type, row.media_attributes])).toEqual([['text', '{"mime_type":"text/plain"}']])
  })

  it('an object key v1 lacks but v2 names is dropped and counted, not written over the v2 field', async () => {
    const image = JSON.parse(await readFile(new URL('image_export.json', sharedV1Fixtures), 'utf8'))
    const [object] = image.Label.objects
    const objects = [{ ...object, name: 5, page_number: 'x', annotation_kind: 'Fake', unit: 'px' }]
    const file = join(dir, 'colliding-keys.json')
    await writeFile(file, JSON.stringify([{ ...image, Label: { ...image.Label, objects } }]))
    const { records, convert } = await v1ToV2(file)
    expect(convert.stats.droppedObjectKeys).toMatchObject({ name: 1, page_number: 1, annotation_kind: 1 })
    const rows = tablesOf(
      records.map((record) => record.value),
      'v1',
    ).get('objects')
    expect(rows?.map((row) => [row.name, row.annotation_kind])).toEqual([[object.title, 'ImageBoundingBox']])
    expect(JSON.parse(rows?.[0]?.geometry as string)).toMatchObject({ unit: 'px' })
  })

  it('turns a review score into the v2 action: positive Approve, negative Reject, zero none', async () => {
    const text = JSON.parse(await readFile(new URL('text_export.json', sharedV1Fixtures), 'utf8'))
    const review = (id: string, score: number) => ({
      id,
      score,
      createdAt: '2021-07-14T21:21:39.000Z',
      createdBy: 'r@example.com',
      labelId: text.ID,
    })
    const file = join(dir, 'reviews.json')
    await writeFile(file, JSON.stringify([{ ...text, Reviews: [review('r1', 1), review('r2', -1), review('r3', 0)] }]))
    const { records } = await v1ToV2(file)
    const rows = tablesOf(
      records.map((record) => record.value),
      'v1',
    ).get('label_reviews')
    expect(rows?.map((row) => [row.review_id, row.action, row.reviewed_by])).toEqual([
      ['r1', 'Approve', 'r@example.com'],
      ['r2', 'Reject', 'r@example.com'],
      ['r3', null, 'r@example.com'],
    ])
    expect(JSON.parse(rows?.[1]?.raw as string)).toMatchObject({ score: -1, action: 'Reject' })
  })
})

describe('generated v1 exports', () => {
  it('v1 -> v2 -> tables equals the tables of the v2 export of the same content (image and video)', async () => {
    for (const media of ['image', 'video'] as const) {
      const options = { seed: 7, media, dataRows: media === 'image' ? 300 : 12, framesPerVideo: 60 }
      const v2File = join(dir, `${media}.ndjson`)
      const v1File = join(dir, `${media}.json`)
      const framesDir = join(dir, `${media}-frames`)
      await writeV2Export(v2File, options)
      const stats = await writeV1Export(v1File, { ...options, spread: 50, framesDir })
      const v2Rows: V2DataRow[] = []
      for await (const batch of readV2Export(v2File)) for (const { value } of batch) v2Rows.push(...labelledOnly(value))
      const { records } = await v1ToV2(v1File, {
        convert: { projectId: (name) => (name === null ? undefined : stats.projectIds[name]) },
        frames: framesDirResolver(framesDir),
      })
      const expected = withoutWhatV1Lacks(tablesOf(v2Rows, 'v2'))
      const actual = tablesOf(
        records.map((record) => record.value),
        'v1',
      )
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort())
      for (const [table, rows] of expected) expect(sorted(actual.get(table) ?? []), `${media} ${table}`).toEqual(sorted(rows))
    }
  })

  it('a spread export converts with each data row id on exactly one record, its labels all there', async () => {
    const file = join(dir, 'spread.json')
    const stats = await writeV1Export(file, { seed: 3, media: 'image', dataRows: 6000, spread: 2000 })
    const { records, grouper } = await v1ToV2(file, { group: { memoryBudget: 2 * 1024 * 1024 } })
    expect(grouper.stats.spilledRuns).toBeGreaterThan(2)
    const ids = records.map((record) => record.value.data_row.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(stats.dataRows)
    const labels = records.reduce(
      (sum, { value }) => sum + Object.values(value.projects ?? {}).reduce((n, project) => n + (project.labels?.length ?? 0), 0),
      0,
    )
    expect(labels).toBe(stats.labels)
    expect(grouper.stats.spillDir).toBeUndefined()
  })

  it('frames files: a bad frame line fails naming the frames file and line', async () => {
    const framesDir = join(dir, 'frames')
    const file = join(dir, 'video.json')
    await writeV1Export(file, { seed: 2, media: 'video', dataRows: 2, framesPerVideo: 20, framesDir })
    const [first] = (await readdir(framesDir)).sort()
    const path = join(framesDir, first as string)
    const lines = (await readFile(path, 'utf8')).split('\n')
    lines[2] = '{"frameNumber":"three"}'
    await writeFile(path, lines.join('\n'))
    await expect(v1ToV2(file, { frames: framesDirResolver(framesDir) })).rejects.toThrow(
      new RegExp(`${first?.replace('.', '\\.')} line 3 \\(byte \\d+\\): frameNumber: Invalid input: expected number`),
    )
  })
})

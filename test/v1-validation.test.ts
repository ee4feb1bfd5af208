// Validation of Export v1 at the source, through the built CLI: a wrong-typed value in a v1 key that reaches a
// typed column (a review's createdAt, Media Attributes) is an LP_EXPORT_FORMAT error naming the file, line, byte
// and v1 field, and can be dead-lettered with --max-errors; before, it surfaced as a TypeError in the flattener
// (LP_TRANSFORM, aborting the load whatever --max-errors said) or as an LP_SINK column error. An error inside the
// `Label` union names the field, not just `Label: Invalid input`.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { listFiles, readNdjson } from './support/files.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-v1-validation-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const good = { ID: 'l0', 'DataRow ID': 'dr0', 'Project Name': 'P', Label: { objects: [] } }
const review = { score: 1, id: 'r1', createdAt: '2021-07-13T21:19:39.000Z', createdBy: 'a@b.c', labelId: 'l1' }

/** A v1 file of one label per line: element i is on line i + 1, its byte offset returned too. */
async function writeV1(name: string, labels: readonly unknown[]): Promise<{ file: string; byteOf: (index: number) => number }> {
  const file = join(dir, name)
  const lines = labels.map((label, i) => `${i === 0 ? '[' : ''}${JSON.stringify(label)}${i === labels.length - 1 ? ']' : ','}`)
  await writeFile(file, `${lines.join('\n')}\n`)
  const byteOf = (index: number) =>
    lines.slice(0, index).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0) + (index === 0 ? 1 : 0)
  return { file, byteOf }
}

async function manifestOf(root: string): Promise<{ rows: Record<string, number>; dead_letters: number }> {
  const [name] = await readdir(join(root, '_manifests'))
  return JSON.parse(await readFile(join(root, '_manifests', name as string), 'utf8'))
}

describe('labelpipe load <Export v1>: wrong-typed values fail at the source with their v1 field', () => {
  it('a review createdAt that is a number fails the load naming file, line, byte and Reviews[0].createdAt', async () => {
    const { file, byteOf } = await writeV1('review.json', [
      good,
      { ...good, ID: 'l1', 'DataRow ID': 'dr1', Reviews: [{ ...review, createdAt: 1626302499000 }] },
    ])
    const out = join(dir, 'out')
    const result = await runCli(['load', file, '--to', `ndjson:${out}`, '-q'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `labelpipe: ${file} line 2 (byte ${byteOf(1)}, array index 1): Reviews[0].createdAt: Invalid input: expected string, received number [LP_EXPORT_FORMAT in readV1Export]\n`,
    )
    expect(await listFiles(out)).toEqual([])
  })

  it('with --max-errors 5 the bad label is dead-lettered and the others load', async () => {
    const bad = { ...good, ID: 'l1', 'DataRow ID': 'dr1', Reviews: [{ ...review, createdAt: 1626302499000 }] }
    const { file, byteOf } = await writeV1('review.json', [good, bad, { ...good, ID: 'l2', 'DataRow ID': 'dr2', Reviews: [review] }])
    const out = join(dir, 'out')
    const result = await runCli(['load', file, '--to', `ndjson:${out}`, '--max-errors', '5', '--load-id', 'dl'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`1 bad lines dead-lettered to ${join(out, '_dead_letters', 'dl.ndjson')}`)
    const letters = await readNdjson(join(out, '_dead_letters', 'dl.ndjson'))
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({ file, line: 2, byteOffset: byteOf(1), code: 'LP_EXPORT_FORMAT', raw: JSON.stringify(bad) })
    expect(letters[0]?.reason).toContain('Reviews[0].createdAt: Invalid input: expected string, received number')
    const manifest = await manifestOf(out)
    expect(manifest.dead_letters).toBe(1)
    expect(manifest.rows).toMatchObject({ data_rows: 2, labels: 2, label_reviews: 1 })
    const reviews = await readNdjson(join(out, 'label_reviews', 'part-dl-00000.ndjson'))
    expect(reviews.map((row) => [row.label_id, row.review_id, row.reviewed_by, row.reviewed_at])).toEqual([
      ['l2', 'r1', 'a@b.c', '2021-07-13T21:19:39.000Z'],
    ])
  })

  it.each([
    [
      'a review createdBy object',
      { Reviews: [{ ...review, createdBy: { email: 'a@b.c' } }] },
      'Reviews[0].createdBy: Invalid input: expected string, received object',
    ],
    ['a review createdAt in a local format', { Reviews: [{}, { ...review, createdAt: '13/07/2021 21:19' }] }, 'Reviews[1].createdAt: '],
    [
      'a Media Attributes mimeType list',
      { 'Media Attributes': { mimeType: ['image/png'] } },
      'Media Attributes.mimeType: Invalid input: expected string, received array',
    ],
    [
      'a Media Attributes width string',
      { 'Media Attributes': { width: '1080' } },
      'Media Attributes.width: Invalid input: expected number, received string',
    ],
    [
      'a DataRow Metadata schemaName number',
      { 'DataRow Metadata': [{ schemaName: 3, value: 'x' }] },
      'DataRow Metadata[0].schemaName: Invalid input: expected string, received number',
    ],
  ])('%s is an LP_EXPORT_FORMAT error naming its v1 field', async (_, fields, detail) => {
    const { file } = await writeV1('bad.json', [{ ...good, ...fields }])
    const result = await runCli(['load', file, '--to', `ndjson:${join(dir, 'out')}`, '-q'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${file} line 1 (byte 1, array index 0): ${detail}`)
    expect(result.stderr).toContain('[LP_EXPORT_FORMAT in readV1Export]')
  })
})

describe('labelpipe load <Export v1>: an error inside the Label union names the field', () => {
  it('a bbox.top string names Label.objects[0].bbox.top', async () => {
    const bad = {
      ...good,
      ID: 'l1',
      'DataRow ID': 'dr1',
      Label: { objects: [{ featureId: 'f1', bbox: { top: 'x', left: 1, height: 1, width: 1 } }] },
    }
    const { file, byteOf } = await writeV1('bbox.json', [good, bad])
    const result = await runCli(['load', file, '--to', `ndjson:${join(dir, 'out')}`, '-q'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `labelpipe: ${file} line 2 (byte ${byteOf(1)}, array index 1): Label.objects[0].bbox.top: Invalid input: expected number, received string [LP_EXPORT_FORMAT in readV1Export]\n`,
    )
  })

  it('a frameNumber string in inlined video frames names Label[1].frameNumber', async () => {
    const frames = [
      { frameNumber: 1, objects: [{ featureId: 'f1', keyframe: true, point: { x: 1, y: 2 } }] },
      { frameNumber: '2', objects: [] },
    ]
    const { file } = await writeV1('video.json', [{ ...good, Label: frames }])
    const result = await runCli(['load', file, '--to', `ndjson:${join(dir, 'out')}`, '-q'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `${file} line 1 (byte 1, array index 0): Label[1].frameNumber: Invalid input: expected number, received string`,
    )
  })
})

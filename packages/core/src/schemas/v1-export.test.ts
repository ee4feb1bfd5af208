import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compileValidator } from './compile-validator.js'
import { v1Label } from './v1-export.js'

// The v1 keys v1LabelsToDataRows copies into typed v2 fields (reviews, media attributes, metadata entries,
// relationships) are typed here, so a wrong-typed value fails at the source with its v1 path. Both the zod parse
// and the compiled predicate the sources use on the fast path are checked: they must agree.

const fixtures = new URL('../../../../../shared/fixtures/labelbox/v1/', import.meta.url)
const isV1Label = compileValidator(v1Label)

const base = { ID: 'l1', 'DataRow ID': 'dr1', Label: { objects: [] } }

function firstIssuePath(value: unknown): PropertyKey[] | undefined {
  const result = v1Label.safeParse(value)
  expect(isV1Label(value)).toBe(result.success)
  return result.success ? undefined : result.error.issues[0]?.path
}

describe('v1Label', () => {
  const names = readdirSync(fixtures).filter((name) => name.endsWith('.json'))

  it('accepts every label of the real v1 samples', () => {
    expect(names.length).toBeGreaterThanOrEqual(7)
    for (const name of names) {
      const json: unknown = JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'))
      for (const label of Array.isArray(json) ? json : [json]) expect(firstIssuePath(label), name).toBeUndefined()
    }
  })

  it('accepts null, absent and unknown keys in reviews, media attributes, metadata and relationships', () => {
    const label = {
      ...base,
      Label: { objects: [], relationships: [{ featureId: 'r', source: 'a', target: 'b', type: 'unidirectional', extra: 1 }, {}] },
      Reviews: [
        { score: 1, id: 'r1', createdAt: '2021-07-13T21:19:39.000Z', createdBy: 'a@b.c', labelId: 'l1' },
        { score: null, id: null, createdAt: null, createdBy: null, note: { any: 'thing' } },
        {},
      ],
      'Media Attributes': { mimeType: 'video/mp4', assetType: 'video', width: 1920, height: null, frameRate: 29.97, exifRotation: '1' },
      'DataRow Metadata': [{ schemaId: 's', schemaName: 'split', value: ['a', 'b'], valueName: 7 }, { schemaId: null }],
    }
    expect(firstIssuePath(label)).toBeUndefined()
    expect(firstIssuePath({ ...base, Reviews: null, 'Media Attributes': null, 'DataRow Metadata': null })).toBeUndefined()
  })

  it.each([
    ['Reviews', [{ createdAt: 1626302499000 }], ['Reviews', 0, 'createdAt']],
    ['Reviews', [{}, { createdAt: '13/07/2021 21:19' }], ['Reviews', 1, 'createdAt']],
    ['Reviews', [{ created_at: 1626302499000 }], ['Reviews', 0, 'created_at']],
    ['Reviews', [{ createdBy: { email: 'a@b.c' } }], ['Reviews', 0, 'createdBy']],
    ['Reviews', [{ created_by: 5 }], ['Reviews', 0, 'created_by']],
    ['Reviews', [{ id: 9 }], ['Reviews', 0, 'id']],
    ['Reviews', [{ score: '1' }], ['Reviews', 0, 'score']],
    ['Reviews', [{ action: true }], ['Reviews', 0, 'action']],
    ['Media Attributes', { mimeType: ['image/png'] }, ['Media Attributes', 'mimeType']],
    ['Media Attributes', { mime_type: 1 }, ['Media Attributes', 'mime_type']],
    ['Media Attributes', { assetType: {} }, ['Media Attributes', 'assetType']],
    ['Media Attributes', { width: '1080' }, ['Media Attributes', 'width']],
    ['Media Attributes', { height: true }, ['Media Attributes', 'height']],
    ['Media Attributes', { frameRate: '30' }, ['Media Attributes', 'frameRate']],
    ['Media Attributes', { frame_count: '300' }, ['Media Attributes', 'frame_count']],
    ['DataRow Metadata', [{ schemaId: 3 }], ['DataRow Metadata', 0, 'schemaId']],
    ['DataRow Metadata', [{ schemaName: ['x'] }], ['DataRow Metadata', 0, 'schemaName']],
  ])('rejects %s %j at its v1 path', (key, value, path) => {
    expect(firstIssuePath({ ...base, [key]: value })).toEqual(path)
  })

  it.each([
    [{ featureId: 1 }, 'featureId'],
    [{ schemaId: [] }, 'schemaId'],
    [{ title: {} }, 'title'],
    [{ name: 2 }, 'name'],
    [{ source: { featureId: 'a' } }, 'source'],
    [{ target: 3 }, 'target'],
    [{ type: false }, 'type'],
  ])('rejects a relationship %j at Label.relationships[0].%s', (relationship, key) => {
    // The union Label reports at `Label`; the path inside it is the object option's (parse-record.ts reports that one).
    const result = v1Label.safeParse({ ...base, Label: { relationships: [relationship] } })
    expect(result.success).toBe(false)
    const union = result.error?.issues[0]
    expect(union?.code).toBe('invalid_union')
    const objectOption = union?.code === 'invalid_union' ? union.errors[0] : undefined
    expect(objectOption?.[0]?.path).toEqual(['relationships', 0, key])
    expect(isV1Label({ ...base, Label: { relationships: [relationship] } })).toBe(false)
  })
})

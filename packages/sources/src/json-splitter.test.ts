import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JsonSplitError, type JsonSplitHandler, JsonSplitter, type SplitPattern } from './json-splitter.js'

interface Split {
  readonly header: string
  readonly targets: { path: readonly (string | number)[]; at: number; members: [string | number, number, string][] }[]
}

function split(text: string, patterns: readonly SplitPattern[], chunkSizes: readonly number[] = [text.length || 1]): Split {
  const header: Buffer[] = []
  const targets: Split['targets'] = []
  let member: Buffer[] = []
  const handler: JsonSplitHandler = {
    headerBytes: (bytes) => header.push(Buffer.from(bytes)),
    targetOpen: (path, at) => targets.push({ path, at, members: [] }),
    memberStart: (key, at) => {
      member = []
      targets.at(-1)?.members.push([key, at, ''])
    },
    memberBytes: (bytes) => member.push(Buffer.from(bytes)),
    memberEnd: () => {
      const last = targets.at(-1)?.members.at(-1)
      if (last !== undefined) last[2] = Buffer.concat(member).toString()
    },
    targetClose: () => {},
  }
  const splitter = new JsonSplitter(patterns, handler)
  const bytes = Buffer.from(text)
  let at = 0
  for (let c = 0; at < bytes.length; c++) {
    const size = Math.max(1, chunkSizes[c % chunkSizes.length] as number)
    splitter.write(bytes.subarray(at, at + size))
    at += size
  }
  splitter.end()
  return { header: Buffer.concat(header).toString(), targets }
}

const framesPatterns: SplitPattern[] = [
  ['projects', '*', 'labels', '#', 'annotations', 'frames'],
  ['projects', '*', 'labels', '#', 'annotations', 'groups', '*', 'frames'],
]

describe('JsonSplitter', () => {
  it('splits a video frames map out of a data row and leaves it empty in the header', () => {
    const row = {
      data_row: { id: 'dr1' },
      projects: {
        p1: {
          labels: [
            { id: 'l0', annotations: { frames: {}, segments: { f: [[1, 2]] } } },
            { id: 'l1', annotations: { frames: { '1': { objects: { f: { x: '}"]' } } }, '2': null, '10': [1, '\\"'] }, segments: {} } },
          ],
        },
      },
    }
    const text = JSON.stringify(row)
    const result = split(text, framesPatterns)
    const expected = structuredClone(row) as typeof row
    ;(expected.projects.p1.labels[1] as { annotations: { frames: object } }).annotations.frames = {}
    expect(JSON.parse(result.header)).toEqual(expected)
    expect(result.targets.map((t) => t.path)).toEqual([
      ['projects', 'p1', 'labels', 0, 'annotations', 'frames'],
      ['projects', 'p1', 'labels', 1, 'annotations', 'frames'],
    ])
    const members = result.targets[1]?.members ?? []
    expect(members.map(([key, , value]) => [key, JSON.parse(value)])).toEqual([
      ['1', { objects: { f: { x: '}"]' } } }],
      ['2', null],
      ['10', [1, '\\"']],
    ])
    for (const [, at, value] of members)
      expect(
        Buffer.from(text)
          .subarray(at, at + Buffer.byteLength(value))
          .toString(),
      ).toBe(value)
  })

  it('splits the elements of a root array (the v1 label array), with their offsets', () => {
    const text = ' [ {"a": [1, {"b": "]"}]} ,\n"s\\"x", 12.5e3 , null,[] ] \r\n'
    const result = split(text, [[]])
    expect(result.header.replace(/\s/g, '')).toBe('[]')
    expect(result.targets[0]?.members.map(([key, at, value]) => [key, text.slice(at, at + value.length), JSON.parse(value)])).toEqual([
      [0, '{"a": [1, {"b": "]"}]}', { a: [1, { b: ']' }] }],
      [1, '"s\\"x"', 's"x'],
      [2, '12.5e3', 12500],
      [3, 'null', null],
      [4, '[]', []],
    ])
  })

  it('gives the same split for every chunking, pretty-printed or not (property)', () => {
    const member = fc.jsonValue({ maxDepth: 3 })
    const doc = fc.record({
      projects: fc.dictionary(
        fc.string({ maxLength: 4 }),
        fc.record({
          labels: fc.array(
            fc.record({
              annotations: fc.record({
                frames: fc.dictionary(fc.oneof(fc.nat({ max: 99 }).map(String), fc.string({ maxLength: 3 })), member, { maxKeys: 4 }),
                other: member,
              }),
            }),
            { maxLength: 3 },
          ),
        }),
        { maxKeys: 3 },
      ),
      tail: member,
    })
    fc.assert(
      fc.property(doc, fc.boolean(), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), (value, pretty, chunks) => {
        const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)
        const result = split(text, framesPatterns, chunks)
        const header = JSON.parse(result.header) as typeof value
        // What the text says, not the generated value: JSON has no -0 (JSON.stringify(-0) is "0").
        const written = JSON.parse(text) as typeof value
        const expectedMembers: [string, unknown][][] = []
        for (const project of Object.values(written.projects)) {
          for (const label of project.labels) expectedMembers.push(Object.entries(label.annotations.frames))
        }
        for (const project of Object.values(header.projects)) {
          for (const label of project.labels) expect(label.annotations.frames).toEqual({})
        }
        expect(result.targets.map((t) => t.members.map(([key, , text]) => [key, JSON.parse(text)]))).toEqual(expectedMembers)
      }),
      { numRuns: 300 },
    )
  })

  it.each([
    ['{"a":1,}', 'expected a key after ","', 7],
    ['{"a" 1}', 'expected ":" after the key', 5],
    ['[1 2]', 'expected "," or "]"', 3],
    ['{"a":1]', 'expected "," or "}"', 6],
    ['[1,]', 'expected a value, got "]"', 3],
    ['{"a":1} x', 'expected nothing after the JSON value', 8],
    ['{"a":"b', 'the text ends inside a string', 7],
    ['{"a":[1,', 'the text ends inside an array', 8],
    ['  ', 'no JSON value', 2],
    ['{"a":"x\ty"}', 'control character inside a string', 7],
  ])('rejects %j: %s', (text, message, byteOffset) => {
    let error: unknown
    try {
      split(text, [])
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(JsonSplitError)
    expect((error as JsonSplitError).message).toContain(message)
    expect((error as JsonSplitError).byteOffset).toBe(byteOffset)
  })

  it('reports a target that the text ends inside of', () => {
    expect(() => split('[{"a":1}, {"b":', [[]])).toThrow('the text ends inside an array')
  })

  it('decodes escaped keys on the pattern path', () => {
    const result = split('{"pro\\u006aects":{"p\\"1":{"labels":[{"annotations":{"frames":{"7":{}}}}]}}}', framesPatterns)
    expect(result.targets[0]?.path).toEqual(['projects', 'p"1', 'labels', 0, 'annotations', 'frames'])
    expect(result.targets[0]?.members.map(([key]) => key)).toEqual(['7'])
  })
})

import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { compileValidator } from './compile-validator.js'
import { v2DataRow } from './v2-export.js'

const fixtureDir = new URL('../../../../test/fixtures/v2/', import.meta.url)
const fixtureRows: unknown[] = readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.ndjson'))
  .flatMap((name) =>
    readFileSync(new URL(name, fixtureDir), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as unknown),
  )

/** Every (path, value) inside a JSON value, so a mutation can target any depth. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix]
  if (Array.isArray(value)) for (const [i, item] of value.entries()) out.push(...paths(item, [...prefix, i]))
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]))
  return out
}

/**
 * Own `__proto__` keys anywhere in a value. compileValidator's one documented difference from zod: where zod's
 * output has fewer than its input (zod dropped one from an object or record it checked), the predicate is false.
 */
function protoKeyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  const own = !Array.isArray(value) && Object.hasOwn(value, '__proto__') ? 1 : 0
  return Object.values(value).reduce((sum: number, item) => sum + protoKeyCount(item), own)
}

function replaceAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement
  const [head, ...rest] = path
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
  copy[head as string | number] = replaceAt(copy[head as string | number], rest, replacement)
  return copy
}

describe('compileValidator', () => {
  const isDataRow = compileValidator(v2DataRow)

  it('accepts every v2 fixture row, as zod does', () => {
    expect(fixtureRows.length).toBeGreaterThan(5)
    for (const row of fixtureRows) expect([isDataRow(row), v2DataRow.safeParse(row).success]).toEqual([true, true])
  })

  // A fixed seed, then a random one (fast-check prints it on failure, to replay), as in test/property-tables.test.ts.
  for (const seed of [9, undefined]) {
    it(`agrees with zod on fixture rows with any one value replaced by any JSON value (seed ${seed ?? 'random'})`, () => {
      const protoKeyed = JSON.parse('{"__proto__":{"":0},"ok":[[1,2]]}') as unknown
      const replacement = fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom(null, '', 'not-a-date', 1.5, -1, 2 ** 31, [], {}, [[1, 2]], [[1, 2, 3]], { x: 1, y: '2' }, protoKeyed),
      )
      fc.assert(
        fc.property(fc.nat(fixtureRows.length - 1), fc.nat(), replacement, (rowIndex, pathIndex, value) => {
          const row = fixtureRows[rowIndex]
          const all = paths(row)
          const mutated = replaceAt(row, all[pathIndex % all.length] as (string | number)[], value)
          const parsed = v2DataRow.safeParse(mutated)
          expect(isDataRow(mutated)).toBe(parsed.success && protoKeyCount(parsed.data) === protoKeyCount(mutated))
        }),
        { numRuns: 3000, ...(seed === undefined ? {} : { seed }) },
      )
    })
  }

  it('is false for an own __proto__ key, which zod passes without checking it', () => {
    const row = fixtureRows.find((r) => JSON.stringify(r).includes('"segments":{"')) as { projects: Record<string, unknown> }
    const text = JSON.stringify(row).replace('"segments":{', '"segments":{"__proto__":{"not":"ranges"},')
    const withProto = JSON.parse(text) as unknown
    expect(v2DataRow.safeParse(withProto).success).toBe(true)
    expect(isDataRow(withProto)).toBe(false)
    const looseWithProto = JSON.parse(JSON.stringify(row).replace('{', '{"__proto__":1,')) as unknown
    expect([v2DataRow.safeParse(looseWithProto).success, isDataRow(looseWithProto)]).toEqual([true, false])
  })

  it('implements each supported zod construct as zod does', () => {
    const schema = z.looseObject({
      int: z.number().int().min(-2).max(2).optional(),
      exclusive: z.number().gt(0).lt(1).optional(),
      date: z
        .string()
        .refine((s) => !Number.isNaN(Date.parse(s)))
        .nullish(),
      pair: z.tuple([z.number(), z.string()]).optional(),
      either: z.union([z.boolean(), z.array(z.number())]).optional(),
      map: z.record(z.string(), z.object({ n: z.number() })).optional(),
      any: z.unknown().optional(),
    })
    const isValid = compileValidator(schema)
    const samples: unknown[] = [
      {},
      { int: 2 },
      { int: 3 },
      { int: 1.5 },
      { exclusive: 0 },
      { exclusive: 0.5 },
      { date: '2024-01-01T00:00:00Z' },
      { date: 'nope' },
      { date: null },
      { pair: [1, 'a'] },
      { pair: [1] },
      { pair: [1, 'a', 2] },
      { either: true },
      { either: [1, 'x'] },
      { map: { a: { n: 1 } } },
      { map: { a: { n: '1' } } },
      { map: [] },
      { any: Number.NaN },
      null,
      [],
      'x',
    ]
    for (const sample of samples) expect([sample, isValid(sample)]).toEqual([sample, schema.safeParse(sample).success])
  })

  it('refuses, at compile time, zod features it does not implement', () => {
    expect(() => compileValidator(z.string().min(2))).toThrow(/check min_length is not supported/)
    expect(() => compileValidator(z.strictObject({}))).toThrow(/catchall never/)
    expect(() => compileValidator(z.string().transform((s) => s.length))).toThrow(/pipe is not supported/)
  })
})

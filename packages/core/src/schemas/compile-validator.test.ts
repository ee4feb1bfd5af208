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

  it('agrees with zod on fixture rows with any one value replaced by any JSON value', () => {
    const replacement = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(null, '', 'not-a-date', 1.5, -1, 2 ** 31, [], {}, [[1, 2]], [[1, 2, 3]], { x: 1, y: '2' }),
    )
    fc.assert(
      fc.property(fc.nat(fixtureRows.length - 1), fc.nat(), replacement, (rowIndex, pathIndex, value) => {
        const row = fixtureRows[rowIndex]
        const all = paths(row)
        const mutated = replaceAt(row, all[pathIndex % all.length] as (string | number)[], value)
        expect(isDataRow(mutated)).toBe(v2DataRow.safeParse(mutated).success)
      }),
      { numRuns: 3000 },
    )
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

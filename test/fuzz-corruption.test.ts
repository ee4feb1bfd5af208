// Issue 9: random corruption of real-shaped exports (bytes flipped, ranges cut or repeated, truncation) never
// hangs, never crashes without a LabelpipeError, and never loses a line silently: with dead letters allowed, every
// line of a v2 export is a record, a blank line or a dead letter; without, the error has a code and a position.
// fast-check runs a fixed seed and then a random one (printed by fast-check on failure, to replay).
import { Readable } from 'node:stream'
import { generateV1Export, generateV2Export } from '@labelpipe/benchmarks'
import { type DeadLetter, isLabelpipeError, runStage } from '@labelpipe/core'
import { readV1Export, readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

let v2: Buffer
let v1: Buffer
beforeAll(async () => {
  v2 = await bytesOf(generateV2Export({ seed: 21, media: 'mixed', dataRows: 40, framesPerVideo: 12 }))
  v1 = await bytesOf(generateV1Export({ seed: 21, media: 'video', dataRows: 12, framesPerVideo: 8, spread: 5 }))
})

/** A corruption: flip bytes, cut a range, repeat a range, or truncate; positions as fractions of the input. */
const corruption = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('cut' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
)
type Corruption = typeof corruption extends fc.Arbitrary<infer T> ? T : never

function corrupt(input: Buffer, changes: readonly Corruption[]): Buffer {
  let out = input
  for (const change of changes) {
    const at = Math.min(out.length - 1, Math.floor(change.at * out.length))
    if (change.kind === 'flip') {
      out = Buffer.from(out)
      out[at] = change.byte
    } else if (change.kind === 'cut') out = Buffer.concat([out.subarray(0, at), out.subarray(at + change.length)])
    else if (change.kind === 'repeat') out = Buffer.concat([out.subarray(0, at + change.length), out.subarray(at)])
    else out = out.subarray(0, at)
  }
  return out
}

/** Runs `work` or fails the property if it takes longer than `ms`: a hang is a bug, not a slow test. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms: a hang`)), ms)
  })
  try {
    return await Promise.race([work, hang])
  } finally {
    clearTimeout(timer)
  }
}

async function readAllV2(bytes: Buffer, maxErrors: number) {
  const letters: DeadLetter[] = []
  const reader = readV2Export(Readable.from([bytes]), {
    maxErrors,
    ...(maxErrors > 0 ? { deadLetters: (l: DeadLetter) => void letters.push(l) } : {}),
  })
  const flatten = runStage(flattenDataRows({ loadId: 'fuzz', source: 'v2', interpolate: true }))
  let rows = 0
  for await (const batch of flatten(reader)) rows += batch.length
  return { stats: reader.stats, letters, rows }
}

function expectLabelpipeError(error: unknown) {
  expect(isLabelpipeError(error), String((error as Error)?.stack ?? error)).toBe(true)
  const e = error as { code: string; line?: number; byteOffset?: number; file?: string }
  expect(e.code).toMatch(/^LP_/)
  // Every input error names where: a line, or a byte offset, in the file.
  if (e.code === 'LP_EXPORT_FORMAT' || e.code === 'LP_INVALID_UTF8') expect(e.line ?? e.byteOffset).toBeDefined()
}

const runs = (seed?: number) => ({ numRuns: 40, ...(seed === undefined ? {} : { seed }) })

describe('corrupted exports (issue 9)', () => {
  for (const seed of [7, undefined]) {
    it(`v2: every line is a record, a blank line or a dead letter; else a positioned LabelpipeError (seed ${seed ?? 'random'})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(corruption, { minLength: 1, maxLength: 4 }), async (changes) => {
          const bytes = corrupt(v2, changes)
          const lines = bytes.length === 0 ? 0 : bytes.toString('latin1').split('\n').length - (bytes.at(-1) === 0x0a ? 1 : 0)
          const tolerant = await within(10_000, readAllV2(bytes, 1_000_000)).catch((error: unknown) => error)
          if (tolerant instanceof Error || isLabelpipeError(tolerant)) expectLabelpipeError(tolerant)
          else {
            const { stats, letters } = tolerant as Awaited<ReturnType<typeof readAllV2>>
            expect(stats.records + stats.blankLines + stats.deadLetters).toBe(lines)
            expect(letters).toHaveLength(stats.deadLetters)
          }
          const strict = await within(10_000, readAllV2(bytes, 0)).catch((error: unknown) => error)
          if (strict instanceof Error || isLabelpipeError(strict)) expectLabelpipeError(strict)
        }),
        runs(seed),
      )
    }, 120_000)

    it(`v1: every complete element is a label or a dead letter; else a positioned LabelpipeError (seed ${seed ?? 'random'})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(corruption, { minLength: 1, maxLength: 3 }), async (changes) => {
          const bytes = corrupt(v1, changes)
          const letters: DeadLetter[] = []
          const reader = readV1Export(Readable.from([bytes]), { maxErrors: 1_000_000, deadLetters: (l) => void letters.push(l) })
          const done = await within(
            10_000,
            (async () => {
              let labels = 0
              for await (const batch of reader) labels += batch.length
              return labels
            })(),
          ).catch((error: unknown) => error)
          if (typeof done === 'number') {
            expect(done).toBe(reader.stats.records)
            expect(reader.stats.records + reader.stats.deadLetters).toBe(reader.stats.elements)
          } else expectLabelpipeError(done)
        }),
        runs(seed),
      )
    }, 120_000)
  }
})

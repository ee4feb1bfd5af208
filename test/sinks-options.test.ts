// Options are checked once, in the factory, before any file is opened (undici style): a bad one throws
// InvalidOptionError naming the option and its rule, and the disk is never touched.

import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '@labelpipe/core'
import { type NdjsonSinkOptions, ndjsonSink } from '@labelpipe/sinks/ndjson'
import { type ParquetSinkOptions, parquetSink } from '@labelpipe/sinks/parquet'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'labelpipe-options-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const base = () => ({ dir: join(root, 'out'), loadId: '20261125T015516123Z-3fa9c1' })

function rejects(create: () => unknown, option: string, rule: RegExp): void {
  let thrown: unknown
  try {
    create()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(InvalidOptionError)
  expect(thrown).toMatchObject({ code: 'LP_INVALID_OPTION' })
  expect((thrown as Error).message).toMatch(new RegExp(`^invalid option ${option}: `))
  expect((thrown as Error).message).toMatch(rule)
  expect(existsSync(join(root, 'out'))).toBe(false)
}

// Options arrive from config files and JavaScript callers too, so the factories are called with what the
// types forbid: the checks must not depend on the compiler.
const asNdjson = (options: Record<string, unknown>) => () => ndjsonSink(options as unknown as NdjsonSinkOptions)
const asParquet = (options: Record<string, unknown>) => () => parquetSink(options as unknown as ParquetSinkOptions)

describe.each([
  ['ndjsonSink', asNdjson],
  ['parquetSink', asParquet],
])('%s options', (_name, factory) => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a missing dir', { dir: undefined }, 'dir', /required and must be a non-empty string, got undefined/],
    ['an empty dir', { dir: '' }, 'dir', /non-empty string, got string ""/],
    ['a missing loadId', { loadId: undefined }, 'loadId', /required and must be a valid load id/],
    ['a loadId with a slash', { loadId: '../escape' }, 'loadId', /valid load id .*got string "\.\.\/escape"/],
    ['a loadId with a space', { loadId: 'a b' }, 'loadId', /valid load id/],
    ['a non-function describeRun', { describeRun: 'v2' }, 'describeRun', /must be a function, got string "v2"/],
    ['highWaterMark 0', { highWaterMark: 0 }, 'highWaterMark', /integer from 1 to 1000000, got number 0/],
    ['a fractional highWaterMark', { highWaterMark: 1.5 }, 'highWaterMark', /integer/],
    ['an unknown option', { rowGroupSize: 10 }, 'rowGroupSize', /is not an option of this sink/],
  ])('rejects %s', (_case, patch, option, rule) => {
    rejects(factory({ ...base(), ...patch }), option, rule)
  })

  it('rejects options that are not an object', () => {
    rejects(factory(null as unknown as Record<string, unknown>), 'options', /must be an object, got null/)
  })

  it('opens nothing for valid options until rows arrive', () => {
    const sink = factory(base())()
    expect(existsSync(join(root, 'out'))).toBe(false)
    sink.destroy()
  })
})

describe('ndjsonSink-only options', () => {
  it('rejects a non-boolean gzip', () => {
    rejects(asNdjson({ ...base(), gzip: 'yes' }), 'gzip', /must be a boolean, got string "yes"/)
  })

  it('rejects the Parquet options', () => {
    rejects(asNdjson({ ...base(), compression: 'snappy' }), 'compression', /is not an option of this sink/)
  })
})

describe('parquetSink-only options', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an unknown engine', { engine: 'duckdb' }, 'engine', /one of 'parquet-wasm', 'parquetjs-lite', got string "duckdb"/],
    ['an unknown codec', { compression: 'lz4' }, 'compression', /one of 'snappy', 'zstd', 'gzip', 'none'/],
    [
      'zstd with parquetjs-lite',
      { engine: 'parquetjs-lite', compression: 'zstd' },
      'compression',
      /'zstd' is not supported by engine 'parquetjs-lite' \(supported: 'snappy', 'gzip', 'none'\)/,
    ],
    ['rowGroupRows 0', { rowGroupRows: 0 }, 'rowGroupRows', /integer from 1 to 10000000/],
    ['maxBufferedBytes -1', { maxBufferedBytes: -1 }, 'maxBufferedBytes', /integer from 1/],
    ['gzip (an NDJSON option)', { gzip: true }, 'gzip', /is not an option of this sink/],
  ])('rejects %s', (_case, patch, option, rule) => {
    rejects(asParquet({ ...base(), ...patch }), option, rule)
  })

  it('accepts every codec parquetjs-lite has', () => {
    for (const compression of ['snappy', 'gzip', 'none'] as const) {
      parquetSink({ ...base(), engine: 'parquetjs-lite', compression }).destroy()
    }
  })
})

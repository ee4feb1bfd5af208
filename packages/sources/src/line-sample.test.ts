import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { averageLineBytes } from './line-sample.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-sample-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const lines = (count: number, bytes: number) => `${'x'.repeat(bytes - 1)}\n`.repeat(count)

describe('averageLineBytes', () => {
  it('gives the average line length of a small file exactly', async () => {
    const file = join(dir, 'short.ndjson')
    await writeFile(file, lines(1000, 100))
    expect(await averageLineBytes(file)).toBe(100)
  })

  it('samples across the whole file: long lines after 1 MiB of short ones still count', async () => {
    const file = join(dir, 'mixed.ndjson')
    await writeFile(file, lines(1024, 1024) + lines(120, 256 * 1024))
    // 8 windows of 128 KiB over 31 MiB: the first lands in the short lines (128 of them), the other 7 in long ones
    // (at most one newline each), so the estimate is at least 1 MiB / 135 lines.
    expect(await averageLineBytes(file)).toBeGreaterThan(7 * 1024)
    // The short head alone, as a byte range.
    expect(await averageLineBytes(file, { start: 0, end: 1024 * 1024 })).toBe(1024)
  })

  it('takes a sample without a newline as one line', async () => {
    const file = join(dir, 'one.ndjson')
    await writeFile(file, 'y'.repeat(300_000))
    expect(await averageLineBytes(file)).toBe(300_000)
  })
})

import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadableInWorker } from './sharded-load.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-loadable-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadableInWorker', () => {
  it('takes a regular non-empty file that is not gzip, and nothing else', async () => {
    const plain = join(dir, 'export.ndjson')
    await writeFile(plain, '{"data_row":{"id":"a"}}\n')
    const gz = join(dir, 'export.ndjson.gz')
    await writeFile(gz, gzipSync('{"data_row":{"id":"a"}}\n'))
    const empty = join(dir, 'empty.ndjson')
    await writeFile(empty, '')
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    expect(await loadableInWorker(plain)).toBe(true)
    expect(await loadableInWorker(gz)).toBe(false)
    expect(await loadableInWorker(empty)).toBe(false)
    expect(await loadableInWorker('-')).toBe(false)
    expect(await loadableInWorker(join(dir, 'missing.ndjson'))).toBe(false)
    expect(await loadableInWorker(dir)).toBe(false)
    // Not opened: opening a FIFO for reading would wait for a writer.
    expect(await loadableInWorker(fifo)).toBe(false)
  })
})

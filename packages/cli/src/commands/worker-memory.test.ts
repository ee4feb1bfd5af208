import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { workerMemory } from './worker-memory.js'

const fixture = (name: string) => fileURLToPath(new URL(`../../../../test/fixtures/v2/${name}`, import.meta.url))
const whole = { start: 0, end: Number.MAX_SAFE_INTEGER }

describe('workerMemory', () => {
  it('one thread: a 64 MiB young generation and 128-row batches without a Parquet target, 32 MiB and 16 rows with one; lines decoded in batches where they pay', async () => {
    const file = fixture('image.ndjson')
    expect(await workerMemory('one-thread', file, whole, ['ndjson', 'postgres'])).toMatchObject({
      youngGenerationMb: 64,
      batchSize: 128,
      lineDecoding: 'auto',
    })
    expect(await workerMemory('one-thread', file, whole, ['parquet', 'ndjson'])).toMatchObject({
      youngGenerationMb: 32,
      batchSize: 16,
      lineDecoding: 'auto',
    })
  })

  it('workers: 16 MiB for lines of 16 KiB and more (video), 32 for shorter ones, whatever the target; lines decoded one by one unless every target is NDJSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lp-worker-memory-'))
    try {
      const long = join(dir, 'long.ndjson')
      await writeFile(long, `${JSON.stringify({ text: 'x'.repeat(20_000) })}\n`.repeat(4))
      expect(await workerMemory('workers', long, whole, ['postgres'])).toMatchObject({ youngGenerationMb: 16, lineDecoding: 'per-line' })
      expect(await workerMemory('workers', long, whole, ['ndjson', 'parquet'])).toMatchObject({ lineDecoding: 'per-line' })
      expect(await workerMemory('workers', long, whole, ['ndjson'])).toMatchObject({ youngGenerationMb: 16, lineDecoding: 'auto' })
      expect(await workerMemory('workers', fixture('image.ndjson'), whole, ['parquet'])).toMatchObject({
        youngGenerationMb: 32,
        lineDecoding: 'per-line',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

// End-to-end: `labelpipe load --shard k/n`, n runs that split one export between machines (issue 7, item 4).

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeV2Export } from '@labelpipe/benchmarks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { listFiles, sortedTableLines } from './support/files.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-shard-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('labelpipe load --shard', () => {
  it('loads, over all k of n shards, exactly the rows of the whole export, each shard committing its own manifest', async () => {
    const input = join(dir, 'export.ndjson')
    const stats = await writeV2Export(input, { seed: 12, media: 'mixed', dataRows: 200, framesPerVideo: 30 })
    const whole = await runCli(['load', input, '--to', `ndjson:${join(dir, 'whole')}`, '--load-id', 'ld'])
    expect(whole.code).toBe(0)
    const shared = join(dir, 'shards')
    // Shards are independent runs; one of them also uses worker threads, which must not collide in seq.
    for (const [shard, workers] of [
      ['1/3', '1'],
      ['2/3', '2'],
      ['3/3', '1'],
    ] as const) {
      const result = await runCli([
        'load',
        input,
        '--to',
        `ndjson:${shared}`,
        '--load-id',
        'ld',
        '--shard',
        shard,
        '--workers',
        workers,
        '--quiet',
      ])
      expect(result).toMatchObject({ code: 0, stderr: '' })
    }
    expect(await sortedTableLines(shared)).toEqual(await sortedTableLines(join(dir, 'whole')))
    const names = (await readdir(join(shared, '_manifests'))).sort()
    expect(names).toEqual(['ld.shard-1-of-3.json', 'ld.shard-2-of-3.json', 'ld.shard-3-of-3.json'])
    const manifests = await Promise.all(
      names.map(
        async (name) =>
          JSON.parse(await readFile(join(shared, '_manifests', name), 'utf8')) as { input_bytes: number; files: { path: string }[] },
      ),
    )
    expect(manifests.reduce((sum, m) => sum + m.input_bytes, 0)).toBe(stats.bytes)
    const listed = manifests.flatMap((m) => m.files.map((f) => f.path)).sort()
    expect((await listFiles(shared)).filter((f) => !f.startsWith('_manifests/'))).toEqual(listed)
    // seq = (k - 1) + n × worker: shard 1 -> 0, shard 2 -> 1 and 4 (two workers), shard 3 -> 2.
    expect(new Set(listed.map((f) => /-(\d{5})\.ndjson$/.exec(f)?.[1]))).toEqual(new Set(['00000', '00001', '00004', '00002']))
  })

  it('needs --load-id, shared by every shard, and a k within 1..n', async () => {
    const noId = await runCli(['load', 'export.ndjson', '--to', `ndjson:${join(dir, 'out')}`, '--shard', '1/2'])
    expect(noId.code).toBe(2)
    expect(noId.stderr).toContain('--shard: needs --load-id')
    const outOfRange = await runCli(['load', 'export.ndjson', '--to', `ndjson:${join(dir, 'out')}`, '--shard', '0/2', '--load-id', 'x'])
    expect(outOfRange.code).toBe(2)
    expect(outOfRange.stderr).toContain('--shard: takes k/n with 1 <= k <= n <= 1000, got "0/2"')
  })
})

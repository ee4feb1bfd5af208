// Issue 9: a disk that fills during a load. The targets are folders on a 3 MB tmpfs mounted for this file (we run
// as root on these machines; elsewhere the tests say why they are skipped). A load that runs out of space fails
// with a message naming the file and ENOSPC, and leaves no part file, no temp file and no manifest; `convert`
// leaves no output file.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { writeV1Export, writeV2Export } from '@labelpipe/benchmarks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { listFiles } from './support/files.js'

const run = promisify(execFile)
let dir: string
let disk: string
let mounted = false

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-disk-full-'))
  disk = join(dir, 'disk')
  await mkdir(disk)
  mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', disk]).then(
    () => true,
    () => false,
  )
})
afterAll(async () => {
  if (mounted) await run('umount', [disk])
  await rm(dir, { recursive: true, force: true })
})

describe('a disk that fills during a load (issue 9)', () => {
  it('load to NDJSON and Parquet: exit 1 naming ENOSPC, and nothing left on the full disk', async (context) => {
    if (!mounted) context.skip('cannot mount a tmpfs here (needs root)')
    const input = join(dir, 'video.ndjson')
    await writeV2Export(input, { seed: 4, media: 'video', dataRows: 60, framesPerVideo: 300 })
    for (const target of ['ndjson', 'parquet']) {
      const out = join(disk, target)
      const result = await runCli(['load', input, '--to', `${target}:${out}`])
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toMatch(/ENOSPC|no space left/i)
      expect(await listFiles(out)).toEqual([])
    }
  })

  it('convert: exit 1, no output file and no temp file', async (context) => {
    if (!mounted) context.skip('cannot mount a tmpfs here (needs root)')
    const input = join(dir, 'v1.json')
    await writeV1Export(input, { seed: 4, media: 'image', dataRows: 4000, spread: 500 })
    const result = await runCli(['convert', input, '--out', join(disk, 'v2.ndjson')])
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/ENOSPC|no space left/i)
    expect(await listFiles(disk)).toEqual([])
  })
})

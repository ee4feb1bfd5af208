// Every example in examples/ runs as documented in the README (built to examples/dist by `tsc -b`).
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot } from './support/cli.js'
import { listFiles } from './support/files.js'

const run = promisify(execFile)
let cwd: string
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'lp-examples-'))
})
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true })
})

const example = (name: string) => join(repoRoot, 'examples', 'dist', `${name}.js`)

describe('examples', () => {
  it('load-to-parquet writes every non-empty table of the sample and a manifest', async () => {
    const { stdout } = await run(process.execPath, [example('load-to-parquet')], { cwd })
    expect(stdout).toMatch(/^loaded 60 data rows into out\/example-parquet/)
    expect(stdout).toMatch(/\nlines average \d+ bytes\n$/)
    const files = await listFiles(join(cwd, 'out', 'example-parquet'))
    expect(files.filter((f) => f.startsWith('_manifests/'))).toHaveLength(1)
    expect(files.filter((f) => f.startsWith('data_rows/') && f.endsWith('.parquet'))).toHaveLength(1)
  })

  it('custom-stage keeps one project and writes NDJSON', async () => {
    const { stdout } = await run(process.execPath, [example('custom-stage')], { cwd })
    expect(stdout).toMatch(/^project \w+: \d+ rows written to out\/example-ndjson/)
  })

  it('convert-v1-to-v2 writes one v2 line per data row of the v1 sample', async () => {
    const { stdout } = await run(process.execPath, [example('convert-v1-to-v2')], { cwd })
    expect(stdout).toMatch(/^converted 10 labels into 6 v2 data rows in example-v2.ndjson/)
    const lines = (await readFile(join(cwd, 'example-v2.ndjson'), 'utf8')).split('\n').filter((line) => line !== '')
    expect(new Set(lines.map((line) => (JSON.parse(line) as { data_row: { id: string } }).data_row.id)).size).toBe(6)
  })

  it("frames-over-http fetches the sample video labels' frames from its local demo server", async () => {
    const { stdout } = await run(process.execPath, [example('frames-over-http')], { cwd })
    expect(stdout).toMatch(/^fetched the frames of 10 video labels in 10 requests; 6 v2 data rows in example-frames-v2.ndjson/)
    const lines = (await readFile(join(cwd, 'example-frames-v2.ndjson'), 'utf8')).split('\n').filter((line) => line !== '')
    expect(lines.join('\n')).toContain('"frames":{"')
  })

  it('filter-and-load keeps the Done data rows and writes no attachments', async () => {
    const { stdout } = await run(process.execPath, [example('filter-and-load')], { cwd })
    const kept = Number(/^kept (\d+) data rows, dropped (\d+)/.exec(stdout)?.[1])
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(60)
    expect(stdout).toContain(`${kept} data_rows and 0 attachments rows in out/example-filtered`)
  })

  it('commit-several-writers commits two writers as one load, then takes it back leaving no file', async () => {
    const { stdout } = await run(process.execPath, [example('commit-several-writers')], { cwd })
    expect(stdout).toMatch(
      /^committed 3 data rows in 2 files\ntaken back; parts of loads without a manifest: 0\nload id \S+ is free again\n$/,
    )
    expect(await listFiles(join(cwd, 'out', 'example-writers', 'tables'))).toEqual([])
  })

  it('handle-errors dead-letters two lines, then shows a failure with its position', async () => {
    const { stdout } = await run(process.execPath, [example('handle-errors')], { cwd })
    expect(stdout).toContain('with maxErrors 2: 2 data rows loaded, 2 lines dead-lettered')
    expect(stdout).toContain('LP_EXPORT_FORMAT 2 27 readV2Export')
  })
})

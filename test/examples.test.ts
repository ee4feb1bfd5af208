// Every example in examples/ runs as documented in the README (built to examples/dist by `tsc -b`).
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
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
    const files = await listFiles(join(cwd, 'out', 'example-parquet'))
    expect(files.filter((f) => f.startsWith('_manifests/'))).toHaveLength(1)
    expect(files.filter((f) => f.startsWith('data_rows/') && f.endsWith('.parquet'))).toHaveLength(1)
  })

  it('custom-stage keeps one project and writes NDJSON', async () => {
    const { stdout } = await run(process.execPath, [example('custom-stage')], { cwd })
    expect(stdout).toMatch(/^project \w+: \d+ rows written to out\/example-ndjson/)
  })

  it('handle-errors dead-letters two lines, then shows a failure with its position', async () => {
    const { stdout } = await run(process.execPath, [example('handle-errors')], { cwd })
    expect(stdout).toContain('with maxErrors 2: 2 data rows loaded, 2 lines dead-lettered')
    expect(stdout).toContain('LP_EXPORT_FORMAT 2 27 readV2Export')
  })
})

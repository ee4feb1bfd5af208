// Shared by the file-sink compliance suite (sink-compliance.ts, sink-compliance-failures.ts).

import { randomBytes } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import type { Batch, RunFacts, TableRow } from '@labelpipe/core'
import type { LoadManifest } from '@labelpipe/sinks/ndjson'
import { interleavedBatches, tableRows } from './sink-compliance-rows.js'

export interface ComplianceSinkOptions {
  readonly dir: string
  readonly loadId: string
  readonly highWaterMark?: number
  readonly describeRun?: () => RunFacts
}

export type ComplianceSink = Writable & { readonly manifest: LoadManifest | undefined }

export interface FileSinkUnderTest {
  readonly name: string
  /** `.ndjson`, `.ndjson.gz`, `.parquet`. */
  readonly extension: string
  readonly format: LoadManifest['format']
  create(options: ComplianceSinkOptions): ComplianceSink
}

export const loadId = '20261125T015516123Z-3fa9c1'

export function watch(sink: Writable) {
  const events = { finish: 0, error: 0, errors: [] as unknown[] }
  sink.on('finish', () => events.finish++)
  sink.on('error', (error) => {
    events.error++
    events.errors.push(error)
  })
  const closed = new Promise<void>((resolve) => sink.once('close', () => resolve()))
  return { events, closed }
}

/** Every file under `dir` (not folders), relative, sorted; [] when `dir` does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = (await readdir(dir, { recursive: true })) as string[]
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const files: string[] = []
  for (const entry of entries) if ((await stat(join(dir, entry))).isFile()) files.push(entry.split('\\').join('/'))
  return files.sort()
}

export function writeAsync(sink: Writable, batch: Batch<TableRow>): Promise<void> {
  return new Promise((resolve, reject) => sink.write(batch, (error) => (error ? reject(error) : resolve())))
}

export const sampleRows = () => ({
  data_rows: tableRows('data_rows', 40, 11),
  objects: tableRows('objects', 120, 12),
  labels: tableRows('labels', 30, 13),
})

/**
 * Rows big enough that a part file is opened long before the end: NDJSON flushes per MiB, Parquet per row group,
 * and gzip emits only once its output fills, so the payload is random hex that does not compress away.
 */
export const bulkyBatches = () =>
  interleavedBatches(
    { objects: tableRows('objects', 600, 21).map((row) => ({ ...row, geometry: JSON.stringify(randomBytes(10_000).toString('hex')) })) },
    8,
  )

export const facts: RunFacts = {
  source: 'v2',
  input: '/data/export.ndjson',
  inputBytes: 123_456,
  deadLetters: 2,
  startedAt: new Date('2026-11-25T01:55:16.123Z'),
}

import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type LineageSource, type RunFacts, SinkError, type TableName, tableNames } from '@labelpipe/core'
import { messageOf, PartFile, syncFolder } from './part-file.js'

/** One committed data file, as listed in the manifest. */
export interface ManifestFile {
  readonly table: TableName
  /** Relative to the sink's `dir`, `/`-separated: `objects/part-<load_id>-00000.parquet`. */
  readonly path: string
  readonly rows: number
  readonly bytes: number
}

/**
 * `<dir>/_manifests/<load_id>.json`: the file-sink twin of the `load_runs` row (docs/schema.md, Bookkeeping),
 * written last, so a load is committed exactly when its manifest exists. Keys are the `load_runs` column names.
 */
export interface LoadManifest {
  readonly load_id: string
  readonly status: 'committed'
  readonly started_at: string
  readonly finished_at: string
  /** From `describeRun`; null when the sink was given none. */
  readonly source: LineageSource | null
  readonly input: string | null
  readonly input_bytes: number | null
  readonly dead_letters: number | null
  readonly labelpipe_version: string
  readonly format: 'ndjson' | 'parquet'
  /** Every table, in schema order, with the rows this load wrote to it (0 when none, and then no file). */
  readonly rows: { readonly [T in TableName]: number }
  readonly files: readonly ManifestFile[]
}

export const manifestFolder = '_manifests'

function manifestPath(root: string, loadId: string): string {
  return join(root, manifestFolder, `${loadId}.json`)
}

export interface ManifestInput {
  readonly loadId: string
  readonly format: LoadManifest['format']
  readonly startedAt: Date
  readonly facts: RunFacts | undefined
  readonly files: readonly ManifestFile[]
}

export async function buildManifest(input: ManifestInput): Promise<LoadManifest> {
  const rows = Object.fromEntries(tableNames.map((table) => [table, 0])) as Record<TableName, number>
  for (const file of input.files) rows[file.table] += file.rows
  const { facts } = input
  return {
    load_id: input.loadId,
    status: 'committed',
    started_at: (facts?.startedAt ?? input.startedAt).toISOString(),
    finished_at: new Date().toISOString(),
    source: facts?.source ?? null,
    input: facts?.input ?? null,
    input_bytes: facts?.inputBytes ?? null,
    dead_letters: facts?.deadLetters ?? null,
    labelpipe_version: await labelpipeVersion(),
    format: input.format,
    rows,
    files: input.files,
  }
}

/** Fails when `loadId` already has a manifest: a load id is committed once, never overwritten. */
export async function assertNotCommitted(root: string, loadId: string): Promise<void> {
  const path = manifestPath(root, loadId)
  try {
    await access(path)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new SinkError(`manifest: cannot check ${path}: ${messageOf(cause)}`, { cause })
  }
  throw new SinkError(`manifest: load ${loadId} is already committed (${path} exists); use a new load id`)
}

/** Writes the manifest under a temp name, fsyncs, renames and fsyncs the folder; returns the file to discard on rollback. */
export async function writeManifest(root: string, manifest: LoadManifest): Promise<PartFile> {
  const file = new PartFile(root, manifestFolder, `${manifest.load_id}.json`, 'manifest')
  try {
    await file.write(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
    await file.seal()
    await file.publish()
    await syncFolder(join(root, manifestFolder), 'manifest')
    return file
  } catch (error) {
    await file.discard().catch(() => undefined)
    throw error
  }
}

let version: Promise<string> | undefined

/** The version of @labelpipe/sinks (all labelpipe packages share one), read once from its package.json. */
function labelpipeVersion(): Promise<string> {
  // src/manifest.ts and dist/manifest.js are both one folder below the package root. A bundler that drops
  // package.json must not fail a load over a version string: the manifest then says 'unknown'.
  version ??= readFile(new URL('../package.json', import.meta.url), 'utf8')
    .then((text) => {
      const parsed = JSON.parse(text) as { version?: unknown }
      return typeof parsed.version === 'string' ? parsed.version : 'unknown'
    })
    .catch(() => 'unknown')
  return version
}

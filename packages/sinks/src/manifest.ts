import { access, mkdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type LineageSource, type RunFacts, SinkError, type TableName, tableNames } from '@labelpipe/core'
import { labelpipeVersion } from './labelpipe-version.js'
import { messageOf, namesIn, PartFile, partFolders, publishWithoutReplacing, removeIfPresent, syncFolder } from './part-file.js'

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
  /** Per project id, the latest data-row `last_activity_at` of the load (RunFacts.cursors); null when not given. */
  readonly cursors: Readonly<Record<string, string>> | null
  readonly labelpipe_version: string
  readonly format: 'ndjson' | 'parquet'
  /** Every table, in schema order, with the rows this load wrote to it (0 when none, and then no file). */
  readonly rows: { readonly [T in TableName]: number }
  readonly files: readonly ManifestFile[]
}

/** A part file sealed under its temp name by a sink with `commit: 'none'`, not yet visible. */
export interface SealedPart extends ManifestFile {
  /** Absolute path of the sealed temp file, renamed to `<dir>/<path>` at commit. */
  readonly tempPath: string
}

export const manifestFolder = '_manifests'

/** `name` is the manifest's file name without `.json`: the load id, or `<load id>.shard-<k>-of-<n>` for one shard. */
function manifestPath(root: string, name: string): string {
  return join(root, manifestFolder, `${name}.json`)
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
    cursors: facts?.recordsCursors === false ? null : (facts?.cursors ?? null),
    labelpipe_version: await labelpipeVersion(),
    format: input.format,
    rows,
    files: input.files,
  }
}

/**
 * Fails (SinkError) when load `name` already has a manifest under `root`: a load id (or a shard of it) is committed
 * once, never overwritten. The commit checks it again; a caller that splits a load checks first, before any work.
 */
export async function assertNotCommitted(root: string, name: string): Promise<void> {
  const path = manifestPath(root, name)
  try {
    await access(path)
  } catch (cause) {
    // ENOTDIR: a part of the path is a file, so no manifest is there either (creating the folders will fail, saying so).
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return assertNoOtherSplit(root, name)
    throw new SinkError(`manifest: cannot check ${path}: ${messageOf(cause)}`, { cause })
  }
  throw new SinkError(`manifest: load ${name} is already committed (${path} exists); use a new load id`)
}

/**
 * Fails when the load id was committed split another way: a whole run after shards of it (or shards after a whole
 * run), or shards of n after shards of m. Their part files share names (a whole run's seq 0 is shard 1's), so the
 * second would replace the first's parts under the first's manifest (review repro).
 */
async function assertNoOtherSplit(root: string, name: string): Promise<void> {
  const split = shardRun.exec(name)
  const id = split?.[1] ?? name
  for (const other of await namesIn(join(root, manifestFolder), 'manifest')) {
    if (!other.startsWith(`${id}.`) || !other.endsWith('.json')) continue
    const otherName = other.slice(0, -'.json'.length)
    const otherSplit = shardRun.exec(otherName)
    const sameLoad = otherName === id || otherSplit?.[1] === id
    if (!sameLoad || (split !== null && otherSplit !== null && otherSplit[2] === split[2])) continue
    throw new SinkError(
      `manifest: load ${id} is already committed as ${otherName} (${join(root, manifestFolder, other)}); a load id is split one way only: use a new load id`,
    )
  }
}

/** `<load id>.shard-<k>-of-<n>` (shardRunName): the load id, and n. */
const shardRun = /^(.+)\.shard-\d+-of-(\d+)$/

/** Whether a part file's path (`<table>/<file>` or `<table>/<column>=<value>/<file>`) is in a partition folder. */
const inPartition = (path: string) => path.split('/').length > 2

/**
 * Fails (SinkError) when a table of this load is written in one layout, partition folders or none, and a load
 * already committed under `root` wrote it in the other: DuckDB's `hive_partitioning` refuses such a folder ("Hive
 * partition mismatch") and a `*` glob silently reads half of it (review repro). Read from the committed manifests'
 * file paths, so manifests written before partitioning existed count too. Checked before anything is published.
 */
async function assertSameLayout(root: string, parts: readonly ManifestFile[]): Promise<void> {
  const ours = new Map<TableName, boolean>()
  for (const { table, path } of parts) ours.set(table, inPartition(path))
  if (ours.size === 0) return
  for (const name of await namesIn(join(root, manifestFolder), 'manifest')) {
    if (!name.endsWith('.json') || name.startsWith('_')) continue
    const path = join(root, manifestFolder, name)
    // A file there that is not a manifest (notes, a folder named *.json) says nothing of the layout: skipped, as
    // the loads of a folder must not fail on it.
    for (const { table, path: filePath } of (await manifestFiles(path)) ?? []) {
      const partitioned = ours.get(table as TableName)
      if (partitioned === undefined || inPartition(filePath) === partitioned) continue
      const [mine, theirs] = partitioned ? ['in partition folders', 'without them'] : ['without partition folders', 'in them']
      throw new SinkError(
        `manifest: this load writes ${String(table)} ${mine}, but ${path} wrote it ${theirs}: engines cannot read one table folder in both layouts (DuckDB: "Hive partition mismatch"); write to another folder`,
      )
    }
  }
}

/** A sealed part file and how to make it visible under its final name. */
export interface PublishablePart extends ManifestFile {
  publish(): Promise<void>
}

/** A load published by publishLoad: its manifest, and the manifest's file, to discard should a later step fail. */
interface PublishedLoad {
  readonly manifest: LoadManifest
  readonly file: PartFile
}

/** A load committed by commitSealedParts. */
export interface CommittedLoad {
  readonly manifest: LoadManifest
  /**
   * Undoes the commit when a later step of the caller fails: the manifest goes first (no reader trusts the load
   * any longer), then the part files this commit renamed, and only those.
   */
  discard(): Promise<void>
}

/**
 * The commit of every file load, one sink's or several sealed ones': the load must not be committed yet, every
 * part is renamed to its final name, the folders are fsynced, and the manifest, listing `parts` in order, is
 * written last (`manifestName` defaults to the load id).
 */
export async function publishLoad(
  root: string,
  parts: readonly PublishablePart[],
  input: Omit<ManifestInput, 'files'>,
  manifestName: string = input.loadId,
): Promise<PublishedLoad> {
  await assertNotCommitted(root, manifestName)
  await assertSameLayout(root, parts)
  for (const part of parts) await part.publish()
  // Each part's folder, and a table's folder above its partition folders (the entries of folders created for the run).
  const folders = new Set<string>()
  for (const { path } of parts) {
    const folder = path.slice(0, path.lastIndexOf('/'))
    folders.add(folder)
    folders.add(path.slice(0, path.indexOf('/')))
  }
  for (const folder of folders) await syncFolder(join(root, folder), folder)
  // The manifest's folder exists and every folder entry is durable before the manifest can appear.
  try {
    await mkdir(join(root, manifestFolder), { recursive: true })
  } catch (cause) {
    throw new SinkError(`manifest: cannot create ${join(root, manifestFolder)}: ${messageOf(cause)}`, { cause })
  }
  await syncFolder(root, 'manifest')
  const files = parts.map(({ table, path, rows, bytes }) => ({ table, path, rows, bytes }))
  const manifest = await buildManifest({ ...input, files })
  return { manifest, file: await writeManifest(root, manifest, manifestName) }
}

/**
 * Commits the sealed parts of several `commit: 'none'` sinks of one load (the worker threads of a sharded run) as
 * one load under `root`: renamed to their final names, then one manifest listing them all. On failure the parts
 * it renamed are removed again; the caller removes the sealed ones (`removeParts`), and discards (`discard()`) a
 * load committed under an earlier root.
 */
export async function commitSealedParts(
  root: string,
  parts: readonly SealedPart[],
  input: Omit<ManifestInput, 'files'>,
  manifestName: string = input.loadId,
): Promise<CommittedLoad> {
  // Only the paths this commit renamed to: a file of that name from another run is never touched.
  const renamed: string[] = []
  const removeRenamed = async () => {
    for (const path of renamed) await removeIfPresent(path, 'manifest')
  }
  const publishable = parts.map(({ tempPath, ...part }) => ({
    ...part,
    publish: async () => {
      const path = join(root, part.path)
      try {
        await publishWithoutReplacing(tempPath, path)
      } catch (cause) {
        throw new SinkError(`${part.table}: cannot publish ${tempPath}: ${messageOf(cause)}`, { cause })
      }
      renamed.push(path)
    },
  }))
  let published: PublishedLoad
  try {
    published = await publishLoad(root, publishable, input, manifestName)
  } catch (error) {
    await removeRenamed().catch(() => undefined)
    throw error
  }
  return {
    manifest: published.manifest,
    discard: async () => {
      await published.file.discard()
      await removeRenamed()
    },
  }
}

/** Writes the manifest under a temp name, fsyncs, renames and fsyncs the folder; returns the file to discard on rollback. */
async function writeManifest(root: string, manifest: LoadManifest, name: string): Promise<PartFile> {
  const file = new PartFile(root, manifestFolder, `${name}.json`, 'manifest')
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

/** `part-<load id>-<seq>.<ext>` (partFileName): a published part file, and its load id. */
const publishedPart = /^part-(.+)-\d{5}\.[^/]+$/
/** What a manifest's name says of its load id: `<id>.json`, or `<id>.shard-<k>-of-<n>.json`. */
const manifestName = /^(.+?)(\.shard-\d+-of-\d+)?\.json$/

/**
 * The published part files (`part-…`) under `root` whose load has no manifest, and whose name has not changed
 * for `olderThanMs` (default an hour), relative to `root`: what a run killed between renaming its parts and
 * writing its manifest leaves, visible to engines that glob the folder although it never committed (or parts
 * whose manifest someone removed). The age, by ctime (a rename sets it), leaves out a run committing right now.
 * Temp files (`_part-…`) are not listed: a long run may not have written one for hours.
 */
export async function uncommittedParts(root: string, olderThanMs = 60 * 60 * 1000): Promise<string[]> {
  const committed = new Set<string>()
  const committedFiles = new Set<string>()
  for (const name of await namesIn(join(root, manifestFolder), 'manifest')) {
    const match = manifestName.exec(name)
    if (match === null) continue
    // A load id may itself contain ".shard-k-of-n": then the whole name is an id too.
    committed.add(name.slice(0, -'.json'.length))
    // A shard's manifest commits its own files only: the parts of a shard of the same load that was killed
    // before its commit are uncommitted. One that cannot be read commits the whole load id, as a manifest does:
    // what is listed here may be swept.
    const files = match[2] === undefined ? undefined : await manifestFiles(join(root, manifestFolder, name))
    if (files === undefined) committed.add(match[1] as string)
    else for (const file of files) committedFiles.add(file.path)
  }
  const found: string[] = []
  const before = Date.now() - olderThanMs
  for (const table of tableNames) {
    for (const folder of await partFolders(root, table)) {
      for (const name of await namesIn(join(root, folder), table)) {
        const match = publishedPart.exec(name)
        if (match === null || committed.has(match[1] as string) || committedFiles.has(`${folder}/${name}`)) continue
        const path = join(root, folder, name)
        try {
          if ((await stat(path)).ctimeMs > before) continue
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code === 'ENOENT') continue
          throw new SinkError(`${table}: cannot stat ${path}: ${messageOf(cause)}`, { cause })
        }
        found.push(`${folder}/${name}`)
      }
    }
  }
  return found
}

/**
 * The files a manifest lists (their table as written, unchecked, and path), or undefined when it cannot be read as
 * a manifest: a file that is not one (notes, a folder named *.json) is the callers' to skip, not to fail on.
 */
async function manifestFiles(path: string): Promise<{ table: unknown; path: string }[] | undefined> {
  let files: unknown
  try {
    files = (JSON.parse(await readFile(path, 'utf8')) as { files?: unknown } | null)?.files
  } catch {
    return undefined
  }
  if (!Array.isArray(files)) return undefined
  return files.flatMap((file: unknown) => {
    if (typeof file !== 'object' || file === null) return []
    const { table, path: filePath } = file as { table?: unknown; path?: unknown }
    return typeof filePath === 'string' ? [{ table, path: filePath }] : []
  })
}

/** Removes what `uncommittedParts(root, olderThanMs)` lists, and returns it: only when no one keeps manifests elsewhere. */
export async function sweepUncommittedParts(root: string, olderThanMs?: number): Promise<string[]> {
  const found = await uncommittedParts(root, olderThanMs)
  for (const path of found) await removeIfPresent(join(root, path), path.slice(0, path.indexOf('/')))
  return found
}

import { type FileHandle, link, mkdir, open, readdir, rename, rmdir, unlink } from 'node:fs/promises'
import { platform } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { SinkError, tableNames } from '@labelpipe/core'

/** `part-<loadId>-<seq>.<ext>`, seq zero-padded to 5 digits (docs/schema.md, File layout). */
export function partFileName(loadId: string, seq: number, extension: string): string {
  return `part-${loadId}-${String(seq).padStart(5, '0')}${extension}`
}

/**
 * Removes the unpublished files of parts `seqs` of load `loadId` under `root`: sealed or half-written
 * (`_part-….tmp`) or a Parquet row spool (`_part-….rows.tmp`). The cleanup of a sharded run, whose workers may
 * have sealed their files, or died (out of memory) before removing their own. Published files (`part-…`) are
 * left alone: they may be those of an earlier load committed under the same id, and commitSealedParts removes
 * its own. Other seqs of the same load (another machine's shard) and other loads are left alone too.
 */
export async function removeParts(root: string, loadId: string, seqs: readonly number[]): Promise<void> {
  const prefixes = seqs.map((seq) => `_${partFileName(loadId, seq, '.')}`)
  const emptied: string[] = []
  for (const table of tableNames) {
    for (const folder of await partFolders(root, table)) {
      let removed = false
      for (const name of await namesIn(join(root, folder), table)) {
        if (!prefixes.some((prefix) => name.startsWith(prefix))) continue
        await removeIfPresent(join(root, folder, name), table)
        removed = true
      }
      // A partition folder that held only these files goes too (removeEmptyFolders keeps one that holds others).
      if (removed && folder !== table) emptied.push(join(root, folder))
    }
  }
  await removeEmptyFolders(emptied)
}

/** A Hive partition folder's name, `<column>=<value>` (`project_id=ck…`); `_` and `.` names are never one. */
const hivePartitionFolder = /^[^_.][^/]*=/

/**
 * The folders under `root` that hold `table`'s part files, relative to `root`: the table's own, and the Hive
 * partition folders in it (`<table>/project_id=<id>`, written under `--partition-by`).
 */
export async function partFolders(root: string, table: string): Promise<string[]> {
  const partitions = (await namesIn(join(root, table), table)).filter((name) => hivePartitionFolder.test(name))
  return [table, ...partitions.sort().map((name) => `${table}/${name}`)]
}

/** The entries of `folder`; none when it does not exist (or is not a folder). Errors start with `label`. */
export async function namesIn(folder: string, label: string): Promise<string[]> {
  try {
    return await readdir(folder)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw new SinkError(`${label}: cannot list ${folder}: ${messageOf(cause)}`, { cause })
  }
}

/** Unlinks `path`; one already gone is fine. Errors start with `label`. */
export async function removeIfPresent(path: string, label: string): Promise<void> {
  try {
    await unlink(path)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new SinkError(`${label}: cannot remove ${path}: ${messageOf(cause)}`, { cause })
  }
}

/**
 * One output file of a run, owned by exactly one table writer. Bytes go to a `_`-prefixed temp name ending in
 * `.tmp` in the final folder: Spark and Hive skip `_` files, and a `*.parquet` glob (DuckDB refuses the whole
 * glob if one file has no footer: docs/facts.md) does not match `.tmp`. `seal()` fsyncs and closes, `publish()`
 * renames to the final name, `discard()` removes whichever of the two exists.
 */
export class PartFile {
  /** Path relative to the sink's root with `/` separators, as the manifest lists it. */
  readonly relativePath: string
  readonly path: string
  readonly tempPath: string
  readonly #label: string
  readonly #root: string
  /** Folders the file's creation made, deepest first (not the root): discard() removes those left empty. */
  #createdFolders: string[] = []
  #handle: FileHandle | undefined
  #tail: Promise<void> = Promise.resolve()
  #failure: SinkError | undefined
  #bytes = 0
  #state: 'new' | 'open' | 'sealed' | 'published' | 'discarded' = 'new'

  /** `label` prefixes error messages (the table name, or `manifest`). */
  constructor(root: string, folder: string, fileName: string, label: string) {
    this.relativePath = `${folder}/${fileName}`
    this.path = join(root, folder, fileName)
    this.tempPath = join(root, folder, `_${fileName}.tmp`)
    this.#label = label
    this.#root = root
  }

  get bytes(): number {
    return this.#bytes
  }

  /**
   * Creates the temp file now, in the background, instead of at the first write: the run's files exist as soon
   * as its tables have rows, and a folder that cannot be created fails the run early. A failure sticks and is
   * reported by the next write or by seal().
   */
  create(): void {
    const created = this.#tail.then(async () => {
      if (this.#state === 'new') await this.#create()
    })
    this.#tail = created.catch(() => undefined)
  }

  /** Appends bytes; calls are queued, so callers that do not await (parquetjs-lite's header) keep their order. */
  write(chunk: Uint8Array): Promise<void> {
    const written = this.#tail.then(() => this.#writeNow(chunk))
    this.#tail = written.catch(() => undefined)
    return written
  }

  /** Reads `length` bytes at `position` back from the temp file (footer checks before publishing). */
  async read(position: number, length: number): Promise<Buffer> {
    await this.#tail
    const handle = this.#openHandle('read')
    const buffer = Buffer.alloc(length)
    try {
      const { bytesRead } = await handle.read(buffer, 0, length, position)
      return buffer.subarray(0, bytesRead)
    } catch (cause) {
      throw this.#fail('read back', this.tempPath, cause)
    }
  }

  /** Makes the content durable under the temp name: fsync, then close. */
  async seal(): Promise<void> {
    await this.#tail
    const handle = this.#openHandle('seal')
    try {
      await handle.sync()
      this.#handle = undefined
      await handle.close()
      this.#state = 'sealed'
    } catch (cause) {
      throw this.#fail('fsync', this.tempPath, cause)
    }
  }

  /** Gives the sealed temp file its final name (publishWithoutReplacing); the caller fsyncs the folder once for all its files. */
  async publish(): Promise<void> {
    if (this.#state !== 'sealed') throw new SinkError(`${this.#label}: ${this.tempPath} published before it was sealed`)
    try {
      await publishWithoutReplacing(this.tempPath, this.path)
      this.#state = 'published'
    } catch (cause) {
      throw this.#fail('publish', this.path, cause)
    }
  }

  /** Closes and removes the temp file, or the final file if already published. Safe to call in any state. */
  async discard(): Promise<void> {
    await this.#tail
    const state = this.#state
    this.#state = 'discarded'
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close().catch(() => undefined)
    if (state === 'new' || state === 'discarded') return
    const path = state === 'published' ? this.path : this.tempPath
    try {
      await unlink(path)
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw this.#fail('remove', path, cause)
    }
  }

  /** Folders the file's creation made, deepest first (never the root): see removeEmptyFolders. */
  get createdFolders(): readonly string[] {
    return this.#createdFolders
  }

  async #writeNow(chunk: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#state === 'new') await this.#create()
    const handle = this.#openHandle('write')
    try {
      let offset = 0
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset)
        offset += bytesWritten
      }
      this.#bytes += chunk.byteLength
    } catch (cause) {
      throw this.#fail('write', this.tempPath, cause)
    }
  }

  async #create(): Promise<void> {
    try {
      const first = await mkdir(dirname(this.tempPath), { recursive: true })
      // mkdir names the first folder it made; every folder from there down to the file's is new.
      const root = resolve(this.#root)
      for (let folder = dirname(this.tempPath); first !== undefined && resolve(folder) !== root; folder = dirname(folder)) {
        this.#createdFolders.push(folder)
        if (folder === first || folder === dirname(folder)) break
      }
    } catch (cause) {
      throw this.#fail('create', this.tempPath, cause)
    }
    try {
      // 'wx+': never overwrite (a temp name left by a crashed run with the same load id is an error, not data
      // to clobber), and readable so the footer can be checked before publishing.
      this.#handle = await open(this.tempPath, 'wx+')
      this.#state = 'open'
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw this.#fail('create', this.tempPath, cause)
      this.#failure ??= new SinkError(
        `${this.#label}: cannot create ${this.tempPath}: it exists, left by a run of this load id that did not finish (killed), or one still running; use a new load id, or remove the run's _part-… files once no run writes them`,
        { cause },
      )
      throw this.#failure
    }
  }

  #openHandle(operation: string): FileHandle {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#handle === undefined) throw new SinkError(`${this.#label}: cannot ${operation} ${this.tempPath}: the file is ${this.#state}`)
    return this.#handle
  }

  #fail(operation: string, path: string, cause: unknown): SinkError {
    // The first failure sticks: every later write, seal or read reports the same error.
    this.#failure ??= new SinkError(`${this.#label}: cannot ${operation} ${path}: ${messageOf(cause)}`, { cause })
    return this.#failure
  }
}

/**
 * Removes those of `folders` that are empty, deepest first: what the discarded files of a failed run created. A
 * partitioned run would otherwise leave a folder per table and project it touched (3,193 after one SIGINT in a
 * review repro). A folder that another file still holds is not empty and stays. Never throws.
 */
export async function removeEmptyFolders(folders: Iterable<string>): Promise<void> {
  const deepestFirst = [...new Set(folders)].sort((a, b) => b.split(/[\\/]/).length - a.split(/[\\/]/).length)
  for (const folder of deepestFirst) await rmdir(folder).catch(() => undefined)
}

/**
 * fsync a folder so the renames in it survive a power cut (rename is atomic but not durable until its folder
 * is synced). Windows cannot open a folder for fsync; there the rename is as durable as NTFS makes it.
 */
export async function syncFolder(path: string, label: string): Promise<void> {
  if (platform() === 'win32') return
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    await handle.sync()
  } catch (cause) {
    throw new SinkError(`${label}: cannot fsync folder ${path}: ${messageOf(cause)}`, { cause })
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/**
 * Gives a sealed temp file its final name unless that name exists. rename(2) replaces silently: a shard run and a
 * whole run of one load id both exited 0, the second's parts under the first's manifest (review repro). link(2)
 * fails with EEXIST instead, and the temp name is then unlinked (a crash between the two leaves a second name of
 * the same committed bytes, swept as a temp file). Where hard links are not supported, rename as before.
 */
export async function publishWithoutReplacing(tempPath: string, path: string): Promise<void> {
  try {
    await link(tempPath, path)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new Error(`${path} exists: another load published this name (the same load id?); use a new load id`)
    if (!noHardLinks.has(code ?? '')) throw cause
    await rename(tempPath, path)
    return
  }
  await unlink(tempPath)
}

const noHardLinks = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS'])

export function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

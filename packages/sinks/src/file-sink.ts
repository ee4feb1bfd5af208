import { Writable } from 'node:stream'
import {
  type Batch,
  isLabelpipeError,
  type Position,
  type RunFacts,
  SinkError,
  type TableName,
  type TableRow,
  tableNames,
} from '@labelpipe/core'
import type { z } from 'zod'
import { assertNotCommitted, type LoadManifest, type ManifestFile, publishLoad, type SealedPart } from './manifest.js'
import { integerOption, loadIdOption, oneOf, optionalFunction, optionsSchema, requiredString, type SameShape } from './options.js'
import { messageOf, PartFile, partFileName, removeEmptyFolders } from './part-file.js'

/** Options every file sink takes. */
export interface FileSinkOptions {
  /** Root folder of the dataset: one folder per table, plus `_manifests`. Required; created when missing. */
  readonly dir: string
  /** The run's load id (see `newLoadId`); it names the part files and the manifest. Required; must pass `isValidLoadId`. */
  readonly loadId: string
  /**
   * Facts about the run for the manifest, called once, when the sink commits in `_final` (so the counts are final).
   * Default: none; the manifest then has null `source`, `input`, `input_bytes`, `dead_letters` and the sink's
   * creation time as `started_at`.
   */
  readonly describeRun?: () => RunFacts
  /** Batches buffered before `write()` returns false. Default 4 (4 × 512 rows at the default batch size): measured faster and smaller than 16, since rows waiting in the buffer survive garbage collections. */
  readonly highWaterMark?: number
  /**
   * The `<seq>` of `part-<loadId>-<seq>`, zero-padded to 5 digits. Default 0. Sinks of one load that write to
   * one folder (worker threads, shards) need distinct numbers.
   */
  readonly seq?: number
  /**
   * `'manifest'` (default): `_final` publishes the part files and writes the manifest. `'none'`: `_final` only
   * seals them (fsynced under their temp names) and `sealedParts` lists them; the caller commits several sinks
   * as one load with `commitSealedParts`, or removes their files with `removeParts`.
   */
  readonly commit?: 'manifest' | 'none'
}

/** The zod shape of `FileSinkOptions`; each factory extends it with its own options. */
export const fileSinkOptionShape = {
  dir: requiredString(),
  loadId: loadIdOption(),
  describeRun: optionalFunction<() => RunFacts>(),
  highWaterMark: integerOption(4, 1, 1_000_000),
  seq: integerOption(0, 0, 99_999),
  commit: oneOf(['manifest', 'none'], 'manifest'),
}

const fileSinkOptions = optionsSchema(fileSinkOptionShape)

/** Options as parsed: defaults applied, frozen. */
export type ParsedFileSinkOptions = Readonly<z.output<typeof fileSinkOptions>>

// The documented interface and the schema must describe the same options (a compile error otherwise).
const fileSinkOptionsAgree: SameShape<z.input<typeof fileSinkOptions>, FileSinkOptions> = true
void fileSinkOptionsAgree

/** Rows of one table on their way into one part file. Each format implements it; the sink owns its lifecycle. */
export interface TableWriter {
  /** Rows accepted so far. */
  readonly rows: number
  /** Estimated bytes held in JS memory, counted against the sink's `maxBufferedBytes`. */
  readonly bufferedBytes: number
  /** True when a chunk or row group is complete and `flush()` should run before more rows are appended. */
  readonly full: boolean
  /** Checks and buffers one row, synchronously; throws SinkError naming the position and column. */
  append(row: TableRow['row'], at: Position): void
  /** Encodes what is buffered and hands it to the file, honouring the encoder's and the file's backpressure. */
  flush(): Promise<void>
  /** Flushes the rest, finishes the encoding and seals the file (fsync, close) under its temp name. */
  finish(): Promise<void>
  /** Stops the encoder and releases what it holds; the sink discards the file. Never throws. */
  abort(): Promise<void>
}

/** What a concrete sink supplies: its format, and a writer per table. */
export interface FileFormat {
  readonly name: LoadManifest['format']
  /** `.parquet`, `.ndjson`, `.ndjson.gz`. */
  readonly extension: string
  /** Across all tables; when passed, the biggest buffers are flushed first. */
  readonly maxBufferedBytes: number
  createWriter(table: TableName, file: PartFile, at: Position): TableWriter
}

interface OpenTable {
  readonly table: TableName
  readonly writer: TableWriter
  readonly file: PartFile
}

// Partition files one sink holds open. A partitioned load keeps a writer (encoder, buffers, file descriptor) per
// table and project until its commit: 500 projects took 1.0 GB in one thread on 16 MB of input, and 2,000 failed
// with EMFILE under `ulimit -n 1024` (review repro). Closing the least recently written file and starting another
// later made it worse on an export whose data rows mix projects: 16,703 files and 4.8 GB for the 500 (measured).
// So the run fails at the first partition past this, naming it, before memory or descriptors run out.
const maxOpenPartitions = 256

/**
 * A Writable of `Batch<TableRow>` that writes one part file per table (per table and Hive partition folder for rows
 * that carry a `partition`: `<table>/project_id=<id>/`) in the pg-copy-streams mould: `_write`
 * appends, `_final` commits (encoders finished, every file fsynced, renamed, folders fsynced, manifest written
 * last) and only then is 'finish' emitted; `_destroy` before 'finish' removes every file of the run.
 */
export abstract class FileSink extends Writable {
  readonly #options: ParsedFileSinkOptions
  readonly #format: FileFormat
  /** By folder: the table's name, or `<table>/<partition>`. */
  readonly #tables = new Map<string, OpenTable>()
  #openPartitions = 0
  readonly #startedAt = new Date()
  /** The write or commit in progress; `_destroy` waits for it so no file is created behind its back. */
  #busy: Promise<void> = Promise.resolve()
  #manifestFile: PartFile | undefined
  #manifest: LoadManifest | undefined
  #sealed: readonly SealedPart[] | undefined

  constructor(options: ParsedFileSinkOptions, format: FileFormat) {
    super({ objectMode: true, highWaterMark: options.highWaterMark })
    this.#options = options
    this.#format = format
  }

  /** Rows accepted per table so far (every table, 0 when none). */
  get rowCounts(): { readonly [T in TableName]: number } {
    const counts = Object.fromEntries(tableNames.map((table) => [table, 0])) as Record<TableName, number>
    for (const { table, writer } of this.#tables.values()) counts[table] += writer.rows
    return counts
  }

  /** The manifest this sink committed; undefined until 'finish'. */
  get manifest(): LoadManifest | undefined {
    return this.writableFinished ? this.#manifest : undefined
  }

  /**
   * Takes a committed load back, for a caller whose later step failed (a Postgres target that commits after the
   * files): the manifest goes first, so no reader trusts the load any longer, then its part files. Only after
   * 'finish', with `commit: 'manifest'`.
   */
  async uncommit(): Promise<void> {
    if (this.manifest === undefined) throw new SinkError(`uncommit: load ${this.#options.loadId} is not committed by this sink`)
    this.#manifest = undefined
    await this.#manifestFile?.discard()
    for (const { file } of this.#tables.values()) await file.discard()
    await removeEmptyFolders([...this.#tables.values()].flatMap(({ file }) => file.createdFolders))
  }

  /** With `commit: 'none'`: the sealed, unpublished part files, which the caller now owns; undefined until 'finish'. */
  get sealedParts(): readonly SealedPart[] | undefined {
    return this.writableFinished ? this.#sealed : undefined
  }

  override _construct(callback: (error?: Error | null) => void): void {
    // A committed load id fails now, before the input is read, rather than at the commit, after all of it.
    const { dir, loadId, commit } = this.#options
    if (commit === 'none') callback()
    else this.#track(assertNotCommitted(dir, loadId), callback)
  }

  override _write(batch: Batch<TableRow>, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#track(this.#writeBatch(batch), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#track(this.#commit(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#rollback().then(
      () => callback(error),
      (rollbackError: unknown) => callback(error ?? (rollbackError as Error)),
    )
  }

  #track(work: Promise<void>, callback: (error?: Error | null) => void): void {
    this.#busy = work.then(
      () => undefined,
      () => undefined,
    )
    work.then(
      () => callback(),
      (error: unknown) => callback(asSinkError(error)),
    )
  }

  async #writeBatch(batch: Batch<TableRow>): Promise<void> {
    if (!Array.isArray(batch)) throw new SinkError(`expected a batch (an array of located table rows), got ${typeof batch}`)
    for (const { value, at } of batch) {
      // A row with a partition (TableRow.partition) goes to that Hive folder's part file of its table.
      const key = value.partition === undefined ? value.table : `${value.table}/${value.partition}`
      const writer = (this.#tables.get(key) ?? this.#open(key, value.table, value.partition !== undefined, at)).writer
      writer.append(value.row, at)
      if (writer.full) await writer.flush()
    }
    await this.#keepWithinBudget()
  }

  /** `folder`: the table's, or a partition folder in it (`<table>/project_id=<id>`). */
  #open(folder: string, table: TableName, partitioned: boolean, at: Position): OpenTable {
    if (partitioned && ++this.#openPartitions > maxOpenPartitions) {
      throw new SinkError(
        `${folder}: more than ${maxOpenPartitions} partition files (tables × projects) in one writer; partitioning keeps each open until the commit, so it suits exports of a few dozen projects: load fewer projects per run (the CLI's --filter project_ids=…), or write without partitions`,
        { at },
      )
    }
    const { dir, loadId, seq } = this.#options
    const file = new PartFile(dir, folder, partFileName(loadId, seq, this.#format.extension), table)
    const opened = { table, writer: this.#format.createWriter(table, file, at), file }
    this.#tables.set(folder, opened)
    file.create()
    return opened
  }

  async #keepWithinBudget(): Promise<void> {
    const budget = this.#format.maxBufferedBytes
    let total = 0
    for (const { writer } of this.#tables.values()) total += writer.bufferedBytes
    while (total > budget) {
      let biggest: TableWriter | undefined
      for (const { writer } of this.#tables.values()) if (writer.bufferedBytes > (biggest?.bufferedBytes ?? 0)) biggest = writer
      if (biggest === undefined) return
      total -= biggest.bufferedBytes
      await biggest.flush()
    }
  }

  async #commit(): Promise<void> {
    const { dir, loadId, describeRun, commit } = this.#options
    // Table by table in schema.md's order, each table's partitions in the order they were opened.
    const opened = tableNames.flatMap((table) => [...this.#tables.values()].filter((open) => open.table === table))
    // Every encoder finishes and every file is durable under its temp name before any becomes visible.
    for (const { writer } of opened) await writer.finish()
    if (commit === 'none') {
      this.#sealed = opened.map((table) => ({ ...manifestEntry(table), tempPath: table.file.tempPath }))
      return
    }
    // Upstream is done when _final runs, so the facts (dead letters, input bytes) are final here.
    let facts: RunFacts | undefined
    try {
      facts = describeRun?.()
    } catch (cause) {
      throw new SinkError(`manifest: describeRun() threw: ${messageOf(cause)}`, { cause })
    }
    const parts = opened.map((table) => ({ ...manifestEntry(table), publish: () => table.file.publish() }))
    const committed = await publishLoad(dir, parts, { loadId, format: this.#format.name, startedAt: this.#startedAt, facts })
    this.#manifestFile = committed.file
    this.#manifest = committed.manifest
  }

  /** Undo everything of an unfinished run: the manifest first (so no reader trusts it), then every part file. */
  async #rollback(): Promise<void> {
    await this.#busy
    // After 'finish' (autoDestroy) the run is committed and stays (with commit 'none', its sealed files are the
    // caller's); before it, nothing of the run may remain.
    if (this.writableFinished) return
    const failures: unknown[] = []
    await this.#manifestFile?.discard().catch((error: unknown) => failures.push(error))
    for (const { writer, file } of this.#tables.values()) {
      await writer.abort()
      await file.discard().catch((error: unknown) => failures.push(error))
    }
    await removeEmptyFolders([...this.#tables.values()].flatMap(({ file }) => file.createdFolders))
    if (failures.length > 0) throw failures[0]
  }
}

function manifestEntry({ table, writer, file }: OpenTable): ManifestFile {
  return { table, path: file.relativePath, rows: writer.rows, bytes: file.bytes }
}

function asSinkError(error: unknown): Error {
  if (isLabelpipeError(error)) return error
  return new SinkError(messageOf(error), { cause: error })
}

import { createReadStream } from 'node:fs'
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream'
import {
  type Batch,
  ExportFormatError,
  InvalidOptionError,
  type Located,
  type PipelineStage,
  type Position,
  type V1Label,
  type V1LabelGroup,
} from '@labelpipe/core'
import split2 from 'split2'
import { z } from 'zod'
import { KeyedLineArena } from './keyed-line-arena.js'

//   labels (array order) ─▶ buffer ──past memoryBudget: sort by DataRow ID (stable), spill a run file──▶ run-0..k
//   end of input ─▶ k-way merge of the run files + the sorted buffer ─▶ adjacent equal ids ─▶ V1LabelGroup
// With assumeGrouped: labels pass straight through, a group ends where the id changes.

export interface GroupV1LabelsOptions {
  /**
   * Estimated bytes of labels held in memory before a sorted run is spilled to a temp file. Default 256 MiB
   * (issue 4). Buffered labels are held as their spill lines, UTF-8 JSON packed into a KeyedLineArena, and counted
   * by the arena's allocated bytes.
   */
  readonly memoryBudget?: number
  /**
   * The input is known to hold each data row's labels together: group them as they come, with no sort and no
   * temp file. A data row id that comes back after another fails the run (ExportFormatError naming the id and
   * both array indexes). The ids seen are kept to detect it (tens of bytes each). Default false.
   */
  readonly assumeGrouped?: boolean
  /** Where the spill folder (`labelpipe-v1-group-*`) is made. Default `os.tmpdir()`. */
  readonly tempDir?: string
  /** Groups per output batch. Default 128; a batch is also cut at 1 MiB of label JSON (sorted path). */
  readonly batchSize?: number
}

const optionsSchema = z.object({
  memoryBudget: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  assumeGrouped: z.boolean().default(false),
  tempDir: z.string().min(1).optional(),
  batchSize: z.number().int().positive().default(128),
})

type ParsedOptions = z.infer<typeof optionsSchema>

/** Where groupV1Labels is in its work, for tests and progress: spilled runs and the folder that holds them. */
export interface GroupV1LabelsStats {
  readonly labels: number
  readonly groups: number
  readonly spilledRuns: number
  /** The spill folder while it exists (removed on success, failure and abort), else undefined. */
  readonly spillDir: string | undefined
}

/** A pipeline stage from located v1 labels to located groups (one per data row), with `stats`. */
export interface V1LabelGrouper extends PipelineStage<V1Label, V1LabelGroup> {
  readonly stats: GroupV1LabelsStats
}

interface Entry {
  readonly id: string
  readonly label: V1Label
  readonly at: Position
  /** Bytes of its spill line: what the batch cut counts. */
  readonly bytes: number
}

// A batch of groups is also cut at this many bytes of label JSON, as readV2Export cuts its batches at 1 MiB of
// line text: 128 groups of video labels with inlined frames (hundreds of KB each) would otherwise be live at once.
const batchBytes = 1024 * 1024

/**
 * Groups v1 labels by `DataRow ID`: v1 lists labels, and one data row's labels need not be adjacent
 * (formats.md "Export v1"), while v2 wants each data row once with all its labels. By default an external
 * sort/merge in bounded memory: labels are buffered up to `memoryBudget`, each full buffer is sorted by id
 * (stably: array order within a data row) and spilled to a temp file as a run; at the end the runs are merged.
 * Groups come out in data row id order, each located at its first label. Temp files live in one folder that
 * is removed however the stage ends: success, failure, or abort (the generator's `finally`).
 */
export function groupV1Labels(options: GroupV1LabelsOptions = {}): V1LabelGrouper {
  const parsed = optionsSchema.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidOptionError(issue?.path.join('.') ?? 'options', issue?.message ?? 'invalid')
  }
  return new LabelGrouper(Object.freeze(parsed.data))
}

class LabelGrouper implements V1LabelGrouper {
  readonly name = 'groupV1Labels'
  readonly #options: ParsedOptions
  #labels = 0
  #groups = 0
  #spilledRuns = 0
  #spillDir: string | undefined = undefined

  constructor(options: ParsedOptions) {
    this.#options = options
  }

  get stats(): GroupV1LabelsStats {
    return { labels: this.#labels, groups: this.#groups, spilledRuns: this.#spilledRuns, spillDir: this.#spillDir }
  }

  readonly run = (batches: AsyncIterable<Batch<V1Label>>): AsyncIterable<Batch<V1LabelGroup>> =>
    this.#options.assumeGrouped ? this.#grouped(batches) : this.#sorted(batches)

  async *#grouped(batches: AsyncIterable<Batch<V1Label>>): AsyncGenerator<Batch<V1LabelGroup>> {
    const lastIndexOf = new Map<string, number>()
    let current: { id: string; labels: V1Label[]; at: Position } | undefined
    let out: Located<V1LabelGroup>[] = []
    for await (const batch of batches) {
      for (const { value, at } of batch) {
        this.#labels++
        const id = value['DataRow ID']
        if (current !== undefined && current.id === id) current.labels.push(value)
        else {
          const earlier = lastIndexOf.get(id)
          if (earlier !== undefined) {
            throw new ExportFormatError(
              `data row ${id} comes back after other data rows (its labels before ended at array index ${earlier}): the input is not grouped by data row; read it without assumeGrouped`,
              { at, path: ['DataRow ID'] },
            )
          }
          if (current !== undefined) out.push(this.#group(current.id, current.labels, current.at))
          current = { id, labels: [value], at }
        }
        lastIndexOf.set(id, at.arrayIndex ?? this.#labels - 1)
      }
      if (out.length >= this.#options.batchSize) {
        yield out
        out = []
      }
    }
    if (current !== undefined) out.push(this.#group(current.id, current.labels, current.at))
    if (out.length > 0) yield out
  }

  async *#sorted(batches: AsyncIterable<Batch<V1Label>>): AsyncGenerator<Batch<V1LabelGroup>> {
    const runs: string[] = []
    const arena = new KeyedLineArena(this.#options.memoryBudget)
    try {
      for await (const batch of batches) {
        for (const { value, at } of batch) {
          this.#labels++
          arena.append(value['DataRow ID'], JSON.stringify([at.file, at.line, at.byteOffset, at.arrayIndex ?? -1, value]))
          if (arena.full) {
            runs.push(await this.#spill(arena, runs.length))
            arena.clear()
          }
        }
      }
      // Once anything spilled, the input was larger than the budget: the rest spills too and the arena is
      // released, so the merge and everything downstream of it run without the budget's memory still held.
      if (runs.length > 0 && arena.size > 0) {
        runs.push(await this.#spill(arena, runs.length))
        arena.release()
      }
      yield* this.#merge([...runs.map((path) => readRun(path)), memoryRun(arena)])
    } finally {
      arena.release()
      const dir = this.#spillDir
      if (dir !== undefined) {
        await rm(dir, { recursive: true, force: true })
        this.#spillDir = undefined
      }
    }
  }

  async *#merge(runs: AsyncIterator<Entry>[]): AsyncGenerator<Batch<V1LabelGroup>> {
    const heads: (Entry | undefined)[] = []
    try {
      for (const run of runs) heads.push(await next(run))
      let out: Located<V1LabelGroup>[] = []
      let outBytes = 0
      let current: { id: string; labels: V1Label[]; at: Position } | undefined
      for (;;) {
        // Smallest id; on a tie the earlier run, which holds the earlier labels (runs are spilled in array order).
        let min = -1
        for (let i = 0; i < heads.length; i++) {
          const head = heads[i]
          if (head !== undefined && (min === -1 || head.id < (heads[min] as Entry).id)) min = i
        }
        if (min === -1) break
        const entry = heads[min] as Entry
        heads[min] = await next(runs[min] as AsyncIterator<Entry>)
        outBytes += entry.bytes
        if (current !== undefined && current.id === entry.id) {
          current.labels.push(entry.label)
          continue
        }
        if (current !== undefined) out.push(this.#group(current.id, current.labels, current.at))
        current = { id: entry.id, labels: [entry.label], at: entry.at }
        if (out.length >= this.#options.batchSize || outBytes >= batchBytes) {
          yield out
          out = []
          outBytes = entry.bytes
        }
      }
      if (current !== undefined) out.push(this.#group(current.id, current.labels, current.at))
      if (out.length > 0) yield out
    } finally {
      await Promise.all(runs.map((run) => run.return?.()))
    }
  }

  #group(dataRowId: string, labels: V1Label[], at: Position): Located<V1LabelGroup> {
    this.#groups++
    return { value: { dataRowId, labels }, at }
  }

  /** Writes the arena's lines in key order as one run file: a line per label, `[file, line, byteOffset, arrayIndex, label]`. */
  async #spill(arena: KeyedLineArena, seq: number): Promise<string> {
    this.#spillDir ??= await mkdtemp(join(this.#options.tempDir ?? tmpdir(), 'labelpipe-v1-group-'))
    const path = join(this.#spillDir, `run-${seq}.ndjson`)
    const handle: FileHandle = await open(path, 'wx')
    try {
      const newline = Buffer.from('\n')
      let pending: Buffer[] = []
      let pendingBytes = 0
      for (const i of arena.sortedOrder()) {
        const line = arena.line(i)
        pending.push(line, newline)
        pendingBytes += line.length + 1
        if (pendingBytes >= 1024 * 1024) {
          await handle.writev(pending)
          pending = []
          pendingBytes = 0
        }
      }
      if (pending.length > 0) await handle.writev(pending)
    } finally {
      await handle.close()
    }
    this.#spilledRuns++
    return path
  }
}

async function next(run: AsyncIterator<Entry>): Promise<Entry | undefined> {
  const result = await run.next()
  return result.done === true ? undefined : result.value
}

async function* memoryRun(arena: KeyedLineArena): AsyncGenerator<Entry> {
  for (const i of arena.sortedOrder()) yield fromSpillLine(arena.line(i).toString('utf8'))
}

type SpilledLine = [file: string, line: number, byteOffset: number, arrayIndex: number, label: V1Label]

/** A spill line back to its label: written from validated labels, so trusted. */
function fromSpillLine(text: string): Entry {
  const [file, line, byteOffset, arrayIndex, label] = JSON.parse(text) as SpilledLine
  const at: Position = arrayIndex === -1 ? { file, line, byteOffset } : { file, line, byteOffset, arrayIndex }
  return { id: label['DataRow ID'], label, at, bytes: text.length }
}

async function* readRun(path: string): AsyncGenerator<Entry> {
  const lines = split2('\n')
  const bytes = createReadStream(path)
  // pipeline() owns both streams: an error on either destroys the other and ends the loop below.
  pipeline(bytes, lines, () => {})
  try {
    for await (const text of lines as AsyncIterable<string>) yield fromSpillLine(text)
  } finally {
    bytes.destroy()
    lines.destroy()
  }
}

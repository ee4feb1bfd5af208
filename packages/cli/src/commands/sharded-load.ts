//                       coordinator (main thread): one load, committed once
//   [0, size) ── or shard k of n ──▶ W byte ranges of equal size, one per worker thread
//   ┌──────────────────────────────┐   ┌──────────────────────────────┐
//   │ worker 0 (seq k-1)           │   │ worker 1 (seq k-1 + n)       │  each: readV2Export({ range })
//   │ → flattenDataRows → sinks    │   │ → flattenDataRows → sinks    │  → flattenDataRows → file sinks
//   │   (commit: 'none': sealed)   │   │   (commit: 'none': sealed)   │  with commit: 'none'
//   └──────────────┬───────────────┘   └───────────────┬──────────────┘
//                  └── progress, dead letters, sealed parts or failure ──┐ (postMessage)
//   all sealed ─▶ per --to: rename every worker's parts, one manifest    ▼
//   a failure or the signal ─▶ 'abort' to every worker, wait for all to exit, removeParts of every seq
// v2 lines are independent, so a worker's rows are exactly the rows a single-threaded run makes of its lines.
import { stat } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import {
  type DeadLetter,
  InvalidOptionError,
  isLabelpipeError,
  PipelineAbortedError,
  type PipelineProgress,
  type RunFacts,
  StageError,
  type StageProgress,
  tableNames,
} from '@labelpipe/core'
import { assertNotCommitted, type CommittedLoad, commitSealedParts, removeParts, type SealedPart } from '@labelpipe/sinks/ndjson'
import { type ByteRange, rangeableFileBytes, splitIntoRanges } from '@labelpipe/sources'
import { fileTargets, type LoadConfig, type Shard } from '../args.js'
import { type CliIo, reportCleanupFailure } from '../io.js'
import { latestCursors } from './cursors.js'
import { cursorFacts } from './data-row-stages.js'
import type { LoadContext, LoadRun } from './load.js'
import { sumCounts } from './sum-counts.js'
import { workerLimits, workerMemory } from './worker-memory.js'
import { type CoordinatorMessage, type WorkerMessage, type WorkerResult, type WorkerTask, WorkerThreadError } from './worker-messages.js'

const workerScript = new URL('./load-worker.js', import.meta.url)

/** Whether `input` can be loaded by a worker thread: a regular, non-empty file that is not gzip (not stdin, a FIFO, a .gz). */
export async function loadableInWorker(input: string): Promise<boolean> {
  if (input === '-') return false
  // stat() first: opening a FIFO for reading waits for a writer. rangeableFileBytes refuses gzip.
  const stats = await stat(input).catch(() => undefined)
  if (stats === undefined || !stats.isFile() || stats.size === 0) return false
  return rangeableFileBytes(input).then(
    () => true,
    () => false,
  )
}

/** `<load id>.shard-<k>-of-<n>`: the manifest (and default dead-letter file) name of one shard of a load. */
export function shardRunName(loadId: string, shard: Shard): string {
  return `${loadId}.shard-${shard.index}-of-${shard.count}`
}

/**
 * Loads `config.input` with `config.workers` worker threads, optionally only shard `config.shard` of it, and
 * commits once: every worker seals its part files (`part-<load id>-<seq>`, seq = (k - 1) + n × worker, unique
 * across workers and shards), and only when all succeeded are they renamed and one manifest per target
 * written. A failure in any worker, or the signal, aborts every worker and removes every file of the run.
 */
export async function loadSharded(
  config: LoadConfig,
  io: CliIo,
  context: LoadContext,
  settings: 'workers' | 'one-thread' = 'workers',
): Promise<LoadRun> {
  const { loadId, startedAt, deadLetters } = context
  const shard = config.shard ?? { index: 1, count: 1 }
  const fileBytes = await rangeableFileBytes(config.input).catch((error: unknown) => {
    if (!isLabelpipeError(error) || error.code !== 'LP_INVALID_OPTION') throw error
    const flag = config.shard === undefined ? '--workers' : '--shard'
    throw new InvalidOptionError(
      flag,
      `splits the file by byte ranges, and ${config.input} is gzip-compressed (compressed bytes have no line starts to split at); decompress it first, or load it without ${flag}`,
    )
  })
  const shardRange = splitIntoRanges({ start: 0, end: fileBytes }, shard.count)[shard.index - 1] as ByteRange
  const ranges = splitIntoRanges(shardRange, config.workers)
  const memory = await workerMemory(
    settings,
    config.input,
    shardRange,
    config.to.map((target) => target.kind),
  )
  const seqs = ranges.map((_, worker) => shard.index - 1 + shard.count * worker)
  const manifestName = config.shard === undefined ? loadId : shardRunName(loadId, config.shard)
  // A load id committed before (a shard run again) is refused before any worker starts, not after all of them.
  for (const target of fileTargets(config.to)) await assertNotCommitted(target.dir, manifestName)
  const sharedErrorCount = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
  const started = performance.now()
  const latest: (PipelineProgress | undefined)[] = ranges.map(() => undefined)
  let failure: unknown

  const aggregate = (done: boolean): PipelineProgress => ({
    stages: sumStages(latest),
    bytesRead: latest.reduce((sum, progress) => sum + (progress?.bytesRead ?? 0), 0),
    totalBytes: shardRange.end - shardRange.start,
    elapsedMs: performance.now() - started,
    done,
  })
  const postgresLoads = await preparePostgresLoads(config, loadId)
  const runs = ranges.map((range, index) =>
    runWorker(
      { config, loadId, range, seq: seqs[index] as number, sharedErrorCount, memory, cursors: context.cursors },
      `worker ${index + 1} of ${ranges.length} (bytes ${range.start}-${range.end})`,
      {
        progress: (progress) => {
          latest[index] = progress
          context.onProgress(aggregate(false))
        },
        deadLetter: async (letter) => {
          if (deadLetters === undefined) throw new StageError(`worker ${index + 1}`, 'sent a dead letter although --max-errors is 0')
          await deadLetters.write(letter)
        },
        failed: (error) => fail(error),
      },
    ),
  )
  function fail(error: unknown): void {
    if (failure !== undefined) return
    failure = error
    for (const run of runs) run.abort()
  }
  const onAbort = () => fail(new PipelineAbortedError(io.signal.reason))
  if (io.signal.aborted) onAbort()
  io.signal.addEventListener('abort', onAbort, { once: true })

  let results: (WorkerResult | undefined)[]
  try {
    results = await Promise.all(runs.map((run) => run.done))
  } finally {
    io.signal.removeEventListener('abort', onAbort)
  }
  const committed: CommittedLoad[] = []
  // Every step of the undo runs whatever the one before it did (Postgres rollbacks never reject); the run's own
  // error is what is thrown, and a failed step is reported beside it.
  const undo = async () => {
    const failed: unknown[] = []
    for (const load of committed) await load.discard().catch((error: unknown) => failed.push(error))
    for (const target of fileTargets(config.to)) await removeParts(target.dir, loadId, seqs).catch((error: unknown) => failed.push(error))
    await Promise.all(postgresLoads.map((load) => load.rollback()))
    for (const error of failed) reportCleanupFailure(io, error)
  }
  if (failure !== undefined || results.some((result) => result === undefined)) {
    await undo()
    throw failure
  }
  const finished = results as WorkerResult[]
  finished.forEach((result, index) => {
    latest[index] = result.progress
  })
  const progress = aggregate(true)
  const flattenStats = sumCounts(finished.map((result) => result.flattenStats))
  const deadLetterCount = finished.reduce((sum, result) => sum + result.deadLetters, 0)
  const facts: RunFacts = {
    source: 'v2',
    input: config.input,
    inputBytes: progress.bytesRead,
    deadLetters: deadLetterCount,
    startedAt,
    ...cursorFacts(config, deadLetterCount, () => latestCursors(finished.map((result) => result.cursors))),
  }
  try {
    for (const [index, target] of fileTargets(config.to).entries()) {
      const parts = inTableOrder(finished.flatMap((result) => result.parts[index] ?? []))
      committed.push(await commitSealedParts(target.dir, parts, { loadId, format: target.kind, startedAt, facts }, manifestName))
    }
    // Postgres last: a file commit can still be undone when a database commit fails, not the other way round.
    for (const load of postgresLoads) {
      const letters = deadLetters?.forPostgres?.()
      await load.commit(facts, letters === undefined ? {} : { deadLetters: letters })
    }
  } catch (error) {
    // A later target failed: the earlier ones are no longer a committed load either.
    await undo()
    throw error
  }
  // Elapsed time up to the commits' end, as a one-thread run reports it (its sinks commit inside the pipeline).
  const done = aggregate(true)
  context.onProgress(done)
  const filtered = finished.flatMap((result) => (result.filterStats === undefined ? [] : [result.filterStats]))
  return {
    progress: done,
    rowsByTable: flattenStats.rowsByTable,
    deadLetters: deadLetterCount,
    filterStats: filtered.length === 0 ? undefined : sumCounts(filtered),
  }
}

type PostgresLoad = Awaited<ReturnType<typeof import('@labelpipe/sinks/postgres').preparePostgresLoad>>

/** One prepared run (schema, staging tables, 'running' row) per postgres target; on a failure, the ones prepared are rolled back. */
async function preparePostgresLoads(config: LoadConfig, loadId: string): Promise<PostgresLoad[]> {
  const targets = config.to.filter((target) => target.kind === 'postgres')
  if (targets.length === 0) return []
  const { preparePostgresLoad } = await import('@labelpipe/sinks/postgres')
  const loads: PostgresLoad[] = []
  try {
    for (const target of targets) {
      loads.push(
        await preparePostgresLoad({
          connectionString: target.connectionString,
          loadId,
          // Known now: load_runs names them from the start, so a run that fails says what it was loading.
          source: 'v2',
          input: config.input,
          mode: config.pgMode,
          ...(config.pgSchema === undefined ? {} : { schema: config.pgSchema }),
        }),
      )
    }
  } catch (error) {
    await Promise.all(loads.map((load) => load.rollback()))
    throw error
  }
  return loads
}

interface WorkerEvents {
  progress(progress: PipelineProgress): void
  /** Resolves once the letter is written; the worker waits for that before reading on. */
  deadLetter(letter: DeadLetter): Promise<void>
  failed(error: unknown): void
}

interface WorkerRun {
  /** Asks the worker to stop; it removes its own files and exits (its files are removed again by seq anyway). */
  abort(): void
  /** Settles when the thread has exited: with its sealed result, or undefined when it failed (reported through `failed`). */
  readonly done: Promise<WorkerResult | undefined>
}

function runWorker(task: WorkerTask, where: string, events: WorkerEvents): WorkerRun {
  const worker = new Worker(workerScript, { workerData: task, resourceLimits: workerLimits(task) })
  const send = (message: CoordinatorMessage) => worker.postMessage(message)
  let result: WorkerResult | undefined
  let reported = false
  const failed = (error: unknown) => {
    reported = true
    events.failed(error)
  }
  worker.on('message', (message: WorkerMessage) => {
    switch (message.type) {
      case 'progress':
        events.progress(message.progress)
        break
      case 'dead-letter':
        events.deadLetter(message.letter).then(() => send({ type: 'dead-letter-written' }), failed)
        break
      case 'sealed':
        result = message.result
        break
      case 'failed':
        failed(new WorkerThreadError(message.error))
        break
    }
  })
  // An uncaught error or a crash (out of memory): the thread is gone without cleaning up; removeParts will.
  worker.on('error', (error) => failed(new StageError(where, error)))
  const done = new Promise<WorkerResult | undefined>((resolve) => {
    worker.once('exit', (code) => {
      if (result === undefined && !reported) failed(new StageError(where, `exited with code ${code} before sealing its files`))
      resolve(result)
    })
  })
  return { abort: () => send({ type: 'abort' }), done }
}

function sumStages(progress: readonly (PipelineProgress | undefined)[]): StageProgress[] {
  const stages: StageProgress[] = []
  for (const each of progress) {
    each?.stages.forEach((stage, i) => {
      stages[i] = { name: stage.name, records: (stages[i]?.records ?? 0) + stage.records }
    })
  }
  return stages
}

/** Schema table order, then seq (part names are zero-padded, so path order is seq order). */
function inTableOrder(parts: readonly SealedPart[]): SealedPart[] {
  const rank = new Map(tableNames.map((table, i) => [table, i]))
  return [...parts].sort((a, b) => (rank.get(a.table) ?? 0) - (rank.get(b.table) ?? 0) || a.path.localeCompare(b.path))
}

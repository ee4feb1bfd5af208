import type { DeadLetter, RunFacts } from '@labelpipe/core'
import { type NdjsonSink, ndjsonSink } from '@labelpipe/sinks/ndjson'
import { type ParquetSink, parquetSink } from '@labelpipe/sinks/parquet'
import type { PostgresSink } from '@labelpipe/sinks/postgres'
import type { FileTarget, LoadConfig } from '../args.js'

/** How a sink of a sharded load differs from the single-threaded one's (worker-memory.ts). */
export interface ShardSinkOptions {
  readonly seq: number
  /** Seal only: the coordinator commits every worker's files as one load. */
  readonly commit: 'none'
  /** The Parquet sink's default (per engine) when not given. */
  readonly rowGroupRows?: number | undefined
  readonly maxBufferedBytes: number
}

/** The sinks of a single-threaded load: `files` commit first, then `postgres` (fanOutSink commits in order). */
export interface LoadSinks {
  readonly files: readonly (ParquetSink | NdjsonSink)[]
  readonly postgres: readonly PostgresSink[]
}

/**
 * The sinks of every `--to` target, in the single-threaded load. The Postgres sink is imported only when a target
 * needs it: pg and its dependencies add ~30 MB to every isolate that loads them (measured: 39 -> 68 MB RSS).
 */
export async function createSinks(
  config: LoadConfig,
  loadId: string,
  describeRun: () => RunFacts,
  deadLetters: (() => AsyncIterable<DeadLetter>) | undefined,
): Promise<LoadSinks> {
  const files = config.to.flatMap((target) => (target.kind === 'postgres' ? [] : [createFileSink(target, config, loadId, describeRun)]))
  const urls = config.to.flatMap((target) => (target.kind === 'postgres' ? [target.connectionString] : []))
  if (urls.length === 0) return { files, postgres: [] }
  const { postgresSink } = await import('@labelpipe/sinks/postgres')
  // Known now: load_runs names them from the start, so a run that fails says what it was loading.
  const { source, input } = describeRun()
  const postgres = urls.map((connectionString) =>
    postgresSink({
      connectionString,
      loadId,
      source,
      input,
      describeRun,
      ...(deadLetters === undefined ? {} : { deadLetters }),
      mode: config.pgMode,
      ...(config.pgSchema === undefined ? {} : { schema: config.pgSchema }),
    }),
  )
  return { files, postgres }
}

/** The sink of one file target; `shard` for a worker thread of a sharded load. */
export function createFileSink(
  target: FileTarget,
  config: LoadConfig,
  loadId: string,
  describeRun: (() => RunFacts) | undefined,
  shard?: ShardSinkOptions,
): ParquetSink | NdjsonSink {
  const common = { dir: target.dir, loadId, ...(describeRun === undefined ? {} : { describeRun }) }
  const fileOptions = shard === undefined ? {} : { seq: shard.seq, commit: shard.commit }
  if (target.kind === 'ndjson') return ndjsonSink({ ...common, ...fileOptions, gzip: config.ndjsonGzip })
  const parquetOptions =
    shard === undefined
      ? {}
      : { maxBufferedBytes: shard.maxBufferedBytes, ...(shard.rowGroupRows === undefined ? {} : { rowGroupRows: shard.rowGroupRows }) }
  return parquetSink({ ...common, ...fileOptions, ...parquetOptions, engine: config.parquetEngine })
}

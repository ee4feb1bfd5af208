import {
  type DeadLetter,
  type FieldPath,
  isLabelpipeError,
  LabelpipeError,
  type LabelpipeErrorCode,
  type PipelineProgress,
  StageError,
} from '@labelpipe/core'
import type { SealedPart } from '@labelpipe/sinks/ndjson'
import type { ByteRange } from '@labelpipe/sources'
import type { FilterStats, FlattenStats } from '@labelpipe/transforms'
import type { LoadConfig } from '../args.js'

// The protocol between the coordinator of a sharded load (sharded-load.ts) and its worker threads
// (load-worker.ts). Everything here crosses a thread by structured clone, so it is plain data.

/** `workerData`: what one worker loads and how it names its files. */
export interface WorkerTask {
  readonly config: LoadConfig
  readonly loadId: string
  readonly range: ByteRange
  /** The `<seq>` of this worker's part files, unique across the workers and shards of the load. */
  readonly seq: number
  /** Dead letters of the whole run, counted across workers (element 0), so --max-errors is global. */
  readonly sharedErrorCount: Int32Array
  /** With --incremental: the cursors of the previous runs, per project id. */
  readonly cursors: Readonly<Record<string, string>> | undefined
  /** Source batch size and Parquet buffers, smaller than a lone process's (see worker-memory.ts). */
  readonly memory: {
    readonly batchSize: number
    /** Parquet rows per row group; the sink's default (per engine) when not given. */
    readonly rowGroupRows?: number
    readonly maxBufferedBytes: number
    /** The worker's young generation (resourceLimits.maxYoungGenerationSizeMb): by line size for --workers, by target for one thread (worker-memory.ts). */
    readonly youngGenerationMb: number
    /** readV2Export's lineDecoding: batched is faster on long lines, per-line holds less. */
    readonly lineDecoding: 'auto' | 'per-line'
  }
}

/** A worker's part of the run once its files are sealed (not yet visible). */
export interface WorkerResult {
  /** Per `--to` target, in order: the sealed part files. */
  readonly parts: readonly (readonly SealedPart[])[]
  readonly flattenStats: FlattenStats
  /** With --filter, --exclude or --incremental. */
  readonly filterStats: FilterStats | undefined
  /** The cursors this worker's data rows reached, per project id (ISO-8601). */
  readonly cursors: Readonly<Record<string, string>>
  readonly deadLetters: number
  readonly progress: PipelineProgress
}

export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: PipelineProgress }
  /** Answered by `dead-letter-written` once the coordinator's dead-letter file has accepted it. */
  | { readonly type: 'dead-letter'; readonly letter: DeadLetter }
  | { readonly type: 'sealed'; readonly result: WorkerResult }
  | { readonly type: 'failed'; readonly error: SerializedError }

export type CoordinatorMessage =
  | { readonly type: 'dead-letter-written' }
  /** Stop now: the run failed elsewhere or was interrupted; remove your files and report `failed`. */
  | { readonly type: 'abort' }

/** A LabelpipeError as plain data: structured clone keeps neither its class nor its code. */
export interface SerializedError {
  readonly code: LabelpipeErrorCode
  readonly message: string
  readonly stack: string | undefined
  readonly file: string | undefined
  readonly line: number | undefined
  readonly byteOffset: number | undefined
  readonly path: FieldPath | undefined
  readonly stage: string | undefined
}

export function serializeError(error: unknown, where: string): SerializedError {
  const thrown = isLabelpipeError(error) ? error : new StageError(where, error)
  const { code, message, stack, file, line, byteOffset, path, stage } = thrown
  return { code, message, stack, file, line, byteOffset, path, stage }
}

/** A LabelpipeError thrown in a worker thread, rebuilt in the coordinator: the same code, message, position and stage. */
export class WorkerThreadError extends LabelpipeError {
  constructor(thrown: SerializedError) {
    // No `at`: the message already names the position, which the fields below carry for programs.
    super(thrown.code, thrown.message)
    Object.assign(this, { file: thrown.file, line: thrown.line, byteOffset: thrown.byteOffset, path: thrown.path })
    this.stage = thrown.stage
    if (thrown.stack !== undefined) this.stack = thrown.stack
  }
}

//   source (bytes -> records)     transforms (pure stages)      sink (Writable)
//   ┌──────────────────────┐   ┌──────────────────────────┐   ┌──────────────────┐
//   │ file/stdin → gunzip  │   │ runStage(flattenDataRows) │   │ parquetSink /    │
//   │ → split2 → JSON.parse│──▶│ (batches of Located<T>)   │──▶│ ndjsonSink: temp │
//   │ → zod (validate once)│   │ counted per stage         │   │ files → rename   │
//   └──────────────────────┘   └──────────────────────────┘   └──────────────────┘
// One stream/promises pipeline() owns the run: a slow sink's write() returning false stops the pull from
// the generators, which stops the source reading; the first error (or the AbortSignal) destroys every stage,
// so files and sockets close in their owners' finally/_destroy, and runPipeline rejects once, naming the stage.
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { LabelpipeError, PipelineAbortedError, StageError } from './errors.js'
import type { Batch } from './stage.js'

export interface SourceProgress {
  readonly bytesRead: number
  /** Undefined when the size is not known in advance (stdin, a pipe). */
  readonly totalBytes: number | undefined
}

/** A source: batches of located records, and how far through its input it is. */
export interface PipelineSource<T> extends AsyncIterable<Batch<T>> {
  readonly name: string
  progress(): SourceProgress
  /**
   * Stops reading now: destroys the input so a pending read (stdin, a socket) rejects instead of waiting for
   * bytes that may never come. pipeline() can only ask an async iterator to return(), which waits for that
   * read; runPipeline calls this on abort and on the first error of any stage.
   */
  destroy?(error: Error): void
}

export type StageFunction<In, Out> = (batches: AsyncIterable<Batch<In>>, options: { signal: AbortSignal }) => AsyncIterable<Batch<Out>>

/** A transform with the name that progress reports and errors carry. */
export interface PipelineStage<In, Out> {
  readonly name: string
  readonly run: StageFunction<In, Out>
}

export interface StageProgress {
  readonly name: string
  readonly records: number
}

export interface PipelineProgress extends SourceProgress {
  /** The source first, then each transform, in order: records each has emitted so far. */
  readonly stages: readonly StageProgress[]
  readonly elapsedMs: number
  readonly done: boolean
}

export interface RunPipelineOptions<T> {
  readonly source: PipelineSource<T>
  // Stages are chained by position, which TypeScript cannot type across a list; each stage is typed where built.
  readonly transforms?: readonly PipelineStage<never, unknown>[]
  readonly sink: Writable
  readonly signal?: AbortSignal
  /** Called every `progressIntervalMs` while running and once at the end with `done: true`. */
  readonly onProgress?: (progress: PipelineProgress) => void
  /** Default 250 ms. */
  readonly progressIntervalMs?: number
}

/**
 * Runs source -> transforms -> sink under one pipeline(). Resolves with the final progress once the sink
 * has finished (its data is durable); rejects with a LabelpipeError whose `stage` names where it failed.
 */
export async function runPipeline<T>(options: RunPipelineOptions<T>): Promise<PipelineProgress> {
  const { source, transforms = [], sink, onProgress } = options
  const started = performance.now()
  const counts = [{ name: source.name, records: 0 }, ...transforms.map((stage) => ({ name: stage.name, records: 0 }))]
  const stageOf = new WeakMap<object, string>()
  const signal = options.signal ?? new AbortController().signal

  const snapshot = (done: boolean): PipelineProgress => ({
    ...source.progress(),
    stages: counts.map(({ name, records }) => ({ name, records })),
    elapsedMs: performance.now() - started,
    done,
  })

  async function* counted(name: string, index: number, batches: AsyncIterable<Batch<unknown>>) {
    const count = counts[index] as { records: number }
    try {
      for await (const batch of batches) {
        count.records += batch.length
        yield batch
      }
    } catch (error) {
      if (typeof error === 'object' && error !== null && !stageOf.has(error)) stageOf.set(error, name)
      if (index > 0) stopSource(error)
      throw error
    }
  }

  const stages = transforms.map(
    (stage, i) => (batches: AsyncIterable<Batch<unknown>>, opts: { signal: AbortSignal }) =>
      counted(stage.name, i + 1, (stage.run as StageFunction<unknown, unknown>)(batches, opts)),
  )
  const stopSource = (error: unknown) => source.destroy?.(error instanceof Error ? error : new PipelineAbortedError(error))
  const onAbort = () => stopSource(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  sink.once('error', stopSource)
  const timer = onProgress === undefined ? undefined : setInterval(() => onProgress(snapshot(false)), options.progressIntervalMs ?? 250)
  timer?.unref()
  try {
    await pipelineOf([counted(source.name, 0, source), ...stages, sink], { signal })
  } catch (error) {
    throw attributeError(error, stageOf.get(error as object) ?? sink.constructor.name, signal)
  } finally {
    if (timer !== undefined) clearInterval(timer)
    signal.removeEventListener('abort', onAbort)
    sink.off('error', stopSource)
  }
  const final = snapshot(true)
  onProgress?.(final)
  return final
}

// @types/node types pipeline() for fixed arities only; a stage list of any length goes through its array form.
const pipelineOf = pipeline as (streams: readonly unknown[], options: { signal: AbortSignal }) => Promise<void>

function attributeError(error: unknown, stage: string, signal: AbortSignal): LabelpipeError {
  if (signal.aborted && !(error instanceof LabelpipeError)) return new PipelineAbortedError(signal.reason ?? error)
  if (error instanceof LabelpipeError) {
    error.stage ??= stage
    return error
  }
  return new StageError(stage, error)
}

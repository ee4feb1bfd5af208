import { LabelpipeError, TransformError } from './errors.js'
import type { Located, Position } from './position.js'

/** Pure and synchronous: one record in, zero or more out. An array for small fan-out, a generator for unbounded. */
export type RecordStage<In, Out> = (record: In, at: Position) => Iterable<Out>

/** What flows between pipeline stages: records in batches, so a stream boundary is crossed once per batch. */
export type Batch<T> = readonly Located<T>[]

export function composeStages<A, B, C>(first: RecordStage<A, B>, then: RecordStage<B, C>): RecordStage<A, C> {
  return function* (record, at) {
    for (const mid of first(record, at)) yield* then(mid, at)
  }
}

/** Default records per batch; large enough to amortize the per-batch promise, small enough to stay cache-warm. */
export const defaultBatchSize = 512

/**
 * Runs a record stage inside pipeline(). Rows cross a stream boundary once per batch, and yielding inside
 * the inner loop keeps a million-frame expansion lazy: downstream backpressure suspends us mid-record instead
 * of buffering the whole expansion (docs/style.md: a 2M-row expansion stayed within 1,024 rows ahead).
 */
export function runStage<In, Out>(stage: RecordStage<In, Out>, batchSize = defaultBatchSize) {
  return async function* runRecordStage(batches: AsyncIterable<Batch<In>>): AsyncGenerator<Batch<Out>> {
    let out: Located<Out>[] = []
    for await (const batch of batches) {
      for (const { value, at } of batch) {
        try {
          for (const row of stage(value, at)) {
            out.push({ value: row, at })
            if (out.length === batchSize) {
              yield out
              out = []
            }
          }
        } catch (cause) {
          throw cause instanceof LabelpipeError ? cause : new TransformError(at, { cause })
        }
      }
    }
    if (out.length > 0) yield out
  }
}

/**
 * Runs a record stage batch for batch: each input batch gives one output batch (an empty one is skipped). For
 * stages that keep, drop or replace records one for one (filters), so the batches stay as the source cut them:
 * readV2Export cuts a batch at 1 MiB of line text, and re-batching 128 video data rows of ~250 KB each held
 * ~600 MiB more at once on a 1 GB video export (measured: peak RSS 317 -> 872 MiB).
 */
export function runStagePerBatch<In, Out>(stage: RecordStage<In, Out>) {
  return async function* runRecordStagePerBatch(batches: AsyncIterable<Batch<In>>): AsyncGenerator<Batch<Out>> {
    for await (const batch of batches) {
      const out: Located<Out>[] = []
      for (const { value, at } of batch) {
        try {
          for (const record of stage(value, at)) out.push({ value: record, at })
        } catch (cause) {
          throw cause instanceof LabelpipeError ? cause : new TransformError(at, { cause })
        }
      }
      if (out.length > 0) yield out
    }
  }
}

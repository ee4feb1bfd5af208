import type { ResourceLimits } from 'node:worker_threads'
import { averageLineBytes, type ByteRange } from '@labelpipe/sources'
import type { Target } from '../args.js'
import type { WorkerTask } from './worker-messages.js'

/**
 * Each worker has its own V8 heap and parquet-wasm memory, so each is held tighter than a lone process. Measured on
 * the 1 GB image export to Parquet with 2 workers on 2 cores (split2 + JSON.parse alone: 9.3 s): the
 * single-threaded settings peaked at 410 MiB RSS; these at 278 MiB in 17.2 s.
 * - A heap limit: V8 lets a heap grow up to 4x its live size between full collections when its limit is large,
 *   ~1.6x at 1 GiB; a worker's old space stayed at ~25 MiB instead of 60-85. It leaves room for a line parsed
 *   whole: 16 bytes of heap per byte of --max-line-length (64 MiB when not given), 1 GiB at least.
 * - A 32 MiB young generation (V8's default reaches 48) for exports of short lines: 16 MiB saved ~30 MiB but took
 *   the 1 GB image export (~4 KB a line) from 16.8 s to 21.2 s. For longer lines 16 MiB: the 1 GB video export
 *   (~240 KB a line) peaked at 288 MiB in 24.8 s against 324 MiB in 23.5 s at 32; the 1 GB mixed export (images
 *   and video, ~37 KB a line) at 267 MiB in 20.3 s against 313 MiB in 17.8 s, and its 10 GB soak at 290 MiB
 *   against 328. The line size is sampled across the range (youngGenerationFor). 12 MiB would buy margin under
 *   300 MB at a price: the 10 GB soak to Parquet peaked at 275 MiB in 253 s against 284-288 MiB in 204-233 s at 16
 *   (2026-12-07, one run at 12).
 * - Source batches of 16 data rows instead of 128, so fewer rows are alive across collections: on the mixed export
 *   262 MiB against 279 at 32, and no slower; image and video batches are unchanged (the 1 MiB text cap cuts video
 *   batches first).
 * - Parquet row groups of 12,500 rows and 2 MiB of rows held in JS: parquet-wasm's memory, which never shrinks, is
 *   sized by the largest row group it encoded (~80 MiB for 100,000 rows, ~40 for 25,000).
 * - Lines decoded one by one (readV2Export's lineDecoding 'per-line'; a lone load's is 'auto'): with 2 workers on
 *   the 1 GB video export batched decoding took 19.4-24.8 s against 23.9-24.1 s per line (it gains less where both
 *   cores are busy: 43 CPU-seconds against 38), at 294-310 MiB against 268-270. Measured again 2026-12-07 (all
 *   tables to Parquet): 21.7-24.5 s against 26.5-31.4 s, 306-313 MiB against 265-274. The memory is the batches'
 *   external strings and 1 MiB reads, dead but not yet collected: a worker's peak `external` was 36 MiB against
 *   18. glibc keeps what they freed: MALLOC_ARENA_MAX=2 took the frame table load from 292-295 to 266-268 MiB,
 *   MALLOC_MMAP_THRESHOLD_=131072 to 251 MiB but at 12 s of system CPU against 3. Neither can be set from inside
 *   the process, and collecting more often (a forced full GC whenever `external` passed 28 MiB) held 255 MiB but
 *   was slower than per-line decoding in a trial on 300 MB (10.5 s against 9.7).
 *   Where every target is NDJSON there is room for it, and it pays most: 4 alternating rounds on the 1 GB video
 *   export with 2 workers (2026-12-07), 23.3-24.3 s against 26.1-31.8 s per line (one thread: 30.9-35.8 s), at
 *   240-245 MiB against 212-215. With a Postgres target it gained nothing (44.2-44.3 s against 42.0-46.7: the
 *   COPY path is bound elsewhere) and cost 45 MiB (275-279 against 229-236), so Postgres and Parquet keep it.
 */
const shardMemory = { batchSize: 16, rowGroupRows: 12_500, maxBufferedBytes: 2 * 1024 * 1024, lineDecoding: 'per-line' } as const

/**
 * A load without --workers or --shard of a plain file runs in ONE worker thread with the in-thread settings (the
 * sinks' defaults, row groups included) for the heap limit alone: on the main thread V8 lets the
 * heap grow to several times what is alive between collections (a heap snapshot halfway through the one-row 1 GB
 * video held 108 MiB alive at 390 MiB RSS). Measured on the 1 GB exports, same speed: video 265 -> 215 MiB, the
 * one-row video 388 -> 268-289 MiB.
 *
 * The young generation: 32 MiB with a Parquet target, whose row groups already take the 1 GB video to 244-254 MiB.
 * Without one, 64: fewer scavenges of the rows a COPY or NDJSON line encodes, at ~30 MiB more. Alternating runs on
 * the 1 GB exports (2026-12-07): video -> Postgres 39.9-47.1 s -> 35.2-47.0 s (user CPU 27.5-33.9 -> 22.7-32.2 s),
 * 205-213 -> 235-244 MiB; image -> Postgres 43.1-49.0 -> 36.6-38.0 s, 173 -> 203 MiB; video -> NDJSON 33.4-39.8 ->
 * 27.4-31.3 s, 182 -> 217 MiB. 128 MiB gained nothing more on video -> Postgres (39.4-42.7 s) at 297-303 MiB.
 *
 * Source batches: 16 data rows with a Parquet target, as in workers: 128 rows of short lines outgrow the 32 MiB
 * young generation (the same run spent more CPU-seconds in one thread than two workers did in all, 48.9 against
 * 40.6). Four alternating pairs on the 1 GB image export to Parquet (2026-12-07): 31.4-43.8 s -> 24.9-33.1 s, user
 * CPU 35.3-49.0 -> 25.2-33.7 s, 235-245 -> 234-236 MiB; mixed and video unchanged (the 1 MiB text cap already
 * cuts their batches). Without Parquet 128 stays: with the 64 MiB young generation, 16 took image -> Postgres from
 * 22.9-25.4 to 26.4-28.7 user CPU-seconds and did nothing for NDJSON.
 */
const oneThreadMemory = { maxBufferedBytes: 16 * 1024 * 1024, lineDecoding: 'auto' } as const
const oneThreadBatchSize = { parquet: 16, other: 128 } as const
const oneThreadYoungGenerationMb = { parquet: 32, other: 64 } as const
const longLineBytes = 16 * 1024

/** 16 MiB when the range's lines average 16 KiB or more (video, or images and video mixed), else 32 (see above). */
async function youngGenerationFor(path: string, range: ByteRange): Promise<number> {
  return (await averageLineBytes(path, range)) >= longLineBytes ? 16 : 32
}

export function workerLimits(task: WorkerTask): ResourceLimits {
  const lineMiB = (task.config.maxLineLength ?? 64 * 1024 * 1024) / (1024 * 1024)
  return { maxOldGenerationSizeMb: Math.max(1024, Math.ceil(16 * lineMiB)), maxYoungGenerationSizeMb: task.memory.youngGenerationMb }
}

/**
 * The memory settings of a load's workers: `'workers'` (--workers, --shard) or `'one-thread'` (see above), for
 * the kinds of its --to targets.
 */
export async function workerMemory(
  settings: 'workers' | 'one-thread',
  path: string,
  range: ByteRange,
  targets: readonly Target['kind'][],
): Promise<WorkerTask['memory']> {
  if (settings === 'one-thread') {
    const target = targets.includes('parquet') ? 'parquet' : 'other'
    return { ...oneThreadMemory, batchSize: oneThreadBatchSize[target], youngGenerationMb: oneThreadYoungGenerationMb[target] }
  }
  const lineDecoding = targets.every((kind) => kind === 'ndjson') ? 'auto' : shardMemory.lineDecoding
  return { ...shardMemory, lineDecoding, youngGenerationMb: await youngGenerationFor(path, range) }
}

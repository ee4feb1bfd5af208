import { Writable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { ExportFormatError } from './errors.js'
import { type PipelineProgress, type PipelineSource, runPipeline } from './pipeline.js'
import type { Located } from './position.js'
import { runStage } from './stage.js'

/** A source of `total` numbers in batches of 100 that records how far it got and whether it was closed. */
function countingSource(total: number, failAt = -1) {
  const state = { produced: 0, closed: false }
  const source: PipelineSource<number> = {
    name: 'numbers',
    progress: () => ({ bytesRead: state.produced * 10, totalBytes: total * 10 }),
    async *[Symbol.asyncIterator]() {
      try {
        while (state.produced < total) {
          const batch: Located<number>[] = []
          for (let i = 0; i < 100 && state.produced < total; i++) {
            const n = state.produced++
            if (n === failAt) throw new ExportFormatError('bad record', { at: { file: 'in', line: n + 1, byteOffset: n * 10 } })
            batch.push({ value: n, at: { file: 'in', line: n + 1, byteOffset: n * 10 } })
          }
          yield batch
        }
      } finally {
        state.closed = true
      }
    },
  }
  return { source, state }
}

class CollectingSink extends Writable {
  rows = 0
  stalled = false
  #release: (() => void) | undefined
  constructor(readonly options: { stall?: boolean; failOnBatch?: number } = {}) {
    super({ objectMode: true, highWaterMark: 1 })
  }
  override _write(batch: readonly unknown[], _e: BufferEncoding, callback: (error?: Error) => void) {
    if (this.options.failOnBatch !== undefined && this.rows / 100 >= this.options.failOnBatch) return callback(new Error('disk full'))
    this.rows += batch.length
    if (this.options.stall) {
      this.stalled = true
      this.#release = callback
      return
    }
    callback()
  }
  release() {
    this.options.stall = false
    this.#release?.()
  }
}

const double = { name: 'double', run: runStage((n: number) => [n, n], 50) }

describe('runPipeline', () => {
  it('runs source -> stages -> sink and reports records per stage', async () => {
    const { source } = countingSource(1000)
    const sink = new CollectingSink()
    const seen: PipelineProgress[] = []
    const result = await runPipeline({ source, transforms: [double], sink, onProgress: (p) => seen.push(p) })
    expect(sink.rows).toBe(2000)
    expect(result.stages).toEqual([
      { name: 'numbers', records: 1000 },
      { name: 'double', records: 2000 },
    ])
    expect(result).toMatchObject({ bytesRead: 10_000, totalBytes: 10_000, done: true })
    expect(seen.at(-1)).toEqual(result)
  })

  it('stops reading the source while the sink is stalled (backpressure), and resumes', async () => {
    const { source, state } = countingSource(1_000_000)
    const sink = new CollectingSink({ stall: true })
    const run = runPipeline({ source, transforms: [double], sink })
    while (!sink.stalled) await nextTurn()
    for (let i = 0; i < 200; i++) await nextTurn()
    // One batch in the sink, one waiting for drain, one in each generator stage: a few hundred records, not a million.
    expect(state.produced).toBeLessThanOrEqual(400)
    sink.release()
    await run
    expect(sink.rows).toBe(2_000_000)
  })

  it('rejects with the source error, naming the stage and position, and closes the source', async () => {
    const { source, state } = countingSource(1000, 250)
    const sink = new CollectingSink()
    const error = await runPipeline({ source, transforms: [double], sink }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LP_EXPORT_FORMAT', stage: 'numbers', line: 251, message: 'in line 251 (byte 2500): bad record' })
    expect(state.closed).toBe(true)
    expect(sink.destroyed).toBe(true)
  })

  it('names the transform a record failed in', async () => {
    const { source, state } = countingSource(1000)
    const failing = {
      name: 'explode',
      run: runStage((n: number) => {
        if (n === 10) throw new TypeError('no')
        return [n]
      }),
    }
    const error = await runPipeline({ source, transforms: [failing], sink: new CollectingSink() }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LP_TRANSFORM', stage: 'explode', line: 11 })
    expect(state.closed).toBe(true)
  })

  it('wraps a sink failure as LP_STAGE naming the sink, and closes the source', async () => {
    const { source, state } = countingSource(100_000)
    const error = await runPipeline({ source, sink: new CollectingSink({ failOnBatch: 3 }) }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LP_STAGE', stage: 'CollectingSink', message: 'stage CollectingSink failed: disk full' })
    expect(state.closed).toBe(true)
  })

  it('aborts on the signal: rejects with LP_ABORTED, closes the source, destroys the sink', async () => {
    const { source, state } = countingSource(1_000_000)
    const sink = new CollectingSink({ stall: true })
    const controller = new AbortController()
    const run = runPipeline({ source, transforms: [double], sink, signal: controller.signal })
    while (!sink.stalled) await nextTurn()
    controller.abort('SIGINT')
    await expect(run).rejects.toMatchObject({ code: 'LP_ABORTED' })
    expect(state.closed).toBe(true)
    expect(sink.destroyed).toBe(true)
  })
})

import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web'

/**
 * A ReadableStream that parquet-wasm's `transformParquetStream` pulls record batches from, one at a time.
 * `send()` waits until the writer asks for a batch, that is until it has encoded the previous one, hands this
 * one over and returns: one batch is encoded while the next is being buffered, never more, so memory stays
 * flat however large the input, and the sink keeps taking rows while the writer's output goes to disk.
 */
export class BatchFeed<T> {
  readonly stream: ReadableStream<T>
  #controller: ReadableStreamDefaultController<T> | undefined
  /** Settles when the writer pulls (it wants a batch); rejected by fail(). */
  #demand = deferred()
  /** Completes the writer's pending pull() once a batch is enqueued or the feed ends. */
  #answerPull: (() => void) | undefined
  #ended = false
  #failure: Error | undefined

  constructor() {
    this.stream = new ReadableStream<T>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: () =>
          new Promise<void>((resolve) => {
            this.#answerPull = resolve
            this.#demand.resolve()
          }),
      },
      // No read-ahead: pull() is called only when the writer itself asks for a batch.
      { highWaterMark: 0 },
    )
  }

  /** Waits until the writer wants a batch, then hands `batch` over. */
  async send(batch: T): Promise<void> {
    await this.#demand.promise
    if (this.#failure !== undefined) throw this.#failure
    if (this.#ended) throw new Error('batch feed already ended')
    this.#demand = deferred()
    this.#controller?.enqueue(batch)
    this.#release()
  }

  /** Resolves once the writer has taken every batch sent and asked for more (or rejects with its failure). */
  async drained(): Promise<void> {
    await this.#demand.promise
    if (this.#failure !== undefined) throw this.#failure
  }

  /** No more batches: the writer finishes the last row group and writes the footer. */
  close(): void {
    if (this.#ended) return
    this.#ended = true
    this.#controller?.close()
    this.#release()
  }

  /** The writer or its output failed: rejects a waiting send() and every later one, and ends the stream. */
  fail(error: Error): void {
    this.#failure ??= error
    this.#demand.reject(error)
    if (this.#ended) return
    this.#ended = true
    try {
      this.#controller?.error(error)
    } catch {
      // Already closed or errored by the consumer: nothing left to end.
    }
    this.#release()
  }

  #release(): void {
    const answer = this.#answerPull
    this.#answerPull = undefined
    answer?.()
  }
}

interface Deferred {
  readonly promise: Promise<void>
  resolve(): void
  reject(error: Error): void
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (error: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Rejected when nobody is waiting (fail() between two sends) must not count as unhandled.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

import { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'

/**
 * Writes every batch to several sinks, so one read of the export fills Parquet and NDJSON together.
 * Backpressure: the next batch is accepted only when every sink has room. Ending commits the sinks one after
 * another, in the order given, each once the one before it has finished (its data is durable): put the sink
 * whose commit cannot be taken back last. The first error destroys every sink not finished yet, so each rolls
 * back what it had not committed; the sinks that finished before it stay committed (a file sink's `uncommit()`
 * takes its load back).
 */
export class FanOutSink extends Writable {
  readonly #sinks: readonly Writable[]

  constructor(sinks: readonly Writable[]) {
    super({ objectMode: true, highWaterMark: 1 })
    this.#sinks = sinks
    for (const sink of sinks) {
      // An error raised by a sink outside our write()/end() calls (a failed flush) must still fail the run.
      sink.on('error', (error) => this.destroy(error))
    }
  }

  override _write(batch: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const waits: Promise<unknown>[] = []
    for (const sink of this.#sinks) {
      if (!sink.write(batch)) waits.push(drained(sink))
    }
    if (waits.length === 0) callback()
    else Promise.all(waits).then(() => callback(), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    const commitInOrder = async () => {
      for (const sink of this.#sinks) {
        sink.end()
        await finished(sink)
      }
    }
    commitInOrder().then(() => callback(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Wait for every sink's 'close': their rollback (unlinking temp files) is asynchronous, and a process that
    // exits on our 'close' must not leave their files behind.
    const closing = this.#sinks.filter((sink) => !sink.closed).map((sink) => new Promise((resolve) => sink.once('close', resolve)))
    for (const sink of this.#sinks) if (!sink.writableFinished) sink.destroy(error ?? undefined)
    Promise.all(closing).then(() => callback(error))
  }
}

function drained(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      sink.off('error', onError)
      sink.off('close', onClose)
      resolve()
    }
    const onError = (error: Error) => {
      sink.off('drain', onDrain)
      sink.off('close', onClose)
      reject(error)
    }
    // A sink destroyed without an error never drains: fail rather than hang.
    const onClose = () => onError(new Error('sink closed before it drained'))
    sink.once('drain', onDrain)
    sink.once('error', onError)
    sink.once('close', onClose)
  })
}

/** One sink as is; several behind a FanOutSink. */
export function fanOutSink(sinks: readonly Writable[]): Writable {
  if (sinks.length === 1) return sinks[0] as Writable
  return new FanOutSink(sinks)
}

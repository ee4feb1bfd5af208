import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { FanOutSink } from './fan-out-sink.js'

class RecordingSink extends Writable {
  readonly seen: number[] = []
  committed = false
  constructor(readonly failInFinal = false) {
    super({ objectMode: true, highWaterMark: 1 })
  }
  override _write(value: number, _e: BufferEncoding, callback: () => void) {
    this.seen.push(value)
    setImmediate(callback)
  }
  override _final(callback: (error?: Error) => void) {
    if (this.failInFinal) return callback(new Error('commit failed'))
    this.committed = true
    callback()
  }
}

describe('FanOutSink', () => {
  it('writes every batch to every sink and finishes after all committed', async () => {
    const a = new RecordingSink()
    const b = new RecordingSink()
    await pipeline(
      (async function* () {
        for (let i = 0; i < 50; i++) yield i
      })(),
      new FanOutSink([a, b]),
    )
    expect(a.seen).toHaveLength(50)
    expect(b.seen).toEqual(a.seen)
    expect(a.committed && b.committed).toBe(true)
  })

  it('fails once when one sink fails to commit, and destroys the other', async () => {
    const good = new RecordingSink()
    const bad = new RecordingSink(true)
    const fan = new FanOutSink([good, bad])
    let errors = 0
    fan.on('error', () => errors++)
    await expect(pipeline([1, 2, 3], fan)).rejects.toThrow('commit failed')
    expect(errors).toBe(1)
    expect(bad.destroyed).toBe(true)
  })

  it('commits the sinks in order, each after the one before finished; a failed commit leaves the later ones uncommitted', async () => {
    const order: string[] = []
    class SlowSink extends RecordingSink {
      constructor(
        readonly name: string,
        failInFinal = false,
      ) {
        super(failInFinal)
      }
      override _final(callback: (error?: Error) => void) {
        order.push(`${this.name} starts`)
        setTimeout(() => {
          order.push(`${this.name} ends`)
          super._final(callback)
        }, 20)
      }
    }
    const [a, b] = [new SlowSink('a'), new SlowSink('b')]
    await pipeline([1, 2], new FanOutSink([a, b]))
    expect(order).toEqual(['a starts', 'a ends', 'b starts', 'b ends'])

    order.length = 0
    const [failing, last] = [new SlowSink('failing', true), new SlowSink('last')]
    await expect(pipeline([1, 2], new FanOutSink([failing, last]))).rejects.toThrow('commit failed')
    expect(order).toEqual(['failing starts', 'failing ends'])
    expect([last.committed, last.destroyed]).toEqual([false, true])
  })
})

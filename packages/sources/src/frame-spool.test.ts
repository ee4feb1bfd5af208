import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { FrameSpool } from './frame-spool.js'

const frameText = (n: number, pad = 0) => Buffer.from(JSON.stringify({ objects: {}, n, pad: 'x'.repeat(pad) }))

function read(entries: Iterable<readonly [string, unknown]>): [string, number][] {
  return [...entries].map(([key, frame]) => [key, (frame as { n: number }).n])
}

describe('FrameSpool', () => {
  it('gives frames back in ascending order, the last value of a repeated number, across read windows', () => {
    const spool = new FrameSpool()
    const store = spool.newStore()
    // 2 MiB frames force reads past the 1 MiB window; the repeated 5 keeps its last value (n 50).
    const order = [9, 5, 700, 5, 0, 2147483647]
    for (const [i, frame] of order.entries()) {
      store.add(frame, frameText(frame === 5 && i === 3 ? 50 : frame, frame === 700 ? 2 * 1024 * 1024 : 10))
    }
    store.countInvalidKey()
    spool.seal()
    expect(store.size).toBe(5)
    expect(store.invalidKeys).toBe(1)
    expect(read(store.entries())).toEqual([
      ['0', 0],
      ['5', 50],
      ['9', 9],
      ['700', 700],
      ['2147483647', 2147483647],
    ])
    // Reading does not consume: entries() can run again until release.
    expect(read(store.entries())).toHaveLength(5)
    store.release()
  })

  it('reads 100k ascending frames sequentially, each exactly once', () => {
    const spool = new FrameSpool()
    const store = spool.newStore()
    for (let frame = 0; frame < 100_000; frame++) store.add(frame, frameText(frame))
    spool.seal()
    let expected = 0
    for (const [key, frame] of store.entries()) {
      expect(Number(key)).toBe(expected)
      expect((frame as unknown as { n: number }).n).toBe(expected)
      expected++
    }
    expect(expected).toBe(100_000)
    store.release()
  })

  it('closes its file when the line is sealed and every store released, and never leaves one on disk', () => {
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('labelpipe-frames-'))
    const spool = new FrameSpool()
    const video = spool.newStore()
    const group = spool.newStore()
    video.add(1, frameText(1))
    group.add(2, frameText(2))
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('labelpipe-frames-'))).toEqual(before)
    spool.seal()
    video.release()
    expect(spool.isOpen).toBe(true)
    expect(read(group.entries())).toEqual([['2', 2]])
    group.release()
    expect(spool.isOpen).toBe(false)
    group.release()
    expect(() => read(group.entries())).toThrow('released')
  })
})

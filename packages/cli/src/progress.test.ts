import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ProgressReporter } from './progress.js'

function terminal(isTTY: boolean) {
  const chunks: string[] = []
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _e, callback) {
        chunks.push(chunk.toString())
        callback()
      },
    }),
    { isTTY, columns: 40 },
  )
  return { stream, chunks }
}

const progress = { stages: [{ name: 's', records: 5 }], bytesRead: 10, totalBytes: 100, elapsedMs: 1000, done: false }

describe('ProgressReporter', () => {
  it('rewrites one line in place on a TTY, cut to the width, and clears it', () => {
    const { stream, chunks } = terminal(true)
    const reporter = new ProgressReporter(stream, false)
    reporter.update(progress)
    reporter.clear()
    expect(chunks[0]?.startsWith('\r\x1b[2K5 data rows')).toBe(true)
    expect(chunks[0]?.length).toBe('\r\x1b[2K'.length + 39)
    expect(chunks[1]).toBe('\r\x1b[2K')
  })

  it('writes nothing on a pipe or when quiet', () => {
    for (const [isTTY, quiet] of [
      [false, false],
      [true, true],
    ] as const) {
      const { stream, chunks } = terminal(isTTY)
      const reporter = new ProgressReporter(stream, quiet)
      reporter.update(progress)
      reporter.clear()
      expect(chunks).toEqual([])
    }
  })
})

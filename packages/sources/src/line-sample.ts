import { open } from 'node:fs/promises'
import type { ByteRange } from './byte-range.js'

const sampleWindows = 8
const windowBytes = 128 * 1024

/**
 * The average line length in bytes of a regular file, or of its bytes `[start, end)` (not a FIFO: it is opened and
 * read). Counted in 8 windows of 128 KiB spread across them, not only at the start: a mixed export's first MiB can
 * be all images and the rest video. Readers and loaders size their reads and memory by it (readV2Export's
 * lineDecoding, `load --workers`).
 */
export async function averageLineBytes(path: string, range?: ByteRange): Promise<number> {
  const handle = await open(path, 'r')
  try {
    const { start, end } = range ?? { start: 0, end: (await handle.stat()).size }
    const window = Buffer.alloc(windowBytes)
    const step = Math.max(window.length, Math.floor((end - start) / sampleWindows))
    let sampled = 0
    let lines = 0
    for (let at = start; at < end && sampled < sampleWindows * window.length; at += step) {
      const { bytesRead } = await handle.read(window, 0, Math.min(window.length, end - at), at)
      sampled += bytesRead
      for (let nl = window.indexOf(0x0a); nl !== -1 && nl < bytesRead; nl = window.indexOf(0x0a, nl + 1)) lines++
    }
    return sampled / Math.max(lines, 1)
  } finally {
    await handle.close()
  }
}

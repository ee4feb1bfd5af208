// Baselines "parse ceiling": every line JSON.parsed and nothing else, its lines split by split2 (docs/facts.md's
// baseline, named by issue 7) or by a hand splitter: Buffer indexOf, one UTF-8 decode per line, as labelpipe's
// LineScanner splits (facts.md: 1.0 GB/s against split2's 0.58 GB/s, and split2 is quadratic on long lines).
// `indexof-x2` runs the hand splitter in two worker threads on two byte ranges, split as `--workers 2` splits
// (a range owns every line that starts in it): the machine's own two-thread speed-up on the simplest work,
// the ceiling of what `--workers 2` can gain over one thread (issue 7).
// Run: node benchmarks/dist/baseline-parse.js FILE [split2|indexof|indexof-x2]; prints {"lines": n}.
import { createReadStream, statSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import split2 from 'split2'

interface Range {
  readonly file: string
  readonly start: number
  readonly end: number
}

/** JSON.parses every line that starts in [start, end): from 0, or after the first newline at or past start - 1. */
async function parseRange({ file, start, end }: Range): Promise<number> {
  let lines = 0
  let partial: Buffer[] = []
  let partialBytes = 0
  // Bytes read so far sit at file positions from `position`; a line starting at or past `end` is the next range's.
  let position = Math.max(0, start - 1)
  let skipping = start > 0
  const parseLine = (bytes: Buffer, from: number, to: number) => {
    if (to > from) JSON.parse(bytes.toString('utf8', from, to))
    lines++
  }
  for await (const chunk of createReadStream(file, { start: position }) as AsyncIterable<Buffer>) {
    let from = 0
    if (skipping) {
      const nl = chunk.indexOf(0x0a)
      if (nl === -1) {
        position += chunk.length
        continue
      }
      skipping = false
      from = nl + 1
    }
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      if (position + from - partialBytes >= end) return lines
      if (partial.length === 0) parseLine(chunk, from, nl)
      else {
        const line = Buffer.concat([...partial, chunk.subarray(from, nl)])
        parseLine(line, 0, line.length)
        partial = []
        partialBytes = 0
      }
      from = nl + 1
    }
    if (from < chunk.length) {
      if (partial.length === 0 && position + from >= end) return lines
      partial.push(chunk.subarray(from))
      partialBytes += chunk.length - from
    }
    position += chunk.length
  }
  if (partial.length > 0) {
    const line = Buffer.concat(partial)
    parseLine(line, 0, line.length)
  }
  return lines
}

async function splitTwoWays(file: string): Promise<number> {
  const size = statSync(file).size
  const half = Math.floor(size / 2)
  const counts = [
    { file, start: 0, end: half },
    { file, start: half, end: size },
  ].map(
    (range) =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: range })
        worker.once('message', resolve)
        worker.once('error', reject)
      }),
  )
  return (await Promise.all(counts)).reduce((a, b) => a + b, 0)
}

if (!isMainThread) {
  parentPort?.postMessage(await parseRange(workerData as Range))
} else {
  const [file, splitter = 'split2'] = process.argv.slice(2)
  if (file === undefined || !['split2', 'indexof', 'indexof-x2'].includes(splitter)) {
    throw new Error('usage: baseline-parse FILE [split2|indexof|indexof-x2]')
  }
  let lines = 0
  if (splitter === 'split2') {
    await pipeline(createReadStream(file), split2(JSON.parse), async (parsed: AsyncIterable<unknown>) => {
      for await (const _ of parsed) lines++
    })
  } else if (splitter === 'indexof') {
    lines = await parseRange({ file, start: 0, end: Number.POSITIVE_INFINITY })
  } else {
    lines = await splitTwoWays(file)
  }
  process.stdout.write(`${JSON.stringify({ lines })}\n`)
}

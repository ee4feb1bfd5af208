// Baselines "parse ceiling": every line JSON.parsed and nothing else, its lines split by split2 (docs/facts.md's
// baseline, named by issue 7) or by a hand splitter: Buffer indexOf, one UTF-8 decode per line, as labelpipe's
// LineScanner splits (facts.md: 1.0 GB/s against split2's 0.58 GB/s, and split2 is quadratic on long lines).
// Run: node benchmarks/dist/baseline-parse.js FILE [split2|indexof]; prints {"lines": n}.
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import split2 from 'split2'

const [file, splitter = 'split2'] = process.argv.slice(2)
if (file === undefined || (splitter !== 'split2' && splitter !== 'indexof')) throw new Error('usage: baseline-parse FILE [split2|indexof]')
let lines = 0
if (splitter === 'split2') {
  await pipeline(createReadStream(file), split2(JSON.parse), async (parsed: AsyncIterable<unknown>) => {
    for await (const _ of parsed) lines++
  })
} else {
  let partial: Buffer[] = []
  const parseLine = (bytes: Buffer, start: number, end: number) => {
    if (end > start) JSON.parse(bytes.toString('utf8', start, end))
    lines++
  }
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (partial.length === 0) parseLine(chunk, start, nl)
      else {
        const line = Buffer.concat([...partial, chunk.subarray(start, nl)])
        parseLine(line, 0, line.length)
        partial = []
      }
      start = nl + 1
    }
    if (start < chunk.length) partial.push(chunk.subarray(start))
  }
  if (partial.length > 0) {
    const line = Buffer.concat(partial)
    parseLine(line, 0, line.length)
  }
}
process.stdout.write(`${JSON.stringify({ lines })}\n`)

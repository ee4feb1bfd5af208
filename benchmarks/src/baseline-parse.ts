// Baseline "parse ceiling": split2 + JSON.parse of every line and nothing else (docs/facts.md's baseline).
// Run: node benchmarks/dist/baseline-parse.js FILE; prints {"lines": n}.
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import split2 from 'split2'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: baseline-parse FILE')
let lines = 0
await pipeline(createReadStream(file), split2(JSON.parse), async (parsed: AsyncIterable<unknown>) => {
  for await (const _ of parsed) lines++
})
process.stdout.write(`${JSON.stringify({ lines })}\n`)

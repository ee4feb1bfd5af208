// Baseline "I/O ceiling": read the file with fs and count its bytes.
// Run: node benchmarks/dist/baseline-read.js FILE; prints {"bytes": n}.
import { createReadStream } from 'node:fs'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: baseline-read FILE')
let bytes = 0
for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) bytes += (chunk as Buffer).length
process.stdout.write(`${JSON.stringify({ bytes })}\n`)

// Baseline "v1 element ceiling": the least a reader of an Export v1 must do. An escape-aware byte scanner finds
// each top-level element of the label array (depth and strings tracked, nothing else checked) and JSON.parses
// its bytes; issue 4 measured such a pass at 242 MB/s on 500 MB and sets readV1Export's goal at >= 0.8x of it.
// Run: node benchmarks/dist/baseline-v1-elements.js FILE; prints {"elements": n}.
import { createReadStream } from 'node:fs'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: baseline-v1-elements FILE')
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

let elements = 0
let depth = 0
let inString = false
let escaped = false
// The bytes of the element being scanned, across chunks.
let pieces: Buffer[] = []
let start = -1
for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
  for (let i = 0; i < chunk.length; i++) {
    const byte = chunk[i] as number
    if (inString) {
      if (escaped) escaped = false
      else if (byte === BACKSLASH) escaped = true
      else if (byte === QUOTE) inString = false
      continue
    }
    if (byte === QUOTE) inString = true
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++
      if (depth === 2) start = i
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (depth === 2) {
        pieces.push(chunk.subarray(start, i + 1))
        JSON.parse(Buffer.concat(pieces).toString('utf8'))
        elements++
        pieces = []
        start = -1
      }
      depth--
    }
  }
  if (start !== -1) {
    pieces.push(chunk.subarray(start))
    start = 0
  }
}
process.stdout.write(`${JSON.stringify({ elements })}\n`)

// Case "readV1Export only": every label of an Export v1 read, positioned and validated, then dropped; the
// figure issue 4 compares with the element ceiling (baseline-v1-elements.ts).
// Run: node benchmarks/dist/read-v1.js FILE; prints {"labels": n}.
import { readV1Export } from '@labelpipe/sources'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: read-v1 FILE')
let labels = 0
for await (const batch of readV1Export(file)) labels += batch.length
process.stdout.write(`${JSON.stringify({ labels })}\n`)

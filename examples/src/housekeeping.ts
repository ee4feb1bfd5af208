// Housekeeping of a file target. Read back the dead letters of a run (readDeadLetters). Then find and remove the
// part files of a load that has no manifest (uncommittedParts, sweepUncommittedParts): what a run killed between
// renaming its parts and writing its manifest leaves visible to engines that glob the folders.
// Run: node examples/dist/housekeeping.js
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deadLetter, newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { deadLetterFile, ndjsonSink, readDeadLetters, sweepUncommittedParts, uncommittedParts } from '@labelpipe/sinks/ndjson'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const dir = 'out/example-housekeeping'
const tables = join(dir, 'tables')
await mkdir(dir, { recursive: true })
const input = join(dir, 'export.ndjson')
await writeFile(input, ['{"data_row":{"id":"dr-1"}}', '{"data_row":', '{"data_row":{"id":"dr-2"}}', '{"data_row":{}}', ''].join('\n'))

/** Loads `input` into `tables` with up to 5 bad lines dead-lettered to `_dead_letters/<load id>.ndjson`. */
async function load() {
  const loadId = newLoadId()
  const path = join(tables, '_dead_letters', `${loadId}.ndjson`)
  const letters = deadLetterFile(path)
  try {
    await runPipeline({
      source: readV2Export(input, { maxErrors: 5, deadLetters: letters.write }),
      transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
      sink: ndjsonSink({ dir: tables, loadId }),
    })
  } finally {
    await letters.close()
  }
  return { loadId, deadLetters: path }
}

// ---- Dead letters: one JSON line each (file, line, byteOffset, code, reason, raw), read back as they were written. ----
const first = await load()
for await (const letter of readDeadLetters(first.deadLetters)) {
  console.log(`dead letter: line ${letter.line} (byte ${letter.byteOffset}) ${letter.code}: ${JSON.stringify(letter.raw)}`)
}
// Each line was checked against core's `deadLetter` schema; a letter of your own can be checked the same way.
console.log(
  `a letter without its raw text is one: ${deadLetter.safeParse({ file: 'x', line: 1, byteOffset: 0, code: 'c', reason: 'r' }).success}`,
)

// ---- A load without its manifest: here a committed one whose manifest is then removed, as a run killed after
// its renames and before its manifest leaves it (its parts are published, no reader should trust them). ----
const second = await load()
await rm(join(tables, '_manifests', `${second.loadId}.json`))
// The default age (an hour) leaves out a run that may be committing right now; 0 lists them at once.
console.log(`parts without a manifest older than an hour: ${(await uncommittedParts(tables)).length}`)
const found = await uncommittedParts(tables, 0)
console.log(`of any age: ${found.length} (${found.join(', ')})`)
const swept = await sweepUncommittedParts(tables, 0)
const left = await readdir(join(tables, 'data_rows'))
console.log(
  `swept: ${swept.join(', ')}; data_rows keeps ${left.length} part, of load ${first.loadId}: ${left.every((name) => name.includes(first.loadId))}`,
)

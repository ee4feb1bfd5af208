// Bad lines: dead-letter them with maxErrors, and read the error fields when a run fails.
// Run: node examples/dist/handle-errors.js

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isLabelpipeError, newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { deadLetterFile, ndjsonSink } from '@labelpipe/sinks/ndjson'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const dir = 'out/example-errors'
await mkdir(dir, { recursive: true })
const input = join(dir, 'export.ndjson')
await writeFile(input, ['{"data_row":{"id":"dr-1"}}', 'not json', '{"data_row":{"id":42}}', '{"data_row":{"id":"dr-2"}}'].join('\n'))

async function load(maxErrors: number) {
  const loadId = newLoadId()
  const letters = deadLetterFile(join(dir, `${loadId}.dead-letters.ndjson`))
  try {
    const result = await runPipeline({
      source: readV2Export(input, { maxErrors, deadLetters: letters.write }),
      transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
      sink: ndjsonSink({ dir: join(dir, 'tables'), loadId }),
    })
    return { result, deadLetters: letters.count }
  } finally {
    await letters.close()
  }
}

const ok = await load(2)
console.log(`with maxErrors 2: ${ok.result.stages[0]?.records} data rows loaded, ${ok.deadLetters} lines dead-lettered`)

try {
  await load(0)
} catch (error) {
  if (!isLabelpipeError(error)) throw error
  // code, file, line, byteOffset, path and stage are fields; the message says it all in one line.
  console.log(error.code, error.line, error.byteOffset, error.stage)
  console.log(error.message)
}

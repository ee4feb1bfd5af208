// One load written by several writers (as `--workers` does): each seals its part files, one commit publishes them
// all under one manifest, and a later step that fails takes the load back.
// Run: node examples/dist/commit-several-writers.js

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { assertNotCommitted, commitSealedParts, ndjsonSink, removeParts, type SealedPart, uncommittedParts } from '@labelpipe/sinks/ndjson'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const dir = 'out/example-writers'
const tables = join(dir, 'tables')
await mkdir(dir, { recursive: true })
const inputs = [join(dir, 'first.ndjson'), join(dir, 'second.ndjson')]
await writeFile(inputs[0] as string, '{"data_row":{"id":"dr-1"}}\n{"data_row":{"id":"dr-2"}}\n')
await writeFile(inputs[1] as string, '{"data_row":{"id":"dr-3"}}\n')

const loadId = newLoadId()
// Before any work: a load id committed before is refused here, not after every writer has run.
await assertNotCommitted(tables, loadId)

/** One writer: its own seq, `commit: 'none'` (seal only), and the parts it sealed. */
async function writer(input: string, seq: number): Promise<readonly SealedPart[]> {
  const sink = ndjsonSink({ dir: tables, loadId, seq, commit: 'none' })
  await runPipeline({
    source: readV2Export(input),
    transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
    sink,
  })
  return sink.sealedParts ?? []
}

const seqs = [0, 1]
let parts: SealedPart[] = []
try {
  parts = (await Promise.all(inputs.map((input, i) => writer(input, seqs[i] as number)))).flat()
} catch (error) {
  // A writer failed: the files every writer sealed go (never a published part-… of another load).
  await removeParts(tables, loadId, seqs)
  throw error
}
const committed = await commitSealedParts(tables, parts, { loadId, format: 'ndjson', startedAt: new Date(), facts: undefined })
console.log(`committed ${committed.manifest.rows.data_rows} data rows in ${committed.manifest.files.length} files`)

// A later step failed (say, a database commit): take the load back, manifest first.
await committed.discard()
console.log(`taken back; parts of loads without a manifest: ${(await uncommittedParts(tables, 0)).length}`)
await assertNotCommitted(tables, loadId)
console.log(`load id ${loadId} is free again`)

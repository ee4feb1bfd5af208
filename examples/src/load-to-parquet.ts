// Loads the sample Export v2 into Parquet with the library API: the same pipeline `labelpipe load` runs.
// Run: node examples/dist/load-to-parquet.js [export.ndjson] [out-dir]
import { newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { parquetSink } from '@labelpipe/sinks/parquet'
import { averageLineBytes, readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const dir = process.argv[3] ?? 'out/example-parquet'
const loadId = newLoadId()
const startedAt = new Date()

// Long lines (video) decode faster in batches, short ones (images) hold less one by one: 'auto', the default,
// batches a file whose lines average 16 KiB or more, by averageLineBytes.
const lineBytes = await averageLineBytes(input)
const source = readV2Export(input, { lineDecoding: 'auto' })
const flatten = flattenDataRows({ loadId, source: 'v2' })
const sink = parquetSink({
  dir,
  loadId,
  describeRun: () => ({ source: 'v2', input, inputBytes: source.progress().bytesRead, deadLetters: 0, startedAt }),
})

const result = await runPipeline({
  source,
  transforms: [{ name: 'flattenDataRows', run: runStage(flatten) }],
  sink,
  signal: AbortSignal.timeout(60_000),
})
console.log(`loaded ${result.stages[0]?.records} data rows into ${dir} (load ${loadId})`)
console.log(flatten.stats.rowsByTable)
console.log(`lines average ${Math.round(lineBytes)} bytes`)

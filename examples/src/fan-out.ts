// One read of the export fills Parquet and NDJSON together (as `labelpipe load --to parquet:… --to ndjson:…`):
// fanOutSink hands every batch to both sinks, with backpressure, and commits them one after another in the order
// given, so put the sink whose commit cannot be taken back last.
// Run: node examples/dist/fan-out.js [export.ndjson] [out-dir]
import { join } from 'node:path'
import { defaultBatchSize, FanOutSink, fanOutSink, newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { ndjsonSink } from '@labelpipe/sinks/ndjson'
import { assertNotCommitted, parquetSink } from '@labelpipe/sinks/parquet'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const dir = process.argv[3] ?? 'out/example-fan-out'
const loadId = newLoadId()
const startedAt = new Date()

// Before reading anything: a load id already committed in a target folder is refused there (each sink checks
// again when it is created, and when it commits).
for (const target of ['parquet', 'ndjson']) await assertNotCommitted(join(dir, target), loadId)

const source = readV2Export(input)
const describeRun = () => ({ source: 'v2' as const, input, inputBytes: source.progress().bytesRead, deadLetters: 0, startedAt })
const parquet = parquetSink({ dir: join(dir, 'parquet'), loadId, describeRun })
const ndjson = ndjsonSink({ dir: join(dir, 'ndjson'), loadId, describeRun })
const sink = fanOutSink([parquet, ndjson])
console.log(`fanOutSink of 2 sinks: a FanOutSink ${sink instanceof FanOutSink}; of one sink: that sink ${fanOutSink([ndjson]) === ndjson}`)

const flatten = flattenDataRows({ loadId, source: 'v2' })
const result = await runPipeline({
  source,
  // Table rows travel in batches of defaultBatchSize (512), runStage's default, said here for the reader.
  transforms: [{ name: 'flattenDataRows', run: runStage(flatten, defaultBatchSize) }],
  sink,
  signal: AbortSignal.timeout(60_000),
})
console.log(`one read: ${result.stages[0]?.records} data rows, ${result.bytesRead} bytes`)
for (const target of [parquet, ndjson]) {
  const manifest = target.manifest
  if (manifest === undefined) throw new Error('a sink finished without a manifest')
  const rows = Object.values(manifest.rows).reduce((sum, n) => sum + n, 0)
  console.log(
    `${manifest.format}: ${manifest.files.length} files, ${rows} rows (${manifest.rows.data_rows} data_rows), load ${manifest.load_id}`,
  )
}

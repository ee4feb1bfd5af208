// Converts an Export v1 file (the label array) into Export v2 NDJSON with the library API: the pipeline
// `labelpipe convert` runs. Labels are grouped by data row in bounded memory, then each data row's labels
// become one v2 data row. Run: node examples/dist/convert-v1-to-v2.js [v1.json] [out.ndjson]
import { runPipeline, runStage } from '@labelpipe/core'
import { v2ExportSink } from '@labelpipe/sinks/ndjson'
import { groupV1Labels, readV1Export } from '@labelpipe/sources'
import { v1LabelsToDataRows } from '@labelpipe/transforms'

const input = process.argv[2] ?? new URL('../data/sample-v1.json', import.meta.url).pathname
const out = process.argv[3] ?? 'example-v2.ndjson'

const source = readV1Export(input)
// 64 MiB of labels in memory, then sorted runs spill to temp files (removed however the run ends).
const group = groupV1Labels({ memoryBudget: 64 * 1024 * 1024 })
const convert = v1LabelsToDataRows()
const sink = v2ExportSink({ to: out })

await runPipeline({
  source,
  transforms: [group, { name: 'v1LabelsToDataRows', run: runStage(convert) }],
  sink,
  signal: AbortSignal.timeout(60_000),
})
console.log(`converted ${convert.stats.labels} labels into ${sink.dataRows} v2 data rows in ${out}`)
console.log(convert.stats.labelsByMedia)

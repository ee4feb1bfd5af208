// Labelbox's export filters and params applied while loading: keep the data rows whose workflow status is Done
// and that were active in 2023 or later, leave attachments out, and write NDJSON. Times and param names from
// outside (a command line, a config file) are checked first, with filterTime and excludableParams.
// Run: node examples/dist/filter-and-load.js [export.ndjson] [out-dir] [exclude,…]
import { newLoadId, runPipeline, runStage, runStagePerBatch } from '@labelpipe/core'
import { ndjsonSink } from '@labelpipe/sinks/ndjson'
import { readV2Export } from '@labelpipe/sources'
import { type ExcludableParam, excludableParams, filterDataRows, filterTime, flattenDataRows } from '@labelpipe/transforms'

const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const dir = process.argv[3] ?? 'out/example-filtered'
const loadId = newLoadId()

// Param groups by name, as a user gives them: excludableParams lists the ones a load can leave out.
const exclude = (process.argv[4] ?? 'attachments').split(',').map((name) => {
  if (!(excludableParams as readonly string[]).includes(name)) throw new Error(`${name} is not one of ${excludableParams.join(', ')}`)
  return name as ExcludableParam
})
// Times need an offset: Labelbox reads a bare date-time in the API user's time zone. filterTime is the filter's
// own rule: epoch milliseconds for a time it takes, an InvalidOptionError naming the option for one it refuses.
const from = '2023-01-01T00:00:00Z'
console.log(`lastActivityAt.from ${from} is ${filterTime('lastActivityAt.from', from)} ms`)
try {
  filterTime('lastActivityAt.from', '2023-01-01')
} catch (error) {
  console.log(`a date without an offset is refused: ${(error as Error).message}`)
}

const filter = filterDataRows({
  filters: { workflowStatus: ['Done'], lastActivityAt: { from } },
  exclude,
})
const flatten = flattenDataRows({ loadId, source: 'v2' })
await runPipeline({
  source: readV2Export(input),
  transforms: [
    // One output batch per input batch: readV2Export cuts batches by size, keep them so.
    { name: 'filterDataRows', run: runStagePerBatch(filter) },
    { name: 'flattenDataRows', run: runStage(flatten) },
  ],
  sink: ndjsonSink({ dir, loadId }),
  signal: AbortSignal.timeout(60_000),
})
console.log(`kept ${filter.stats.kept} data rows, dropped ${filter.stats.dropped} (${JSON.stringify(filter.stats.droppedBy)})`)
console.log(`cursors reached: ${JSON.stringify(filter.cursors())}`)
console.log(`${flatten.stats.rowsByTable.data_rows} data_rows and ${flatten.stats.rowsByTable.attachments} attachments rows in ${dir}`)

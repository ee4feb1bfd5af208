// A custom pure stage composed after flattenDataRows: keep only the rows of one project, write NDJSON,
// and stop the whole run if a progress callback sees too much.
// Run: node examples/dist/custom-stage.js [export.ndjson] [out-dir]
import { composeStages, newLoadId, type RecordStage, runPipeline, runStage, type TableRow } from '@labelpipe/core'
import { ndjsonSink } from '@labelpipe/sinks/ndjson'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const dir = process.argv[3] ?? 'out/example-ndjson'
const loadId = newLoadId()

/** Rows of data-row tables pass; project-scoped rows pass only for `projectId`. */
function onlyProject(projectId: string): RecordStage<TableRow, TableRow> {
  return (tableRow) => {
    const row = tableRow.row as { project_id?: string | null }
    return row.project_id === undefined || row.project_id === null || row.project_id === projectId ? [tableRow] : []
  }
}

// The first project of the first data row, found by a quick look at the export.
let projectId: string | undefined
for await (const batch of readV2Export(input)) {
  projectId = Object.keys(batch[0]?.value.projects ?? {})[0]
  break
}
if (projectId === undefined) throw new Error(`${input} has no project`)

const controller = new AbortController()
const result = await runPipeline({
  source: readV2Export(input),
  transforms: [{ name: 'flatten+filter', run: runStage(composeStages(flattenDataRows({ loadId, source: 'v2' }), onlyProject(projectId))) }],
  sink: ndjsonSink({ dir, loadId }),
  signal: controller.signal,
  onProgress: (progress) => {
    if (progress.bytesRead > 1024 ** 3) controller.abort(new Error('this example reads at most 1 GiB'))
  },
})
console.log(`project ${projectId}: ${result.stages[1]?.records} rows written to ${dir}`)

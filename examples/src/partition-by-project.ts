// Parquet in Hive partition folders, one per project (`labelpipe load --partition-by project_id`): wrap the
// flatten in partitionByProject, and the file sinks write each tagged row under <table>/project_id=<id>/.
// Run: node examples/dist/partition-by-project.js
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { parquetSink } from '@labelpipe/sinks/parquet'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows, hivePartitionValue, partitionByProject, partitionColumns } from '@labelpipe/transforms'

const input = new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const dir = 'out/example-partitions'
const loadId = newLoadId()

await runPipeline({
  source: readV2Export(input),
  // Wrap the flatten itself: a label's rows find their project through its labels row.
  transforms: [{ name: 'flattenDataRows', run: runStage(partitionByProject(flattenDataRows({ loadId, source: 'v2' }))) }],
  sink: parquetSink({ dir, loadId }),
})

console.log(`partition columns: ${partitionColumns.join(', ')}`)
const folders = (await readdir(join(dir, 'frame_objects'))).filter((name) => name.startsWith('project_id='))
console.log(`frame_objects: ${folders.length} project folders, e.g. ${folders.sort()[0]}`)
const dataRows = await readdir(join(dir, 'data_rows'))
console.log(`data_rows: ${dataRows.filter((name) => name.endsWith('.parquet')).length} file, no partition (a data row has no one project)`)
// A name that stands in for a project id (v1 without View Label) is escaped as Hive escapes it.
console.log(`"Team A/B" -> project_id=${hivePartitionValue('Team A/B')}`)

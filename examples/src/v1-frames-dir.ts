// A raw Export v1 of video labels keeps each label's frames at a URL (`Label.frames`); once they are downloaded as
// `<dir>/<label ID>.ndjson`, framesDirResolver reads them from there (as `labelpipe load --frames-dir`). This writes
// such a folder and export from the v1 sample (whose frames are inlined), tells v1 from v2 by content with
// detectExportFormat, and loads each file with the reader and stages its format needs, into NDJSON tables.
// Run: node examples/dist/v1-frames-dir.js
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { composeStages, newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { ndjsonSink } from '@labelpipe/sinks/ndjson'
import {
  detectExportFormat,
  detectionHeadBytes,
  framesDirResolver,
  groupV1Labels,
  readV1Export,
  readV2Export,
  resolveV1Frames,
  V1ExportReader,
  V2ExportReader,
} from '@labelpipe/sources'
import { type DataRowFlattener, flattenDataRows, v1LabelsToDataRows } from '@labelpipe/transforms'

const sampleV1 = new URL('../data/sample-v1.json', import.meta.url).pathname
const sampleV2 = new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const dir = 'out/example-v1-frames'
const framesDir = join(dir, 'frames')
const rawExport = join(dir, 'raw-v1-export.json')

// The raw export: each video label's frames go to <framesDir>/<label ID>.ndjson (one frame a line), and its
// `Label.frames` becomes the URL Labelbox gives (never fetched here: the folder stands in for it).
await mkdir(framesDir, { recursive: true })
const labels = JSON.parse(await readFile(sampleV1, 'utf8')) as { ID: string; Label: { frames?: unknown } }[]
let frameFiles = 0
for (const label of labels) {
  if (!Array.isArray(label.Label.frames)) continue
  await writeFile(join(framesDir, `${label.ID}.ndjson`), label.Label.frames.map((frame) => `${JSON.stringify(frame)}\n`).join(''))
  label.Label.frames = `https://api.labelbox.com/v1/frames/${label.ID}`
  frameFiles++
}
await writeFile(rawExport, JSON.stringify(labels))
console.log(`wrote ${frameFiles} frames files to ${framesDir} and ${rawExport}`)

/** The format from the first bytes, never from the name: detectionHeadBytes is all detectExportFormat needs. */
async function formatOf(path: string) {
  const file = await open(path, 'r')
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(detectionHeadBytes), 0, detectionHeadBytes, 0)
    return detectExportFormat(buffer.subarray(0, bytesRead))
  } finally {
    await file.close()
  }
}

/** Loads one export of either format into NDJSON tables; returns the frame_objects rows it wrote. */
async function load(path: string, tables: string): Promise<number> {
  const loadId = newLoadId()
  const sink = ndjsonSink({ dir: tables, loadId })
  const signal = AbortSignal.timeout(60_000)
  const source = (await formatOf(path)) === 'v1' ? readV1Export(path) : readV2Export(path)
  // The readers are classes: instanceof tells which stages the records need.
  let flatten: DataRowFlattener
  if (source instanceof V1ExportReader) {
    flatten = flattenDataRows({ loadId, source: 'v1' })
    // Labels grouped by data row, raw video labels' frames read from the folder, then one v2 data row each.
    const frames = resolveV1Frames(framesDirResolver(framesDir), { concurrency: 4 })
    const toTables = { name: 'v1 to tables', run: runStage(composeStages(v1LabelsToDataRows(), flatten)) }
    await runPipeline({ source, transforms: [groupV1Labels(), frames, toTables], sink, signal })
  } else if (source instanceof V2ExportReader) {
    flatten = flattenDataRows({ loadId, source: 'v2' })
    await runPipeline({ source, transforms: [{ name: 'flattenDataRows', run: runStage(flatten) }], sink, signal })
  } else {
    throw new Error('a reader of neither class')
  }
  console.log(
    `${basename(path)}: ${await formatOf(path)}, ${source.stats.records} records, ${flatten.stats.rowsByTable.data_rows} data rows`,
  )
  return flatten.stats.rowsByTable.frame_objects
}

const fromFolder = await load(rawExport, join(dir, 'tables-from-folder'))
const inlined = await load(sampleV1, join(dir, 'tables-inlined'))
await load(sampleV2, join(dir, 'tables-v2'))
console.log(`frame_objects rows: ${fromFolder} with frames from ${framesDir}, ${inlined} from the inlined sample`)

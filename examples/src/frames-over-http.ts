// Fetches v1 video frames over HTTP with httpFramesResolver, then converts the labels into v2 data rows.
//   node examples/dist/frames-over-http.js <v1.json>   your export; the key from LABELBOX_API_KEY
//   node examples/dist/frames-over-http.js             a demo: the sample's frames served by a local server
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { runPipeline, runStage } from '@labelpipe/core'
import { v2ExportSink } from '@labelpipe/sinks/ndjson'
import { groupV1Labels, readV1Export, resolveV1Frames } from '@labelpipe/sources'
import { httpFramesResolver } from '@labelpipe/sources/http'
import { v1LabelsToDataRows } from '@labelpipe/transforms'

const given = process.argv[2]
const demo = given === undefined ? await startDemoServer() : undefined
const frames = httpFramesResolver({
  apiKey: demo?.apiKey ?? process.env.LABELBOX_API_KEY,
  concurrency: 8,
  onRetry: (retry) => console.error(`retrying label ${retry.labelId} in ${retry.delayMs} ms: ${retry.reason}`),
})
const convert = v1LabelsToDataRows()
const sink = v2ExportSink({ to: 'example-frames-v2.ndjson' })
try {
  await runPipeline({
    source: readV1Export(demo?.export ?? (given as string)),
    transforms: [groupV1Labels(), resolveV1Frames(frames, { concurrency: 8 }), { name: 'v1LabelsToDataRows', run: runStage(convert) }],
    sink,
    signal: AbortSignal.timeout(120_000),
  })
} finally {
  await frames.close()
  await demo?.close()
}
const { labels, requests } = frames.stats
console.log(
  `fetched the frames of ${labels} video labels in ${requests} requests; ${sink.dataRows} v2 data rows in example-frames-v2.ndjson`,
)

/**
 * The demo: the sample v1 export's inlined frames, each label's served as NDJSON by a server on 127.0.0.1 that
 * wants the demo key, and the export with `Label.frames` pointing there, as a raw Labelbox v1 export has it.
 */
async function startDemoServer() {
  const apiKey = 'demo-key'
  const { readFile } = await import('node:fs/promises')
  const sample = new URL('../data/sample-v1.json', import.meta.url)
  const labels = JSON.parse(await readFile(sample, 'utf8')) as { ID: string; Label: { frames?: unknown } }[]
  const bodies = new Map<string, string>()
  const server = createServer((request, response) => {
    const body = bodies.get(request.url ?? '')
    if (request.headers.authorization !== `Bearer ${apiKey}`) response.writeHead(401).end()
    else if (body === undefined) response.writeHead(404).end()
    else response.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  for (const label of labels) {
    if (!Array.isArray(label.Label.frames)) continue
    bodies.set(`/frames/${label.ID}`, label.Label.frames.map((frame) => `${JSON.stringify(frame)}\n`).join(''))
    label.Label.frames = `http://127.0.0.1:${port}/frames/${label.ID}`
  }
  return {
    apiKey,
    export: Readable.from([JSON.stringify(labels)]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

// frames_over_http_vs_frames_dir (issue 5): v1 video frames fetched by httpFramesResolver from a local HTTP server,
// against framesDirResolver reading the same files, in the same run.
//
//   node benchmarks/dist/bench-frames-resolvers.js [--labels 1000] [--frames 300] [--concurrency 8] [--rounds 5] [--redirect]
//
// Goal: HTTP frames/s >= 0.7x the --frames-dir resolver's.
// Method: `labels` x `frames` NDJSON frames files (seeded: the same bytes every run; one to four objects a frame,
// ~400 bytes a line, Labelbox's shape) are written to a temp folder. A child process serves them with node:http on
// 127.0.0.1. A child and not this process: the server's work (reading files, writing sockets) would otherwise be billed
// to the resolver's thread, which a remote API never is; on a 2-core machine it gets the other core. With --redirect
// the child also listens on a second port as the API, answering every label with a 301 to the first (storage, a
// signed query), as Labelbox does: two requests a label, and the key sent to one origin only. Both variants run
// resolveV1Frames(resolver, { concurrency }) over the same labels (one label a data row, batches of 128, as
// groupV1Labels hands them over) and consume every group. After one warm-up round each, rounds alternate dir, http
// (A/B pairs: these machines are noisy, docs/facts.md); medians are compared. Frame counts and a checksum of every
// frame are asserted equal across variants and rounds.
// Machine: 2 cores, Node 20.20. Smoke run (200 labels x 300 frames, 36 MB, 3 rounds, concurrency 8): dir 127k
// frames/s, http 126k (1.00x); with --redirect http 112k (0.91x). Both are bound by JSON.parse + the frame schema,
// the same work in each.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream, existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Batch, V1Frame, V1Label, V1LabelGroup } from '@labelpipe/core'
import { type FramesResolver, framesDirResolver, resolveV1Frames } from '@labelpipe/sources'
import { httpFramesResolver } from '@labelpipe/sources/http'
import { round2 } from './measure.js'
import { Prng } from './prng.js'

const { values } = parseArgs({
  options: {
    labels: { type: 'string', default: '1000' },
    frames: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '5' },
    redirect: { type: 'boolean', default: false },
    serve: { type: 'string' },
  },
})

/** The child: serves `<dir>/<id>.ndjson` at /frames/<id>, and with `redirect` an API port that 301s there. */
async function serve(dir: string, redirect: boolean): Promise<void> {
  const storage = await listen(async (request, response) => {
    const id = (request.url ?? '').split('?')[0]?.split('/').at(-1) ?? ''
    const file = join(dir, `${id}.ndjson`)
    // A skipped label has no frames file: Labelbox answers 204 (formats.md).
    if (!existsSync(file)) {
      response.writeHead(204).end()
      return
    }
    response.writeHead(200, { 'content-type': 'application/x-ndjson' })
    await pipeline(createReadStream(file), response).catch(() => response.destroy())
  })
  const api = redirect
    ? await listen((request, response) => {
        const id = (request.url ?? '').split('/').at(-1) ?? ''
        response.writeHead(301, { location: `${storage}/frames/${id}?X-Goog-Signature=bench` }).end()
      })
    : storage
  process.stdout.write(`${JSON.stringify({ api })}\n`)
}

async function listen(handle: (request: IncomingMessage, response: ServerResponse) => unknown): Promise<string> {
  const server = createServer((request, response) => void handle(request, response))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

interface Round {
  readonly frames: number
  readonly checksum: number
  readonly seconds: number
}

async function compare(): Promise<void> {
  const labels = positive('labels')
  const framesPerLabel = positive('frames')
  const concurrency = positive('concurrency')
  const rounds = positive('rounds')
  const dir = await mkdtemp(join(tmpdir(), 'labelpipe-bench-frames-'))
  let server: ChildProcess | undefined
  try {
    process.stderr.write(`writing ${labels} x ${framesPerLabel} frames to ${dir}\n`)
    const bytes = await writeFrames(dir, labels, framesPerLabel)
    const args = [fileURLToPath(import.meta.url), '--serve', dir, ...(values.redirect ? ['--redirect'] : [])]
    server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const { api } = JSON.parse(String((await once(server.stdout as NonNullable<typeof server.stdout>, 'data'))[0])) as { api: string }
    const v1Labels = Array.from({ length: labels }, (_, i) => videoLabel(labelId(i), `${api}/v1/frames/${labelId(i)}`))
    const variants = {
      dir: () => framesDirResolver(dir),
      http: () => httpFramesResolver({ apiKey: 'benchmark-key', concurrency }),
    }
    const results: Record<keyof typeof variants, Round[]> = { dir: [], http: [] }
    for (let round = 0; round <= rounds; round++) {
      for (const name of ['dir', 'http'] as const) {
        const resolver = variants[name]()
        const result = await timeRound(resolver, v1Labels, concurrency)
        await (resolver as { close?: () => Promise<void> }).close?.()
        // Round 0 warms up the JIT and the page cache; it is checked, not counted.
        assertSame(result, results.dir[0] ?? result, `${name} round ${round}`)
        if (round > 0) results[name].push(result)
      }
    }
    const dirRate = median(results.dir.map((r) => r.frames / r.seconds))
    const httpRate = median(results.http.map((r) => r.frames / r.seconds))
    const ratio = httpRate / dirRate
    process.stdout.write(
      `${JSON.stringify({
        case: 'frames_over_http_vs_frames_dir',
        goal: '>= 0.7x frames/s of --frames-dir',
        labels,
        framesPerLabel,
        megabytes: round2(bytes / 1e6),
        concurrency,
        redirect: values.redirect,
        rounds,
        dirFramesPerSecond: Math.round(dirRate),
        httpFramesPerSecond: Math.round(httpRate),
        ratio: round2(ratio),
        met: ratio >= 0.7,
      })}\n`,
    )
  } finally {
    server?.kill()
    await rm(dir, { recursive: true, force: true })
  }
}

async function timeRound(resolver: FramesResolver, labels: readonly V1Label[], concurrency: number): Promise<Round> {
  const started = performance.now()
  let frames = 0
  let checksum = 0
  const stage = resolveV1Frames(resolver, { concurrency })
  for await (const batch of stage.run(groupsOf(labels), { signal: new AbortController().signal })) {
    for (const { value } of batch) {
      for (const label of value.labels) {
        for (const frame of (label.Label as { frames: V1Frame[] }).frames) {
          frames++
          checksum = (checksum * 31 + frame.frameNumber + (frame.objects?.length ?? 0)) % 2147483647
        }
      }
    }
  }
  return { frames, checksum, seconds: (performance.now() - started) / 1000 }
}

async function* groupsOf(labels: readonly V1Label[]): AsyncGenerator<Batch<V1LabelGroup>> {
  for (let i = 0; i < labels.length; i += 128) {
    yield labels.slice(i, i + 128).map((label, j) => ({
      value: { dataRowId: label['DataRow ID'], labels: [label] },
      at: { file: 'export.json', line: i + j + 2, byteOffset: 0 },
    }))
  }
}

function assertSame(result: Round, expected: Round, what: string): void {
  if (result.frames !== expected.frames || result.checksum !== expected.checksum) {
    throw new Error(`${what}: ${result.frames} frames (checksum ${result.checksum}), expected ${expected.frames} (${expected.checksum})`)
  }
}

const labelId = (i: number) => `ckbench${String(i).padStart(17, '0')}`

function videoLabel(id: string, framesUrl: string): V1Label {
  return {
    ID: id,
    'DataRow ID': `dr${id}`,
    Label: { frames: framesUrl, classifications: [] },
    'Created At': '2024-01-01T00:00:00.000Z',
    'Updated At': '2024-01-01T00:00:00.000Z',
  }
}

/** Seeded frames files in Labelbox's shape (formats.md "v1 video frames NDJSON"); returns the bytes written. */
async function writeFrames(dir: string, labels: number, frames: number): Promise<number> {
  const rng = new Prng(5)
  let bytes = 0
  for (let i = 0; i < labels; i++) {
    const tracks = rng.between(1, 4)
    const lines: string[] = []
    for (let n = 1; n <= frames; n++) {
      const objects = Array.from({ length: tracks }, (_, t) => ({
        featureId: `ckfeat${String(i * 4 + t).padStart(19, '0')}`,
        schemaId: 'ckschema0000000000000car',
        title: 'Car',
        value: 'car',
        color: '#a23030',
        keyframe: n % 15 === 1,
        bbox: { top: rng.between(0, 1000), left: rng.between(0, 1900), height: rng.between(20, 300), width: rng.between(20, 300) },
        classifications: [],
      }))
      lines.push(JSON.stringify({ frameNumber: n, objects, classifications: [] }))
    }
    const text = `${lines.join('\n')}\n`
    bytes += Buffer.byteLength(text)
    await writeFile(join(dir, `${labelId(i)}.ndjson`), text)
  }
  return bytes
}

function positive(name: 'labels' | 'frames' | 'concurrency' | 'rounds'): number {
  const value = Number(values[name])
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer, got ${values[name]}`)
  return value
}

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

// Last, once every declaration above is initialised.
if (values.serve !== undefined) await serve(values.serve, values.redirect)
else await compare()

import { createReadStream } from 'node:fs'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { V1Label } from '@labelpipe/core'

/** A request as the server saw it. */
export interface SeenRequest {
  readonly path: string
  readonly authorization: string | undefined
  /** 1 for the server's first TCP connection, 2 for the next...: equal numbers mean a kept-alive connection. */
  readonly connection: number
}

/** Answers one request; `seen.path` is the request's path with its query. What it returns is ignored, but awaited. */
export type FramesHandler = (request: IncomingMessage, response: ServerResponse, seen: SeenRequest) => unknown

/** A node:http server on 127.0.0.1 and a port of its own (port 0), recording what it was asked. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly requests: readonly SeenRequest[]
  /** TCP connections accepted so far. */
  readonly connections: number
  /** The most requests it was answering at one time. */
  readonly maxInFlight: number
  /** Closes the server and every connection still open (a stalled response included). */
  close(): Promise<void>
}

/** Starts a loopback HTTP server; a handler that throws answers 500 with the error's message. */
export async function startServer(handle: FramesHandler): Promise<TestServer> {
  const requests: SeenRequest[] = []
  const connectionIds = new WeakMap<Socket, number>()
  let connections = 0
  let inFlight = 0
  let maxInFlight = 0
  const server = createServer((request, response) => {
    const seen = {
      path: request.url ?? '/',
      authorization: request.headers.authorization,
      connection: connectionIds.get(request.socket) ?? 0,
    }
    requests.push(seen)
    maxInFlight = Math.max(maxInFlight, ++inFlight)
    response.once('close', () => inFlight--)
    Promise.resolve()
      .then(() => handle(request, response, seen))
      .catch((error: unknown) => {
        if (response.destroyed) return
        if (!response.headersSent) response.writeHead(500)
        response.end(String(error))
      })
  })
  server.on('connection', (socket: Socket) => connectionIds.set(socket, ++connections))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections
    },
    get maxInFlight() {
      return maxInFlight
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Answers `<prefix><label ID>` with `<dir>/<label ID>.ndjson` (200), or 404: a file server, as storage is. */
export function serveFramesDir(dir: string, prefix = '/frames/'): FramesHandler {
  return async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    const file = join(dir, `${decodeURIComponent(path.slice(prefix.length))}.ndjson`)
    if (!path.startsWith(prefix) || !(await isFile(file))) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': 'application/x-ndjson' })
    await pipeline(createReadStream(file), response)
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/** `count` frame lines of a label, deterministic: frame n has one object, a track of its own per label. */
export function frameLines(labelId: string, count: number): string[] {
  const lines: string[] = []
  for (let n = 1; n <= count; n++) {
    const object = {
      featureId: `f-${labelId}`,
      schemaId: 's-car',
      title: 'Car',
      value: 'car',
      color: '#a23030',
      keyframe: n % 10 === 1,
      bbox: { top: n, left: 2 * n, height: 30, width: 40 },
      classifications: [],
    }
    lines.push(JSON.stringify({ frameNumber: n, objects: [object], classifications: [] }))
  }
  return lines
}

/** Writes `<dir>/<label ID>.ndjson` for each label, `frames` lines each; returns the ids, in order. */
export async function writeFramesFiles(dir: string, labels: number, frames: number): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const ids = Array.from({ length: labels }, (_, i) => `label-${String(i).padStart(5, '0')}`)
  for (const id of ids) await writeFile(join(dir, `${id}.ndjson`), `${frameLines(id, frames).join('\n')}\n`)
  return ids
}

/** A raw v1 video label (formats.md "Export v1"): `Label` is `{frames: <URL>}`. */
export function videoLabel(id: string, framesUrl: string): V1Label {
  return {
    ID: id,
    'DataRow ID': `dr-${id}`,
    'Labeled Data': 'https://storage.example/video.mp4',
    Label: { frames: framesUrl, classifications: [] },
    'Created At': '2024-01-01T00:00:00.000Z',
    'Updated At': '2024-01-01T00:00:00.000Z',
    Skipped: false,
  }
}

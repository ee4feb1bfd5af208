// Issue 5: frames of v1 video labels over HTTP. Real node:http servers on 127.0.0.1 (port 0), no HTTP mocks: the
// key stays on the API origin across redirects, 204/401/404/429/503 and broken bodies, streamed and parsed NDJSON,
// fail-fast and abort, ordered concurrent fetching, and 1,000 labels x 300 frames equal to the --frames-dir resolver.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { gzipSync } from 'node:zlib'
import { type Batch, HttpFramesError, type Located, type V1Frame, type V1Label, type V1LabelGroup } from '@labelpipe/core'
import { type FramesResolver, framesDirResolver, resolveV1Frames } from '@labelpipe/sources'
import { type HttpFramesResolverOptions, type HttpFramesRetry, httpFramesResolver } from '@labelpipe/sources/http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type FramesHandler,
  frameLines,
  serveFramesDir,
  startServer,
  type TestServer,
  videoLabel,
  writeFramesFiles,
} from './support/frames-server.js'

const apiKey = 'lbk_test.6f1d2c3b4a5968778695a4b3c2d1e0f'
const signedQuery = '?X-Goog-Signature=c2lnbmF0dXJl&X-Goog-Expires=600'
const servers: TestServer[] = []
const resolvers: { close(): Promise<void> }[] = []
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-http-frames-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(async () => {
  await Promise.all(resolvers.splice(0).map((resolver) => resolver.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function server(handle: FramesHandler): Promise<TestServer> {
  const started = await startServer(handle)
  servers.push(started)
  return started
}

/** A resolver with test-sized waits; `retries` collects every retry event. */
function resolver(options: HttpFramesResolverOptions = {}) {
  const retries: HttpFramesRetry[] = []
  const created = httpFramesResolver({
    apiKey,
    baseDelayMs: 1,
    maxDelayMs: 5,
    onRetry: (retry) => retries.push(retry),
    ...options,
  })
  resolvers.push(created)
  return Object.assign(created, { retries })
}

async function framesOf(from: FramesResolver, label: V1Label, signal = new AbortController().signal): Promise<V1Frame[]> {
  const frames: V1Frame[] = []
  for await (const frame of from.frames(label, signal, { file: 'export.json', line: 1, byteOffset: 0 })) frames.push(frame)
  return frames
}

const parsedFrames = (id: string, count: number) => frameLines(id, count).map((line) => JSON.parse(line) as V1Frame)
const ndjson = (lines: readonly string[]) => `${lines.join('\n')}\n`

/** One label per data row, in batches of 128, as groupV1Labels would hand them over. */
async function* groupsOf(labels: readonly V1Label[]): AsyncGenerator<Batch<V1LabelGroup>> {
  for (let i = 0; i < labels.length; i += 128) {
    yield labels.slice(i, i + 128).map((label, j) => ({
      value: { dataRowId: label['DataRow ID'], labels: [label] },
      at: { file: 'export.json', line: i + j + 2, byteOffset: 0 },
    }))
  }
}

async function resolveAll(from: FramesResolver, labels: readonly V1Label[], concurrency?: number, signal = new AbortController().signal) {
  const out: Located<V1LabelGroup>[] = []
  const stage = resolveV1Frames(from, concurrency === undefined ? {} : { concurrency })
  for await (const batch of stage.run(groupsOf(labels), { signal })) out.push(...batch)
  return out
}

function framesIn(group: Located<V1LabelGroup>): unknown {
  return (group.value.labels[0]?.Label as { frames?: unknown } | undefined)?.frames
}

/** Nothing printable of a failure holds the key or a signed query: message, stack, cause chain, every field. */
function expectNoSecrets(value: unknown): void {
  const text = `${inspect(value, { depth: 10 })} ${value instanceof Error ? (value.stack ?? '') : ''}`
  expect(text).not.toContain(apiKey)
  expect(text).not.toContain('Signature')
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  )
}

describe('httpFramesResolver (issue 5): the key and redirects', () => {
  it('a redirect to another origin: frames arrive, and that server never received an Authorization header', async () => {
    const storage = await server((_, response) => response.writeHead(200).end(ndjson(frameLines('L1', 20))))
    const api = await server((_, response) => response.writeHead(301, { location: `${storage.origin}/frames/L1${signedQuery}` }).end())
    const http = resolver()
    expect(await framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`))).toEqual(parsedFrames('L1', 20))
    expect(api.requests.map((r) => r.authorization)).toEqual([`Bearer ${apiKey}`])
    expect(storage.requests.map((r) => [r.path, r.authorization])).toEqual([[`/frames/L1${signedQuery}`, undefined]])
    expect(http.stats).toMatchObject({ labels: 1, frames: 20, requests: 2, redirects: 1, retries: 0 })
  })

  it('a redirect within the same origin keeps the header', async () => {
    const api = await server((request, response) => {
      if (request.url === '/v1/frames/L1') response.writeHead(302, { location: '/files/L1' }).end()
      else response.writeHead(200).end(ndjson(frameLines('L1', 3)))
    })
    expect(await framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`))).toEqual(parsedFrames('L1', 3))
    expect(api.requests.map((r) => [r.path, r.authorization])).toEqual([
      ['/v1/frames/L1', `Bearer ${apiKey}`],
      ['/files/L1', `Bearer ${apiKey}`],
    ])
  })

  it('once a redirect has left the origin, a redirect back to it does not get the key again', async () => {
    let apiOrigin = ''
    const other = await server((_, response) => response.writeHead(307, { location: `${apiOrigin}/files/L1` }).end())
    const api = await server((request, response) => {
      if (request.url === '/v1/frames/L1') response.writeHead(302, { location: `${other.origin}/hop` }).end()
      else response.writeHead(200).end(ndjson(frameLines('L1', 2)))
    })
    apiOrigin = api.origin
    expect(await framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`))).toHaveLength(2)
    expect(api.requests.map((r) => r.authorization)).toEqual([`Bearer ${apiKey}`, undefined])
    expect(other.requests.map((r) => r.authorization)).toEqual([undefined])
  })

  it('more redirects than maxRedirects fail with LP_HTTP_REDIRECT, the Location never printed', async () => {
    const api = await server((_, response) => response.writeHead(302, { location: `/again${signedQuery}` }).end())
    const error = await rejectionOf(framesOf(resolver({ maxRedirects: 3 }), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect(error).toMatchObject({ code: 'LP_HTTP_REDIRECT', labelId: 'L1' })
    expect((error as Error).message).toBe(`frames of label L1 (${api.origin}/again): more than maxRedirects (3) redirects`)
    expect(api.requests).toHaveLength(4)
    expectNoSecrets(error)
  })
})

describe('httpFramesResolver (issue 5): statuses', () => {
  it('204: the label is skipped with no frames, counted, not an error', async () => {
    const api = await server((_, response) => response.writeHead(204).end())
    const http = resolver()
    const [group] = await resolveAll(http, [videoLabel('L1', `${api.origin}/v1/frames/L1`)])
    expect(framesIn(group as Located<V1LabelGroup>)).toEqual([])
    expect(http.stats).toMatchObject({ labels: 1, frames: 0, skippedLabels: 1, retries: 0 })
  })

  it('401: fails at once (no retry), naming the label, without the key', async () => {
    const api = await server((_, response) => response.writeHead(401).end('{"error":"invalid API key"}'))
    const http = resolver()
    const error = await rejectionOf(framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect(error).toBeInstanceOf(HttpFramesError)
    expect(error).toMatchObject({ code: 'LP_HTTP_AUTH', labelId: 'L1', statusCode: 401, url: `${api.origin}/v1/frames/L1` })
    expect((error as Error).message).toBe(
      `frames of label L1 (${api.origin}/v1/frames/L1): HTTP 401 Unauthorized: the API key was refused (check LABELBOX_API_KEY)`,
    )
    expect(api.requests).toHaveLength(1)
    expect(http.stats.retries).toBe(0)
    expectNoSecrets(error)
  })

  it('401 fails the stage fast: an earlier label that never answers is cancelled, not waited for', async () => {
    let stalledClosed: () => void = () => {}
    const closed = new Promise<void>((resolve) => (stalledClosed = resolve))
    const api = await server((request, response) => {
      if (request.url === '/v1/frames/slow') response.once('close', () => stalledClosed())
      else response.writeHead(401).end()
    })
    const labels = [videoLabel('slow', `${api.origin}/v1/frames/slow`), videoLabel('L2', `${api.origin}/v1/frames/L2`)]
    const error = await rejectionOf(resolveAll(resolver(), labels, 2))
    expect(error).toMatchObject({ code: 'LP_HTTP_AUTH', labelId: 'L2' })
    await closed
  })

  it('404: an error naming the label', async () => {
    const api = await server((_, response) => response.writeHead(404).end())
    const error = await rejectionOf(framesOf(resolver(), videoLabel('ck404', `${api.origin}/v1/frames/ck404`)))
    expect(error).toMatchObject({ code: 'LP_HTTP_NOT_FOUND', labelId: 'ck404', statusCode: 404 })
    expect((error as Error).message).toMatch(/^frames of label ck404 \(http:\/\/127\.0\.0\.1:\d+\/v1\/frames\/ck404\): HTTP 404 Not Found/)
  })

  it('429 with Retry-After in seconds: waits that long (plus jitter), then succeeds', async () => {
    const arrivals: number[] = []
    const api = await server((_, response) => {
      arrivals.push(performance.now())
      if (arrivals.length === 1) response.writeHead(429, { 'retry-after': '1' }).end()
      else response.writeHead(200).end(ndjson(frameLines('L1', 5)))
    })
    const http = resolver({ random: () => 0 })
    expect(await framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`))).toHaveLength(5)
    expect(http.retries).toEqual([{ labelId: 'L1', url: `${api.origin}/v1/frames/L1`, attempt: 1, delayMs: 1000, reason: 'HTTP 429' }])
    // A lower bound only: a timer never fires early (5 ms of slack for clock rounding).
    expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(995)
  })

  it('429 without Retry-After waits as for a rate limit (unannouncedRateLimitMs), not the short backoff', async () => {
    let calls = 0
    const api = await server((_, response) => {
      calls++
      if (calls <= 2) response.writeHead(429).end()
      else response.writeHead(200).end(ndjson(frameLines('L1', 5)))
    })
    // Test-sized: maxRetryAfterMs caps the wait (15 s, then 30 s by default).
    const http = resolver({ random: () => 0, maxRetryAfterMs: 60 })
    expect(await framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`))).toHaveLength(5)
    expect(http.retries.map((retry) => [retry.delayMs, retry.reason])).toEqual([
      [60, 'HTTP 429'],
      [60, 'HTTP 429'],
    ])
  })

  it('429 asking for longer than maxRetryAfterMs fails at once instead of stalling the run', async () => {
    const api = await server((_, response) => response.writeHead(429, { 'retry-after': '3600' }).end())
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect(error).toMatchObject({ code: 'LP_HTTP_STATUS', statusCode: 429 })
    expect((error as Error).message).toContain('HTTP 429 asks to retry after 3600 s, longer than maxRetryAfterMs (120000 ms)')
    expect(api.requests).toHaveLength(1)
  })

  it('503 twice, then 200: retried with backoff, the frames once', async () => {
    const api = await server((_, response) => {
      if (api.requests.length <= 2) response.writeHead(503).end()
      else response.writeHead(200).end(ndjson(frameLines('L1', 7)))
    })
    const http = resolver()
    expect(await framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`))).toEqual(parsedFrames('L1', 7))
    expect(http.retries.map((r) => [r.attempt, r.reason])).toEqual([
      [1, 'HTTP 503'],
      [2, 'HTTP 503'],
    ])
    expect(http.stats).toMatchObject({ requests: 3, retries: 2, frames: 7 })
  })

  it('503 on every attempt: LP_HTTP_RETRIES_EXHAUSTED after maxAttempts', async () => {
    const api = await server((_, response) => response.writeHead(503).end())
    const error = await rejectionOf(framesOf(resolver({ maxAttempts: 3 }), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect(error).toMatchObject({ code: 'LP_HTTP_RETRIES_EXHAUSTED', attempts: 3, statusCode: 503 })
    expect((error as Error).message).toContain('gave up after 3 attempts; the last: HTTP 503')
    expect(api.requests).toHaveLength(3)
  })
})

describe('httpFramesResolver (issue 5): bodies', () => {
  it('a connection reset mid-body restarts the label at its API URL; no frame is emitted twice', async () => {
    const lines = frameLines('L1', 300)
    const storage = await server((request, response) => {
      if (storage.requests.length === 1) {
        response.writeHead(200)
        response.write(ndjson(lines.slice(0, 120)), () => request.socket.resetAndDestroy())
      } else response.writeHead(200).end(ndjson(lines))
    })
    const api = await server((_, response) => response.writeHead(301, { location: `${storage.origin}/frames/L1${signedQuery}` }).end())
    const http = resolver()
    const frames = await framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`))
    expect(frames.map((f) => f.frameNumber)).toEqual(lines.map((_, i) => i + 1))
    expect(frames).toEqual(parsedFrames('L1', 300))
    // From scratch: the API again (a fresh signed URL), not the storage URL that failed.
    expect(api.requests).toHaveLength(2)
    expect(http.retries).toHaveLength(1)
    expect(http.retries[0]).toMatchObject({
      url: `${storage.origin}/frames/L1`,
      reason: expect.stringMatching(/^(UND_ERR_SOCKET|ECONNRESET): /),
    })
    expectNoSecrets(http.retries)
  })

  it('a body stalled past bodyTimeoutMs is retried', async () => {
    const lines = frameLines('L1', 50)
    const api = await server((_, response) => {
      response.writeHead(200)
      if (api.requests.length === 1) response.write(ndjson(lines.slice(0, 10)))
      else response.end(ndjson(lines))
    })
    const http = resolver({ bodyTimeoutMs: 200 })
    expect(await framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`))).toEqual(parsedFrames('L1', 50))
    expect(http.retries.map((r) => r.reason)).toEqual([expect.stringMatching(/^UND_ERR_BODY_TIMEOUT: /)])
  })

  it('a body that stalls on every attempt: LP_HTTP_RETRIES_EXHAUSTED, its undici cause holding no secret', async () => {
    const storage = await server((_, response) => response.writeHead(200).write(ndjson(frameLines('L1', 3))))
    const api = await server((_, response) => response.writeHead(302, { location: `${storage.origin}/frames/L1${signedQuery}` }).end())
    const error = await rejectionOf(
      framesOf(resolver({ bodyTimeoutMs: 200, maxAttempts: 2 }), videoLabel('L1', `${api.origin}/v1/frames/L1`)),
    )
    expect(error).toMatchObject({ code: 'LP_HTTP_RETRIES_EXHAUSTED', attempts: 2, url: `${storage.origin}/frames/L1` })
    expect((error as Error).message).toMatch(/gave up after 2 attempts; the last: UND_ERR_BODY_TIMEOUT: /)
    expect((error as Error).cause).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' })
    expectNoSecrets(error)
  })

  it('headers that never come are retried after headersTimeoutMs', async () => {
    const api = await server((_, response) => {
      if (api.requests.length > 1) response.writeHead(200).end(ndjson(frameLines('L1', 2)))
    })
    const http = resolver({ headersTimeoutMs: 200 })
    expect(await framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`))).toHaveLength(2)
    expect(http.retries.map((r) => r.reason)).toEqual([expect.stringMatching(/^UND_ERR_HEADERS_TIMEOUT: /)])
  })

  it('invalid NDJSON in a frames body: the error names label and line, not the signed query; no retry', async () => {
    const lines = frameLines('L1', 5)
    lines[2] = '{"frameNumber": 3, "objects": [}'
    const storage = await server((_, response) => response.writeHead(200).end(ndjson(lines)))
    const api = await server((_, response) => response.writeHead(301, { location: `${storage.origin}/frames/L1${signedQuery}` }).end())
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    const byte = Buffer.byteLength(ndjson(lines.slice(0, 2)))
    expect(error).toMatchObject({
      code: 'LP_EXPORT_FORMAT',
      file: `frames of label L1 (${storage.origin}/frames/L1)`,
      line: 3,
      byteOffset: byte,
    })
    expect((error as Error).message).toMatch(
      new RegExp(`^frames of label L1 \\(${storage.origin.replaceAll('.', '\\.')}/frames/L1\\) line 3 \\(byte ${byte}\\): invalid JSON`),
    )
    expect(storage.requests).toHaveLength(1)
    expectNoSecrets(error)
  })

  it('a frame that breaks the v1 frame schema names its field', async () => {
    const api = await server((_, response) => response.writeHead(200).end('{"frameNumber":1}\n{"frameNumber":"two"}\n'))
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect((error as Error).message).toMatch(/^frames of label L1 \(.*\) line 2 \(byte 18\): frameNumber: Invalid input: expected number/)
  })

  it('a frames body that is not UTF-8: the error names line and byte of the bad byte, instead of a U+FFFD in a value', async () => {
    const lines = frameLines('L1', 3)
    const good = Buffer.from(ndjson(lines.slice(0, 2)))
    const bad = Buffer.concat([good, Buffer.from('{"frameNumber":3,"objects":[],"classifications":[{"value":"'), Buffer.from([0xc3, 0x28])])
    const api = await server((_, response) => response.writeHead(200).end(Buffer.concat([bad, Buffer.from('"}]}\n')])))
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect(error).toMatchObject({ code: 'LP_INVALID_UTF8', line: 3, byteOffset: good.length })
    expect((error as Error).message).toMatch(
      new RegExp(`^frames of label L1 \\(.*\\) line 3 \\(byte ${good.length}\\): invalid UTF-8 at byte ${bad.length - 2}$`),
    )
  })

  it('a gzip body is decoded', async () => {
    const api = await server((request, response) => {
      expect(request.headers['accept-encoding']).toBe('gzip')
      response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(ndjson(frameLines('L1', 40))))
    })
    expect(await framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`))).toEqual(parsedFrames('L1', 40))
  })

  it('Content-Encoding is case-insensitive; an unsupported one fails the label, and the process lives on', async () => {
    const gzipped = await server((_, response) =>
      response.writeHead(200, { 'content-encoding': 'GZIP' }).end(gzipSync(ndjson(frameLines('L1', 3)))),
    )
    expect(await framesOf(resolver(), videoLabel('L1', `${gzipped.origin}/v1/frames/L1`))).toEqual(parsedFrames('L1', 3))
    // A body still coming: destroying it makes undici emit an error a tick later, which killed the process.
    const brotli = await server((_, response) => {
      response.writeHead(200, { 'content-encoding': 'br' })
      response.write('x'.repeat(64 * 1024))
    })
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${brotli.origin}/v1/frames/L1`)))
    expect(error).toMatchObject({ code: 'LP_HTTP_STATUS', statusCode: 200 })
    expect((error as Error).message).toMatch(/unsupported Content-Encoding br: expected gzip or none/)
    await new Promise((resolve) => setTimeout(resolve, 100))
  })

  it('a body that is one long line stops at maxFrameLineChars with an error naming the line, not minutes later', async () => {
    const api = await server((_, response) => response.writeHead(200).end(`[${'{"frameNumber":1},'.repeat(500_000)}`))
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect(error).toMatchObject({ code: 'LP_EXPORT_FORMAT', line: 1, byteOffset: 0 })
    expect((error as Error).message).toMatch(/line 1 \(byte 0\): line 1 runs past 8388608 characters without a newline/)
  })

  it('a redirect to plain http off this machine is refused: the signed URL is a credential too', async () => {
    const api = await server((_, response) => response.writeHead(302, { location: `http://192.0.2.2/bucket/L1${signedQuery}` }).end())
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`)))
    expect(error).toMatchObject({ code: 'LP_HTTP_REDIRECT', statusCode: 302 })
    expect((error as Error).message).toMatch(/HTTP 302 to plain http at 192\.0\.2\.2: only https is followed off this machine/)
    expectNoSecrets(error)
  })
})

describe('httpFramesResolver (issue 5): abort', () => {
  it('the signal cancels a request in flight at once', async () => {
    const controller = new AbortController()
    let stalledClosed: () => void = () => {}
    const closed = new Promise<void>((resolve) => (stalledClosed = resolve))
    const api = await server((_, response) => {
      response.once('close', () => stalledClosed())
      controller.abort(new Error('stopped by the test'))
    })
    const error = await rejectionOf(framesOf(resolver(), videoLabel('L1', `${api.origin}/v1/frames/L1`), controller.signal))
    expect((error as Error).message).toBe('stopped by the test')
    await closed
  })

  it('the signal cancels a backoff wait at once (Retry-After: 100 s)', async () => {
    const controller = new AbortController()
    const api = await server((_, response) => response.writeHead(503, { 'retry-after': '100' }).end())
    const http = resolver({ onRetry: () => controller.abort(new Error('stopped during backoff')) })
    const error = await rejectionOf(framesOf(http, videoLabel('L1', `${api.origin}/v1/frames/L1`), controller.signal))
    expect((error as Error).message).toBe('stopped during backoff')
    expect(api.requests).toHaveLength(1)
  })
})

describe('resolveV1Frames over HTTP (issue 5)', () => {
  it('fetches `concurrency` labels at once over kept-alive connections, output in input order', async () => {
    const concurrency = 4
    const ids = Array.from({ length: 40 }, (_, i) => `L${i}`)
    // Answers only once `concurrency` requests wait together: fewer in flight would never finish.
    let held: (() => void)[] = []
    const api = await server((request, response) => {
      const id = (request.url ?? '').split('/').at(-1) as string
      held.push(() => response.writeHead(200).end(ndjson(frameLines(id, 3))))
      if (held.length === concurrency) for (const answer of held.splice(0)) answer()
    })
    const http = resolver({ concurrency })
    const out = await resolveAll(
      http,
      ids.map((id) => videoLabel(id, `${api.origin}/v1/frames/${id}`)),
      concurrency,
    )
    held = []
    expect(out.map((group) => group.value.dataRowId)).toEqual(ids.map((id) => `dr-${id}`))
    expect(out.map((group) => (framesIn(group) as V1Frame[]).length)).toEqual(ids.map(() => 3))
    expect(api.maxInFlight).toBe(concurrency)
    expect(api.connections).toBeLessThanOrEqual(concurrency)
  })

  it('1,000 labels x 300 frames served locally: the same groups as the --frames-dir resolver', async () => {
    const framesDir = join(dir, 'frames-1000')
    const ids = await writeFramesFiles(framesDir, 1000, 300)
    const storage = await server(serveFramesDir(framesDir))
    const api = await server((request, response) => {
      const id = (request.url ?? '').split('/').at(-1) as string
      response.writeHead(301, { location: `${storage.origin}/frames/${id}${signedQuery}` }).end()
    })
    const labels = ids.map((id) => videoLabel(id, `${api.origin}/v1/frames/${id}`))
    const http = resolver()
    const overHttp = await resolveAll(http, labels)
    const fromDir = await resolveAll(framesDirResolver(framesDir), labels)
    expect(overHttp).toHaveLength(1000)
    const differing = overHttp.filter((group, i) => JSON.stringify(group) !== JSON.stringify(fromDir[i])).map((g) => g.value.dataRowId)
    expect(differing).toEqual([])
    expect(http.stats).toMatchObject({ labels: 1000, frames: 300_000, requests: 2000, redirects: 1000, retries: 0 })
    expect(storage.requests.every((r) => r.authorization === undefined)).toBe(true)
    expect(storage.connections).toBeLessThanOrEqual(8)
  })
})

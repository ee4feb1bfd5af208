// Every error class of the README's error table, each caused for real and caught: its stable `code`, the class to
// test with instanceof, and the message. Nothing here needs a server of yours: the HTTP and webhook cases run local
// demo servers, and the Postgres case connects to a port where nothing listens.
// Run: node examples/dist/error-codes.js
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import {
  ExportFormatError,
  HttpFramesError,
  InputError,
  InvalidOptionError,
  InvalidUtf8Error,
  LabelpipeError,
  LineTooLongError,
  newLoadId,
  PipelineAbortedError,
  type PipelineStage,
  type RecordStage,
  runPipeline,
  runStage,
  SinkError,
  StageError,
  TooManyErrorsError,
  TransformError,
  UnsupportedFormatError,
  type V1Label,
} from '@labelpipe/core'
import { assertNotCommitted, ndjsonSink } from '@labelpipe/sinks/ndjson'
import {
  PostgresSinkError,
  readLoadCursors,
  WebhookDeliveryError,
  webhookEvents,
  webhookReceiver,
  webhookSignature,
} from '@labelpipe/sinks/postgres'
import { type ReadV2ExportOptions, readV2Export } from '@labelpipe/sources'
import { httpFramesResolver } from '@labelpipe/sources/http'
import { flattenDataRows } from '@labelpipe/transforms'

const dir = 'out/example-error-codes'
await mkdir(dir, { recursive: true })
const file = async (name: string, content: string | Buffer) => {
  await writeFile(join(dir, name), content)
  return join(dir, name)
}
const good = '{"data_row":{"id":"dr-1"}}\n'

/** Runs `cause`, which must fail with a `expected`; prints code, class and message. */
async function expectError(expected: abstract new (...args: never[]) => LabelpipeError, cause: () => unknown): Promise<void> {
  try {
    await cause()
  } catch (error) {
    // instanceof LabelpipeError holds across duplicated package copies, as isLabelpipeError(error) does.
    if (!(error instanceof LabelpipeError) || !(error instanceof expected)) throw error
    console.log(`${error.code} ${expected.name}: ${error.message}`)
    return
  }
  throw new Error(`no ${expected.name} was thrown`)
}

/** Reads an export to its end, as a pipeline's source would. */
async function readAll(path: string, options: ReadV2ExportOptions = {}) {
  for await (const _ of readV2Export(path, options));
}

const loadThrough = (stage: PipelineStage<never, unknown>, signal?: AbortSignal) =>
  runPipeline({
    source: readV2Export(join(dir, 'good.ndjson')),
    transforms: [stage],
    sink: ndjsonSink({ dir: join(dir, 'tables'), loadId: newLoadId() }),
    ...(signal === undefined ? {} : { signal }),
  })
await file('good.ndjson', good)

// ---- Reading ----
await expectError(ExportFormatError, async () => readAll(await file('not-json.ndjson', `${good}{"data_row":\n`)))
await expectError(InvalidUtf8Error, async () =>
  readAll(await file('latin1.ndjson', Buffer.from('{"data_row":{"id":"caf\xe9"}}\n', 'latin1'))),
)
await expectError(LineTooLongError, async () => readAll(await file('long.ndjson', good), { maxLineLength: 10 }))
await expectError(TooManyErrorsError, async () =>
  readAll(await file('two-bad.ndjson', `not json\n${good}[]\n`), { maxErrors: 1, deadLetters: () => undefined }),
)
await expectError(UnsupportedFormatError, async () => readAll(new URL('../data/sample-v1.json', import.meta.url).pathname))
await expectError(InputError, () => readAll(join(dir, 'no-such-export.ndjson')))

// ---- Options, stages, sinks, aborts ----
await expectError(InvalidOptionError, () => ndjsonSink({ dir: join(dir, 'tables'), loadId: 'two words' }))
const throwing: RecordStage<unknown, never> = () => {
  throw new Error('this record is not wanted')
}
await expectError(TransformError, () => loadThrough({ name: 'reject', run: runStage(throwing) }))
await expectError(StageError, () =>
  loadThrough({
    name: 'my-stage',
    // biome-ignore lint/correctness/useYield: the stage fails before its first batch, as a broken one would
    run: async function* () {
      throw new Error('the stage broke')
    },
  }),
)
await expectError(PipelineAbortedError, () =>
  loadThrough({ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId: newLoadId(), source: 'v2' })) }, AbortSignal.abort()),
)
const committed = newLoadId()
await runPipeline({
  source: readV2Export(join(dir, 'good.ndjson')),
  transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId: committed, source: 'v2' })) }],
  sink: ndjsonSink({ dir: join(dir, 'tables'), loadId: committed }),
})
await expectError(SinkError, () => assertNotCommitted(join(dir, 'tables'), committed))

// ---- Frames over HTTP: a label whose frames URL answers 404 ----
const frames = await serve((_request, response) => response.writeHead(404).end())
const resolver = httpFramesResolver({ apiKey: 'example-key' })
const label: V1Label = { ID: 'label-1', 'DataRow ID': 'dr-1', Label: { frames: `${frames.url}/frames/label-1?signature=secret` } }
await expectError(HttpFramesError, async () => {
  for await (const _ of resolver.frames(label, AbortSignal.timeout(10_000), { file: 'export.json', line: 1, byteOffset: 0 }));
})
await resolver.close()
await frames.close()

// ---- The webhook receiver: a wrong signature is 401, a body over maxBodyBytes 413 (both LP_INPUT), before any
// database work; onError gets each as a WebhookDeliveryError with the status answered. ----
const secret = 'example-secret'
const refused: LabelpipeError[] = []
const receiver = webhookReceiver({
  connectionString: 'postgres://example@127.0.0.1:9/none',
  secret,
  flatten: flattenDataRows,
  maxBodyBytes: 1024,
  onError: (error) => refused.push(error),
})
const hooks = await serve(receiver.handle)
const deliver = async (id: string, body: string, signature: string) => {
  const headers = { 'x-hub-signature': signature, 'x-labelbox-id': id, 'x-labelbox-event': webhookEvents[1] }
  return (await fetch(hooks.url, { method: 'POST', body, headers })).status
}
const wrongSecret = await deliver('example-1', good, webhookSignature('not the secret', good))
const big = `{"data_row":{"id":"dr-1","global_key":"${'x'.repeat(2048)}"}}`
const tooLarge = await deliver('example-2', big, webhookSignature(secret, big))
await hooks.close()
await receiver.close()
console.log(`webhook answers: ${wrongSecret}, ${tooLarge}; events it handles: ${webhookEvents.join(' ')}`)
await expectError(WebhookDeliveryError, () => {
  const error = refused.find((e) => e instanceof WebhookDeliveryError && e.status === 401)
  throw error ?? new Error('no 401 reported')
})
await expectError(WebhookDeliveryError, () => {
  const error = refused.find((e) => e instanceof WebhookDeliveryError && e.status === 413)
  throw error ?? new Error('no 413 reported')
})

// ---- Postgres: nothing listens on port 9 ----
await expectError(PostgresSinkError, () =>
  readLoadCursors({ connectionString: 'postgres://example:password@127.0.0.1:9/none', connectTimeoutMs: 5_000 }),
)

/** A local HTTP server for the demo; `url` is its origin. */
async function serve(listener: RequestListener) {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

// Issue 8 (items 3 and 4): the webhook receiver, over real HTTP on 127.0.0.1 into a real PostgreSQL. It is mounted
// on a path of an ordinary node:http server (the library use); `runWebhook` (the CLI command) runs in-process.
// Deliveries are states of generated Export v2 data rows (generateV2Export), signed as Labelbox signs them.

import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { generateV2Export } from '@labelpipe/benchmarks'
import { type Batch, type LabelpipeError, newLoadId, type TableRow, tableNames, type V2DataRow } from '@labelpipe/core'
import {
  postgresSink,
  WebhookDeliveryError,
  type WebhookReceiver,
  type WebhookReceiverOptions,
  webhookReceiver,
  webhookSignature,
} from '@labelpipe/sinks/postgres'
import { flattenDataRows } from '@labelpipe/transforms'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { WebhookConfig } from '../packages/cli/src/args.js'
import { runWebhook } from '../packages/cli/src/commands/webhook.js'
import {
  loadRuns,
  type PgClient,
  type PostgresServer,
  pg,
  startPostgresServer,
  tableDigests,
  withClient,
} from './support/postgres-server.js'

const secret = 'whsec-test-8d1f0c2a'

interface TestLabel {
  id: string
  annotations?: { objects?: { name?: string | null }[] | null } | null
  [key: string]: unknown
}

interface TestProject {
  labels?: TestLabel[] | null
  project_details?: { workflow_status?: string | null; [key: string]: unknown } | null
  [key: string]: unknown
}

/** A generated Export v2 line, typed as far as the tests change it. */
interface TestRow {
  data_row: {
    id: string
    external_id?: string | null
    details?: { last_activity_at?: string | null; [key: string]: unknown } | null
    [key: string]: unknown
  }
  projects?: Record<string, TestProject> | null
  [key: string]: unknown
}

let server: PostgresServer
let rows: TestRow[]

beforeAll(async () => {
  server = await startPostgresServer()
  const chunks: Buffer[] = []
  for await (const chunk of generateV2Export({ dataRows: 200, seed: 8 })) chunks.push(chunk as Buffer)
  rows = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TestRow)
})

afterAll(async () => {
  await server?.stop()
})

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

// ---- States: version v of data row i, last_activity_at increasing with v. ----

const baseMs = Date.parse('2026-01-01T00:00:00Z')
const statuses = ['ToLabel', 'InReview', 'InRework', 'Done', 'Done']
const events = ['LABEL_CREATED', 'LABEL_UPDATED', 'REVIEW_CREATED', 'LABEL_UPDATED', 'WORKFLOW']

/**
 * Version v of data row i: objects renamed, the workflow status moved on; odd versions lose each project's last
 * label (when it has two) and carry a label that exists in that version only, so a later state must delete it.
 */
function stateOf(index: number, v: number, minutes = v): TestRow {
  const row = rows[index] as TestRow
  const state = structuredClone(row)
  state.data_row.external_id = `${row.data_row.id}-v${v}`
  state.data_row.details = { ...(state.data_row.details ?? {}), last_activity_at: new Date(baseMs + minutes * 60_000).toISOString() }
  for (const project of Object.values(state.projects ?? {})) {
    if (project.project_details != null) project.project_details.workflow_status = statuses[v % statuses.length] as string
    const labels = project.labels ?? []
    if (v % 2 === 1 && labels.length > 1) labels.pop()
    for (const label of labels) for (const object of label.annotations?.objects ?? []) object.name = `${object.name ?? ''} v${v}`
    const first = labels[0]
    if (first !== undefined && v % 2 === 1) labels.push({ ...structuredClone(first), id: `${first.id}-only-v${v}` })
    project.labels = labels
  }
  return state
}

function labelIds(state: TestRow): string[] {
  return Object.values(state.projects ?? {}).flatMap((project) => (project.labels ?? []).map((label) => label.id))
}

// ---- HTTP ----

interface Hook {
  readonly receiver: WebhookReceiver
  readonly url: string
  readonly errors: LabelpipeError[]
}

/** A receiver on `/hooks/labelbox` of a server that has other paths of its own (item 4: mounted in an existing server). */
async function openHook(schema: string, options: Partial<WebhookReceiverOptions> = {}): Promise<Hook> {
  const errors: LabelpipeError[] = []
  const receiver = webhookReceiver({
    connectionString: server.url,
    schema,
    secret,
    flatten: flattenDataRows,
    onError: (error) => errors.push(error),
    ...options,
  })
  const host = createServer((request, response) => {
    if (request.url === '/hooks/labelbox') receiver.handle(request, response)
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not a hook\n')
  })
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve))
  closers.push(async () => {
    await receiver.close()
    await new Promise<void>((resolve) => {
      host.close(() => resolve())
      host.closeAllConnections()
    })
  })
  return { receiver, url: `http://127.0.0.1:${(host.address() as AddressInfo).port}/hooks/labelbox`, errors }
}

interface Answer {
  readonly status: number
  readonly body: Record<string, string>
  readonly headers: IncomingHttpHeaders
}

/** POSTs a delivery signed with the secret (or with `signature`; null: no header) and reads the JSON answer. */
async function deliver(
  url: string,
  payload: TestRow | object | string,
  { id, event = 'LABEL_UPDATED', signature }: { id: string; event?: string; signature?: string | null },
): Promise<Answer> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload)
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-labelbox-id': id, 'x-labelbox-event': event }
  const signed = signature === undefined ? webhookSignature(secret, body) : signature
  if (signed !== null) headers['x-hub-signature'] = signed
  const response = await fetch(url, { method: 'POST', headers, body })
  return {
    status: response.status,
    body: (await response.json()) as Record<string, string>,
    headers: Object.fromEntries(response.headers),
  }
}

/**
 * Sends the headers (and `bytes`, when given) without ending the request, and waits for the answer: what a
 * receiver says before reading the body, or on reading past its limit, with no race against the rest of the body.
 */
function sendUnfinished(url: string, headers: Record<string, string>, bytes?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false
    const request = httpRequest(url, { method: 'POST', headers })
    request.on('response', (response) => {
      answered = true
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        request.destroy()
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: response.headers })
      })
    })
    // Writes after the answer may fail (the receiver closed the connection): expected, the answer is what counts.
    request.on('error', (error) => {
      if (!answered) reject(error)
    })
    request.flushHeaders()
    if (bytes !== undefined) request.write(bytes)
  })
}

const deliveryHeaders = (id: string) => ({
  'x-labelbox-id': id,
  'x-labelbox-event': 'LABEL_UPDATED',
  // Well-formed, so the receiver goes on to the body; it cannot match.
  'x-hub-signature': `sha1=${'ab'.repeat(20)}`,
})

// ---- The warehouse ----

const digests = (schema: string) => tableDigests(server.url, schema, tableNames)

/** A batch load of `states` into `schema` with the same lineage source, `webhook`: the expected tables. */
async function batchLoad(schema: string, states: readonly TestRow[]): Promise<void> {
  const loadId = newLoadId()
  const flatten = flattenDataRows({ loadId, source: 'webhook' })
  const batches: Batch<TableRow>[] = states.map((state, i) => {
    const at = { file: 'final-states.ndjson', line: i + 1, byteOffset: i }
    return [...flatten(state as unknown as V2DataRow, at)].map((value) => ({ value, at }))
  })
  await pipeline(Readable.from(batches), postgresSink({ connectionString: server.url, schema, loadId }))
}

async function count(schema: string, table: string, where = 'true', values: unknown[] = []): Promise<number> {
  return withClient(server.url, async (client) => {
    const { rows: found } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}" WHERE ${where}`, values)
    return Number(found[0]?.n)
  })
}

async function deliveryIds(schema: string): Promise<string[]> {
  return withClient(server.url, async (client) => {
    const { rows: found } = await client.query<{ id: string }>(`SELECT delivery_id AS id FROM "${schema}".webhook_deliveries ORDER BY 1`)
    return found.map((row) => row.id)
  })
}

/** mulberry32: a seeded shuffle, the same order on every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

describe('webhook receiver (issue 8)', () => {
  it('checks X-Hub-Signature before parsing: a good one is stored, bad, tampered and missing ones are 401 and store nothing', async () => {
    const hook = await openHook('hook_signature')
    const state = stateOf(0, 0)
    const body = JSON.stringify(state)
    const wrongKey = await deliver(hook.url, body, { id: 'sig-wrong-key', signature: webhookSignature('not-the-secret', body) })
    const tampered = await deliver(hook.url, body.replace(state.data_row.id, `${state.data_row.id}x`), {
      id: 'sig-tampered',
      signature: webhookSignature(secret, body),
    })
    const length = String(Buffer.byteLength(body))
    const common = { 'x-labelbox-event': 'LABEL_CREATED', 'content-length': length }
    const missing = await sendUnfinished(hook.url, { ...common, 'x-labelbox-id': 'sig-missing' })
    const short = await sendUnfinished(hook.url, { ...common, 'x-labelbox-id': 'sig-short', 'x-hub-signature': 'sha1=abcd' })
    const sha256 = await sendUnfinished(hook.url, {
      ...common,
      'x-labelbox-id': 'sig-sha256',
      'x-hub-signature': `sha256=${'0'.repeat(64)}`,
    })
    for (const answer of [wrongKey, tampered, missing, short, sha256]) {
      expect(answer.status).toBe(401)
      expect(JSON.stringify(answer)).not.toContain(secret)
    }
    expect(wrongKey.body.error).toBe('delivery sig-wrong-key (LABEL_UPDATED): X-Hub-Signature does not match the body')
    expect(missing.body.error).toMatch(/^delivery sig-missing \(LABEL_CREATED\): missing or malformed X-Hub-Signature/)
    // Refused from the headers alone: the body was never read, and the connection is not kept for it.
    expect(missing.headers.connection).toBe('close')
    expect(hook.receiver.stats.unauthorized).toBe(5)
    expect(hook.errors.map((error) => [error instanceof WebhookDeliveryError, (error as WebhookDeliveryError).status])).toEqual(
      Array(5).fill([true, 401]),
    )

    const good = await deliver(hook.url, body, { id: 'sig-good', event: 'LABEL_CREATED' })
    expect(good).toMatchObject({ status: 200, body: { delivery: 'sig-good', outcome: 'applied' } })
    expect(await deliveryIds('hook_signature')).toEqual(['sig-good'])
    expect(await count('hook_signature', 'data_rows')).toBe(1)
    expect(await count('hook_signature', 'data_rows', 'external_id = $1', [`${state.data_row.id}-v0`])).toBe(1)

    // The host server keeps its other paths; the receiver answers only POST.
    expect((await fetch(hook.url.replace('/hooks/labelbox', '/other'))).status).toBe(404)
    const get = await fetch(hook.url)
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
  })

  it('a replayed delivery id is 200 "duplicate" and writes nothing, whatever its body', async () => {
    const hook = await openHook('hook_replay')
    const state = stateOf(1, 1)
    expect((await deliver(hook.url, state, { id: 'replay-1' })).body.outcome).toBe('applied')
    const before = await digests('hook_replay')
    const runs = await count('hook_replay', 'load_runs')

    const again = await deliver(hook.url, state, { id: 'replay-1' })
    const otherBody = await deliver(hook.url, stateOf(1, 4), { id: 'replay-1' })
    expect([again.status, again.body.outcome, otherBody.status, otherBody.body.outcome]).toEqual([200, 'duplicate', 200, 'duplicate'])
    expect(await digests('hook_replay')).toEqual(before)
    // A batch of replays only is not a load run.
    expect(await count('hook_replay', 'load_runs')).toBe(runs)
    expect(await deliveryIds('hook_replay')).toEqual(['replay-1'])
    expect(hook.receiver.stats).toMatchObject({ applied: 1, duplicates: 2 })
  })

  it('an oversize body is 413, refused by Content-Length before a byte is read, or as soon as a chunked body passes the limit', async () => {
    const hook = await openHook('hook_oversize', { maxBodyBytes: 1024 })
    const declared = await sendUnfinished(hook.url, { ...deliveryHeaders('big-declared'), 'content-length': '1025' })
    const chunked = await sendUnfinished(hook.url, deliveryHeaders('big-chunked'), Buffer.alloc(1025, 0x20))
    for (const answer of [declared, chunked]) {
      expect(answer.status).toBe(413)
      expect(answer.headers.connection).toBe('close')
    }
    expect(declared.body.error).toBe('delivery big-declared (LABEL_UPDATED): the body is longer than maxBodyBytes (1024 bytes)')
    // 1,024 bytes is within the limit: read, then refused for its (made-up) signature.
    const atLimit = await deliver(hook.url, ' '.repeat(1024), { id: 'big-at-limit', signature: `sha1=${'ab'.repeat(20)}` })
    expect(atLimit.status).toBe(401)
    expect(hook.receiver.stats).toMatchObject({ tooLarge: 2, unauthorized: 1, applied: 0 })
  })

  it('bad JSON and schema errors are 400 naming the byte or field path, never quoting the body; an unknown event is 202', async () => {
    const hook = await openHook('hook_invalid')
    const marker = 'BODY-TEXT-MUST-NOT-ECHO'
    const json = await deliver(hook.url, `{"data_row": {"id": "${marker}"}, ]`, { id: 'bad-json' })
    const schema = await deliver(hook.url, { data_row: { id: 42, external_id: marker } }, { id: 'bad-schema' })
    const empty = await deliver(hook.url, '', { id: 'bad-empty' })
    // Inside a union (a segment is a [start, end] pair or an object): the field, not the union's "Invalid input".
    const segments = { f1: [[1, 'two']] }
    const union = await deliver(
      hook.url,
      { data_row: { id: 'dr-union' }, projects: { p1: { labels: [{ id: 'l1', annotations: { segments } }] } } },
      { id: 'bad-union' },
    )
    expect(union.status).toBe(400)
    expect(union.body.error).toBe(
      'delivery bad-union (LABEL_UPDATED): projects.p1.labels[0].annotations.segments.f1[0][1]: Invalid input: expected number, received string',
    )
    expect([json.status, schema.status, empty.status]).toEqual([400, 400, 400])
    expect(json.body.error).toMatch(/^delivery bad-json \(LABEL_UPDATED\): the body is not valid JSON/)
    expect(schema.body.error).toMatch(/^delivery bad-schema \(LABEL_UPDATED\): data_row\.id: /)
    expect(empty.body.error).toBe('delivery bad-empty (LABEL_UPDATED): the body is empty')
    for (const answer of [json, schema]) expect(JSON.stringify(answer)).not.toContain(marker)
    for (const error of hook.errors) expect(`${error.message} ${String(error.cause)}`).not.toContain(marker)

    const unknown = await deliver(hook.url, stateOf(2, 0), { id: 'unknown-1', event: 'MODEL_RUN_CREATED' })
    expect(unknown).toMatchObject({ status: 202, body: { delivery: 'unknown-1', outcome: 'ignored' } })
    expect(hook.receiver.stats).toMatchObject({ invalid: 4, ignored: 1, batches: 0 })
  })

  it('LABEL_DELETED deletes its labels from every label table; an older state is stale; a newer one cannot bring a deleted label back', async () => {
    const index = rows.findIndex((row) => labelIds(row).length >= 2)
    expect(index).toBeGreaterThanOrEqual(0)
    const hook = await openHook('hook_delete')
    const v4 = stateOf(index, 4)
    expect((await deliver(hook.url, v4, { id: 'del-v4' })).body.outcome).toBe('applied')
    const [gone, kept] = labelIds(v4) as [string, string]
    const labelTables = ['labels', 'label_reviews', 'objects', 'classifications'] as const
    expect(await count('hook_delete', 'objects', 'label_id = $1', [gone])).toBeGreaterThan(0)

    // The payload of LABEL_DELETED carries the deleted label.
    const deletion = stateOf(index, 4, 5)
    for (const project of Object.values(deletion.projects ?? {}))
      project.labels = (project.labels ?? []).filter((label) => label.id === gone)
    expect((await deliver(hook.url, deletion, { id: 'del-event', event: 'LABEL_DELETED' })).body.outcome).toBe('deleted')
    for (const table of labelTables) expect(await count('hook_delete', table, 'label_id = $1', [gone])).toBe(0)
    expect(await count('hook_delete', 'labels', 'label_id = $1', [kept])).toBe(1)

    // v3 still has the label, but is older than what is stored (v4): not written.
    expect((await deliver(hook.url, stateOf(index, 3), { id: 'del-v3-late' })).body.outcome).toBe('stale')
    expect(await count('hook_delete', 'labels', 'label_id = $1', [gone])).toBe(0)

    // A newer state that still lists it is written without it (the tombstone), the rest replaced as usual.
    const newer = stateOf(index, 2, 60)
    expect((await deliver(hook.url, newer, { id: 'del-newer' })).body.outcome).toBe('applied')
    const expected = structuredClone(newer)
    for (const project of Object.values(expected.projects ?? {}))
      project.labels = (project.labels ?? []).filter((label) => label.id !== gone)
    await batchLoad('batch_delete', [expected])
    expect(await digests('hook_delete')).toEqual(await digests('batch_delete'))
  })

  it('deliveries of one project each keep their own project, in one batch or out of order across batches', async () => {
    // A data row in two projects; each delivery carries one project's state (one project's event).
    const index = rows.findIndex((row) => Object.values(row.projects ?? {}).some((project) => (project.labels ?? []).length > 0))
    const full = structuredClone(rows[index] as TestRow)
    const [projectA, stateA] = Object.entries(full.projects ?? {}).find(([, project]) => (project.labels ?? []).length > 0) as [
      string,
      TestProject,
    ]
    const projectB = `${projectA}-b`
    const stateB = structuredClone(stateA)
    for (const label of stateB.labels ?? []) label.id = `${label.id}-b`
    full.projects = { [projectA]: stateA, [projectB]: stateB }
    /** The data row at `minutes` with only `project`, its labels updated then and their objects named `tag`. */
    const onlyProject = (project: string, minutes: number, tag: string): TestRow => {
      const state = structuredClone(full)
      const at = new Date(baseMs + minutes * 60_000).toISOString()
      state.data_row.external_id = tag
      state.data_row.details = { ...(state.data_row.details ?? {}), last_activity_at: at }
      const kept = structuredClone(full.projects?.[project] as TestProject)
      for (const label of kept.labels ?? []) {
        label.label_details = { ...(label.label_details as object), updated_at: at }
        for (const object of label.annotations?.objects ?? []) object.name = tag
      }
      state.projects = { [project]: kept }
      return state
    }
    const atTen = onlyProject(projectA, 10, 'both-10')
    atTen.projects = { ...(atTen.projects ?? {}), ...(onlyProject(projectB, 10, 'both-10').projects ?? {}) }
    const a30 = onlyProject(projectA, 30, 'A30')
    const b20 = onlyProject(projectB, 20, 'B20')
    // What should be stored: the data row of the newest delivery (A30), each project from its own newest delivery.
    const expected = structuredClone(a30)
    expected.projects = { ...(a30.projects ?? {}), ...(b20.projects ?? {}) }
    await batchLoad('batch_units', [expected])

    // Across batches, B's older delivery after A's newer one: B is written, the data row stays A's.
    const hook = await openHook('hook_units')
    expect((await deliver(hook.url, atTen, { id: 'units-10' })).body.outcome).toBe('applied')
    expect((await deliver(hook.url, a30, { id: 'units-a30' })).body.outcome).toBe('applied')
    expect((await deliver(hook.url, b20, { id: 'units-b20' })).body.outcome).toBe('applied')
    // A state of B older than the stored B (its labels updated before B20's) writes nothing.
    expect((await deliver(hook.url, onlyProject(projectB, 15, 'B15'), { id: 'units-b15' })).body.outcome).toBe('stale')
    expect(await digests('hook_units')).toEqual(await digests('batch_units'))
    // A late delivery of a project nothing is stored of (no labels, no workflow steps) is news all the same.
    const projectC = `${projectA}-c`
    const c12 = onlyProject(projectA, 12, 'C12')
    c12.projects = { [projectC]: { project_details: { ...stateA.project_details, workflow_history: [] }, labels: [] } }
    expect((await deliver(hook.url, c12, { id: 'units-c12' })).body.outcome).toBe('applied')
    expect(await count('hook_units', 'project_data_rows', 'project_id = $1', [projectC])).toBe(1)
    expect(await count('hook_units', 'data_rows', 'external_id = $1', ['A30'])).toBe(1)

    // In one batch, the same: each delivery is the newest of its own project.
    const together = await openHook('hook_units_batch', { batchWaitMs: 500 })
    expect((await deliver(together.url, atTen, { id: 'units-10' })).body.outcome).toBe('applied')
    const batchesBefore = together.receiver.stats.batches
    const answers = await Promise.all([deliver(together.url, a30, { id: 'units-a30' }), deliver(together.url, b20, { id: 'units-b20' })])
    expect(answers.map((answer) => answer.body.outcome)).toEqual(['applied', 'applied'])
    expect(together.receiver.stats.batches).toBe(batchesBefore + 1)
    expect(await digests('hook_units_batch')).toEqual(await digests('batch_units'))
  })

  it('when the queue is full, 503 + Retry-After before the body is read; queued deliveries commit when the warehouse frees', async () => {
    const hook = await openHook('hook_busy', { queueSize: 1, batchSize: 1, batchWaitMs: 0 })
    await hook.receiver.ready()
    // Hold the worker inside its batch: its first statement reads webhook_deliveries.
    const locker: PgClient = new pg.Client({ connectionString: server.url })
    locker.on('error', () => undefined)
    await locker.connect()
    closers.push(() => locker.end())
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE hook_busy.webhook_deliveries IN ACCESS EXCLUSIVE MODE')

    const first = deliver(hook.url, stateOf(3, 0), { id: 'busy-1' })
    await vi.waitFor(() => expect(hook.receiver.stats.inFlight).toBe(1), { timeout: 10_000 })
    const second = deliver(hook.url, stateOf(4, 0), { id: 'busy-2' })
    await vi.waitFor(() => expect(hook.receiver.stats.queued).toBe(1), { timeout: 10_000 })
    const refused = await sendUnfinished(hook.url, { ...deliveryHeaders('busy-3'), 'content-length': '100000' })
    expect(refused).toMatchObject({ status: 503, headers: { 'retry-after': '1', connection: 'close' } })
    expect(refused.body.error).toBe('the queue is full; retry later')

    await locker.query('COMMIT')
    expect([(await first).body.outcome, (await second).body.outcome]).toEqual(['applied', 'applied'])
    expect(hook.receiver.stats).toMatchObject({ busy: 1, batches: 2 })
  })

  it('unsigned bodies held at once stay within maxUnverifiedBytes: past it 503 + Retry-After, then a signed delivery passes', async () => {
    const hook = await openHook('hook_unverified', { maxBodyBytes: 4000, maxUnverifiedBytes: 10_000 })
    // Two senders without the secret stall mid-body, holding 7,000 bytes; a third would pass the 10,000.
    const stalled = [1, 2].map((n) => {
      const request = httpRequest(hook.url, { method: 'POST', headers: { ...deliveryHeaders(`stall-${n}`), 'content-length': '4000' } })
      request.on('error', () => undefined)
      request.write(Buffer.alloc(3500, 120))
      return request
    })
    await vi.waitFor(() => expect(hook.receiver.stats.queued).toBe(2), { timeout: 10_000 })
    const refused = await sendUnfinished(hook.url, { ...deliveryHeaders('stall-3'), 'content-length': '4000' }, Buffer.alloc(3500, 120))
    expect(refused).toMatchObject({ status: 503, headers: { 'retry-after': '1', connection: 'close' } })
    expect(refused.body.error).toBe(
      'delivery stall-3 (LABEL_UPDATED): the receiver is reading 10000 bytes of unverified bodies (maxUnverifiedBytes); retry later',
    )
    for (const request of stalled) request.destroy()
    await vi.waitFor(() => expect(hook.receiver.stats.queued).toBe(0), { timeout: 10_000 })
    expect((await deliver(hook.url, stateOf(5, 0), { id: 'after-stall' })).body.outcome).toBe('applied')
    expect(hook.errors.map((error) => error.message).filter((message) => message.includes('maxUnverifiedBytes'))).toEqual([])
    expect(() =>
      webhookReceiver({ connectionString: server.url, secret, flatten: flattenDataRows, maxBodyBytes: 100, maxUnverifiedBytes: 99 }),
    ).toThrow('maxUnverifiedBytes: must be at least maxBodyBytes')
  })

  it('close() cuts a body still coming after closeGraceMs, instead of waiting for it forever', async () => {
    const hook = await openHook('hook_grace', { closeGraceMs: 300 })
    await hook.receiver.ready()
    const request = httpRequest(hook.url, { method: 'POST', headers: { ...deliveryHeaders('slow-1'), 'content-length': '1000' } })
    const ended = new Promise<string>((resolve) => {
      request.on('error', (error) => resolve(error.message))
      request.on('response', (response) => resolve(`answered ${response.statusCode}`))
    })
    request.write(Buffer.alloc(10, 120))
    await vi.waitFor(() => expect(hook.receiver.stats.queued).toBe(1), { timeout: 10_000 })
    const started = Date.now()
    await hook.receiver.close()
    expect(Date.now() - started).toBeLessThan(5000)
    expect(await ended).toMatch(/socket hang up|ECONNRESET/)
    expect(await count('hook_grace', 'webhook_deliveries')).toBe(0)
  })

  it('a failed commit is 503 + Retry-After and stores nothing; the retried delivery then commits', async () => {
    const hook = await openHook('hook_fail')
    expect((await deliver(hook.url, stateOf(5, 0), { id: 'fail-setup' })).body.outcome).toBe('applied')
    await withClient(server.url, (client) =>
      client.query(`ALTER TABLE hook_fail.data_rows ADD CONSTRAINT no_boom CHECK (external_id IS DISTINCT FROM 'boom')`),
    )
    const boom = stateOf(6, 0)
    boom.data_row.external_id = 'boom'
    const failed = await deliver(hook.url, boom, { id: 'fail-1', event: 'LABEL_CREATED' })
    expect(failed).toMatchObject({ status: 503, headers: { 'retry-after': '1' } })
    const error = hook.errors.at(-1)
    expect(error).toMatchObject({ code: 'LP_SINK', sqlState: '23514' })
    expect(error?.message).toMatch(/^webhook batch of 1 \(delivery fail-1 \(LABEL_CREATED\)\) not committed, answered 503: /)
    expect(await deliveryIds('hook_fail')).toEqual(['fail-setup'])
    expect(await count('hook_fail', 'data_rows', 'data_row_id = $1', [boom.data_row.id])).toBe(0)

    await withClient(server.url, (client) => client.query('ALTER TABLE hook_fail.data_rows DROP CONSTRAINT no_boom'))
    const retried = await deliver(hook.url, boom, { id: 'fail-1', event: 'LABEL_CREATED' })
    expect(retried.body.outcome).toBe('applied')
    expect(await count('hook_fail', 'data_rows', 'data_row_id = $1', [boom.data_row.id])).toBe(1)
    expect(hook.receiver.stats).toMatchObject({ failed: 1, applied: 2 })
  })

  it('a payload PostgreSQL cannot store is 400, and the deliveries batched with it commit', async () => {
    const hook = await openHook('hook_unstorable', { batchWaitMs: 200 })
    const nul = stateOf(7, 0)
    nul.data_row.external_id = 'a\u0000b'
    const [bad, good] = await Promise.all([deliver(hook.url, nul, { id: 'nul-1' }), deliver(hook.url, stateOf(8, 0), { id: 'nul-2' })])
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatch(/^delivery nul-1 \(LABEL_UPDATED\): cannot be stored: data_rows\.external_id: NUL character/)
    expect(good.body.outcome).toBe('applied')
    expect(await deliveryIds('hook_unstorable')).toEqual(['nul-2'])
    // Refused before the batch's run: no failed run, no second staging.
    expect(Object.values(await loadRuns(server.url, 'hook_unstorable'))).toEqual(['committed'])
  })

  it('close() answers every delivery admitted before it, then refuses with 503', async () => {
    const hook = await openHook('hook_close', { batchWaitMs: 500 })
    const sent = [9, 10, 11].map((index) => deliver(hook.url, stateOf(index, 0), { id: `close-${index}` }))
    await vi.waitFor(() => expect(hook.receiver.stats.queued).toBe(3), { timeout: 10_000 })
    const closing = hook.receiver.close()
    const late = await deliver(hook.url, stateOf(12, 0), { id: 'close-late' })
    expect(late).toMatchObject({ status: 503, body: { error: 'the receiver is shutting down; retry later' } })
    await closing
    expect((await Promise.all(sent)).map((answer) => answer.body.outcome)).toEqual(['applied', 'applied', 'applied'])
  })

  it('1,000 concurrent deliveries (5 states each of 200 data rows) and 100 replays, shuffled: the tables equal a batch load of the final states', async () => {
    const hook = await openHook('hook_race', { batchSize: 100, queueSize: 2000 })
    const deliveries = rows.flatMap((_, index) =>
      [0, 1, 2, 3, 4].map((v) => ({ id: `race-${index}-${v}`, event: events[v] as string, body: JSON.stringify(stateOf(index, v)) })),
    )
    const replays = shuffled(deliveries, 1).slice(0, 100)
    const answers = await Promise.all(
      shuffled([...deliveries, ...replays], 2).map((delivery) =>
        deliver(hook.url, delivery.body, { id: delivery.id, event: delivery.event }),
      ),
    )
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([])
    const outcomes: Record<string, number> = {}
    for (const answer of answers) outcomes[answer.body.outcome as string] = (outcomes[answer.body.outcome as string] ?? 0) + 1
    expect(outcomes.duplicate).toBe(100)
    expect((outcomes.applied ?? 0) + (outcomes.superseded ?? 0) + (outcomes.stale ?? 0)).toBe(1000)
    // Each data row's last state is the newest: it is always written. 1,000 deliveries in batches of at most 100
    // arrive out of order across batches: older states after newer ones (stale) and in one batch (superseded).
    expect(outcomes.applied).toBeGreaterThanOrEqual(200)
    expect(hook.receiver.stats.batches).toBeGreaterThanOrEqual(10)
    expect(outcomes.stale).toBeGreaterThan(0)
    expect(outcomes.superseded).toBeGreaterThan(0)

    await batchLoad(
      'batch_race',
      rows.map((_, index) => stateOf(index, 4)),
    )
    const got = await digests('hook_race')
    expect(got.data_rows).toMatch(/^200 /)
    expect(got).toEqual(await digests('batch_race'))
    expect(await count('hook_race', 'webhook_deliveries')).toBe(1000)
  })
})

/** A Writable that keeps what it is given as text, and tells when a line matches. */
class TextSink extends Writable {
  text = ''
  readonly #waiters: { readonly pattern: RegExp; readonly resolve: (match: RegExpExecArray) => void }[] = []

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8')
    for (const waiter of [...this.#waiters]) {
      const match = waiter.pattern.exec(this.text)
      if (match !== null) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        waiter.resolve(match)
      }
    }
    callback()
  }

  match(pattern: RegExp): Promise<RegExpExecArray> {
    const match = pattern.exec(this.text)
    if (match !== null) return Promise.resolve(match)
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }))
  }
}

describe('labelpipe webhook (runWebhook in-process)', () => {
  const config = (): WebhookConfig => ({
    command: 'webhook',
    to: { kind: 'postgres', connectionString: server.url },
    secretEnv: 'LB_HOOK_SECRET',
    port: 0,
    host: '127.0.0.1',
    path: '/',
    pgSchema: 'hook_cli',
    maxBodyMb: 1,
    queueSize: 100,
    batchSize: 50,
    quiet: false,
    verbose: false,
  })
  const ioWith = (env: Record<string, string>, signal: AbortSignal) => ({
    stdin: Readable.from([]),
    stdout: new TextSink(),
    stderr: new TextSink(),
    env,
    signal,
  })

  it('serves POST / and GET /healthz, prints a line per batch, and stops on the signal after answering', async () => {
    const controller = new AbortController()
    const io = ioWith({ LB_HOOK_SECRET: secret }, controller.signal)
    const run = runWebhook(config(), io)
    const listening = await io.stdout.match(/listening on (http:\/\/127\.0\.0\.1:\d+\/) -> postgres/)
    const url = listening[1] as string
    expect(io.stdout.text).not.toContain(new URL(server.url).password)
    expect((await deliver(url, stateOf(13, 0), { id: 'cli-1', event: 'LABEL_CREATED' })).body.outcome).toBe('applied')
    expect((await fetch(new URL('/healthz', url))).status).toBe(200)
    expect((await fetch(new URL('/elsewhere', url))).status).toBe(404)
    controller.abort('SIGTERM')
    const summary = await run
    expect(summary.stats).toMatchObject({ applied: 1, batches: 1 })
    expect(io.stdout.text).toMatch(/\nwebhook \S+: 1 delivery \(1 applied\), [\d,]+ rows, \d+ ms\n/)
    expect(io.stderr.text).toBe('')
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow()
  })

  it('--quiet with --port 0 still prints where it listens, and nothing per batch', async () => {
    const controller = new AbortController()
    const io = ioWith({ LB_HOOK_SECRET: secret }, controller.signal)
    const run = runWebhook({ ...config(), quiet: true }, io)
    const url = (await io.stdout.match(/listening on (http:\/\/127\.0\.0\.1:\d+\/) -> postgres/))[1] as string
    expect((await deliver(url, stateOf(14, 0), { id: 'cli-quiet-1', event: 'LABEL_CREATED' })).body.outcome).toBe('applied')
    controller.abort('SIGTERM')
    await run
    expect(io.stdout.text.trimEnd().split('\n')).toHaveLength(1)
  })

  it('a missing or empty secret variable is refused, naming it', async () => {
    const io = ioWith({ LB_HOOK_SECRET: '' }, new AbortController().signal)
    await expect(runWebhook(config(), io)).rejects.toMatchObject({
      code: 'LP_INVALID_OPTION',
      message: expect.stringContaining('LB_HOOK_SECRET is not set or is empty'),
    })
  })
})

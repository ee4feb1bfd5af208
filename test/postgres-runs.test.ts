// Issue 6: the Postgres run lifecycle against a real server: connection failures as one-line errors without the
// password, timeouts, option checks, several staging writers composed into one commit, and the dead-run rule
// (a 'running' run whose lock is free is dead: its staging tables are dropped and it is marked failed).

import { createServer, type Server, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Batch, type Located, type TableName, type TableRow, tableColumns, tableNames } from '@labelpipe/core'
import { postgresSink, preparePostgresLoad } from '@labelpipe/sinks/postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  loadRuns,
  type PostgresServer,
  pg,
  stagingTables,
  startPostgresServer,
  tableDigests,
  withClient,
} from './support/postgres-server.js'

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgresServer()
})
afterAll(async () => {
  await server?.stop()
})

const placeholder = { text: '', int: 0, bigint: 0, double: 0, bool: false, timestamptz: 0, json: '{}' } as const

function rowOf(table: TableName, values: Record<string, unknown>): TableRow {
  const row = Object.fromEntries(
    tableColumns(table).map(({ name, type, notNull }) => [name, name in values ? values[name] : notNull ? placeholder[type] : null]),
  )
  return { table, row } as TableRow
}

/** `count` data rows with one label and 3 objects each, as batches of 100 records. */
function batches(count: number, from = 0): Batch<TableRow>[] {
  const out: Batch<TableRow>[] = []
  let batch: Located<TableRow>[] = []
  for (let i = from; i < from + count; i++) {
    const at = { file: 'made.ndjson', line: i + 1, byteOffset: i * 1000 }
    const d = `d${i}`
    for (const value of [
      rowOf('data_rows', { data_row_id: d, last_activity_at: 1_700_000_000_000 + i }),
      rowOf('project_data_rows', { project_id: `p${i % 3}`, data_row_id: d }),
      rowOf('labels', { label_id: `l${i}`, project_id: `p${i % 3}`, data_row_id: d }),
      ...[0, 1, 2].map((f) => rowOf('objects', { label_id: `l${i}`, feature_id: `f${f}`, data_row_id: d, bbox_top: f * 1.5 })),
    ]) {
      batch.push({ value, at })
    }
    if (batch.length >= 100) {
      out.push(batch)
      batch = []
    }
  }
  if (batch.length > 0) out.push(batch)
  return out
}

/** One line, names what failed, and holds no password (any form of it). */
function expectCleanMessage(error: unknown, password: string): void {
  const text = `${(error as Error).message} ${String((error as Error).stack)}`
  expect((error as Error).message).not.toContain('\n')
  expect(text).not.toContain(password)
  expect(JSON.stringify(error)).not.toContain(password)
}

describe('connection failures', () => {
  const password = () => new URL(server.url).password

  it('a wrong password: one line, SQLSTATE 28P01, no password, from postgresSink and preparePostgresLoad', async () => {
    const wrong = 'Wr0ng-S3cret-pa55'
    const url = server.urlWith({ password: wrong })
    const error = await pipeline(Readable.from([]), postgresSink({ connectionString: url, loadId: 'auth-1' })).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'LP_SINK', sqlState: '28P01', name: 'PostgresSinkError' })
    expect((error as Error).message).toMatch(
      /^connect: authentication failed at postgres postgres@127\.0\.0\.1:\d+\/postgres: password authentication failed/,
    )
    expectCleanMessage(error, wrong)
    const direct = await preparePostgresLoad({ connectionString: url, loadId: 'auth-2' }).catch((e: unknown) => e)
    expect(direct).toMatchObject({ code: 'LP_SINK', sqlState: '28P01' })
    expectCleanMessage(direct, wrong)
  })

  it('a missing database: one line, SQLSTATE 3D000, no password', async () => {
    const error = await preparePostgresLoad({ connectionString: server.urlWith({ database: 'no_such_db' }), loadId: 'db-1' }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'LP_SINK', sqlState: '3D000' })
    expect((error as Error).message).toContain('database "no_such_db" does not exist')
    expectCleanMessage(error, password())
  })

  it('nothing listening, and a server that never answers (connectTimeoutMs): one line, no password', async () => {
    const silent = await listen(createServer(() => undefined))
    const { port } = silent.address() as { port: number }
    const quietUrl = `postgresql://postgres:${password()}@127.0.0.1:${port}/postgres`
    const timedOut = await preparePostgresLoad({ connectionString: quietUrl, loadId: 't-1', connectTimeoutMs: 300 }).catch(
      (e: unknown) => e,
    )
    expect(timedOut).toMatchObject({ code: 'LP_SINK' })
    expect((timedOut as Error).message).toContain('no answer within connectTimeoutMs (300 ms)')
    expectCleanMessage(timedOut, password())
    await closeServer(silent)

    const refused = await preparePostgresLoad({ connectionString: quietUrl, loadId: 'r-1' }).catch((e: unknown) => e)
    expect((refused as Error).message).toMatch(
      /^connect: cannot connect to postgres postgres@127\.0\.0\.1:\d+\/postgres: connection refused/,
    )
    expectCleanMessage(refused, password())
  })

  it('the connection lost mid-load (backend terminated): a one-line error, the run rolled back by the next', async () => {
    const schema = 'lost'
    const sink = postgresSink({ connectionString: server.url, schema, loadId: 'lost-1' })
    let terminated: Promise<unknown> | undefined
    const source = Readable.from(
      (function* () {
        yield* batches(2000)
        // Both of the run's sessions are terminated while the source still has rows to give.
        terminated = withClient(server.url, (client) =>
          client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'labelpipe lost-1%'`),
        )
        yield* batches(2000, 2000)
      })(),
    )
    const error = await pipeline(source, sink).catch((e: unknown) => e)
    await terminated
    expect(error).toMatchObject({ code: 'LP_SINK' })
    expect((error as Error).message).toMatch(/connection to postgres postgres@127\.0\.0\.1:\d+\/postgres lost|terminat/)
    expectCleanMessage(error, password())
    await pipeline(Readable.from(batches(10)), postgresSink({ connectionString: server.url, schema, loadId: 'lost-2' }))
    expect(await loadRuns(server.url, schema)).toEqual({ 'lost-1': 'failed', 'lost-2': 'committed' })
    expect(await stagingTables(server.url, schema)).toEqual([])
  })

  it('a COPY that fails with others queued behind it fails the load with its own error, and nothing is committed', async () => {
    const schema = 'queued'
    await pipeline(Readable.from(batches(10)), postgresSink({ connectionString: server.url, schema, loadId: 'queued-0' }))
    const before = await tableDigests(server.url, schema, tableNames)
    let dropped: Promise<unknown> | undefined
    const source = Readable.from(
      (function* () {
        yield* batches(3000)
        // The objects staging table vanishes while COPY chunks of it are still to come.
        dropped = withClient(server.url, async (client) => {
          const found = await client.query<{ name: string }>(
            `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '%queued-1_objects'`,
            [schema],
          )
          await client.query(`DROP TABLE ${found.rows[0]?.name}`)
        })
        yield* batches(6000, 3000)
      })(),
    )
    const error = await pipeline(source, postgresSink({ connectionString: server.url, schema, loadId: 'queued-1' })).catch(
      (e: unknown) => e,
    )
    await dropped
    expect(error).toMatchObject({ code: 'LP_SINK', sqlState: '42P01' })
    expect((error as Error).message).toMatch(/^COPY into the staging table of objects: .*does not exist/)
    expect(await tableDigests(server.url, schema, tableNames)).toEqual(before)
    expect((await loadRuns(server.url, schema))['queued-1']).toBe('failed')
    expect(await stagingTables(server.url, schema)).toEqual([])
  })

  it('statementTimeoutMs cancels a commit stuck behind a lock: SQLSTATE 57014, tables unchanged, run failed', async () => {
    const schema = 'timeouts'
    await pipeline(Readable.from(batches(50)), postgresSink({ connectionString: server.url, schema, loadId: 'to-1' }))
    const before = await tableDigests(server.url, schema, tableNames)
    const blocker = new pg.Client({ connectionString: server.url })
    await blocker.connect()
    await blocker.query(`BEGIN; LOCK TABLE ${schema}.objects IN ACCESS EXCLUSIVE MODE`)
    const error = await pipeline(
      Readable.from(batches(50)),
      postgresSink({ connectionString: server.url, schema, loadId: 'to-2', statementTimeoutMs: 300 }),
    ).catch((e: unknown) => e)
    await blocker.query('ROLLBACK')
    await blocker.end()
    expect(error).toMatchObject({ code: 'LP_SINK', sqlState: '57014' })
    expect((error as Error).message).toContain('statement timeout')
    expect(await tableDigests(server.url, schema, tableNames)).toEqual(before)
    expect((await loadRuns(server.url, schema))['to-2']).toBe('failed')
  })
})

describe('options', () => {
  it.each([
    [{ loadId: 'x' }, 'invalid option connectionString: exactly one of connectionString and pool is required'],
    [
      { loadId: 'x', connectionString: 'mysql://u:Secret123@h/db' },
      'invalid option connectionString: must be a postgres:// or postgresql:// URL',
    ],
    [
      { loadId: 'x', connectionString: 'postgres://h/db', schema: 'Robert"; DROP' },
      'invalid option schema: must be a lowercase identifier',
    ],
    [{ loadId: 'x', connectionString: 'postgres://h/db', schema: 'pg_catalog' }, 'invalid option schema'],
    [
      { loadId: 'x', connectionString: 'postgres://h/db', mode: 'upsert' },
      "invalid option mode: must be one of 'merge', 'append', 'replace'",
    ],
    [{ loadId: 'a b', connectionString: 'postgres://h/db' }, 'invalid option loadId'],
    [{ loadId: 'x', connectionString: 'postgres://h/db', statementTimeoutMs: -1 }, 'invalid option statementTimeoutMs'],
    [{ loadId: 'x', connectionString: 'postgres://h/db', table: 'labels' }, 'invalid option table: is not an option of this sink'],
  ])('rejects %j before connecting (LP_INVALID_OPTION)', (options, message) => {
    const create = () => postgresSink(options as Parameters<typeof postgresSink>[0])
    expect(create).toThrow(expect.objectContaining({ code: 'LP_INVALID_OPTION' }))
    expect(create).toThrow(message)
    expect(() => create()).not.toThrow('Secret123')
  })
})

describe('several staging writers, one commit', () => {
  it('two writers on a pool stage into the same run; the commit equals a one-writer load', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 4 })
    const load = await preparePostgresLoad({ pool, schema: 'workers', loadId: 'workers-1' })
    const all = batches(1000)
    const writers = [load.stagingSink(0), load.stagingSink(1)]
    await Promise.all([
      pipeline(Readable.from(all.filter((_, i) => i % 2 === 0)), writers[0] as NonNullable<(typeof writers)[0]>),
      pipeline(Readable.from(all.filter((_, i) => i % 2 === 1)), writers[1] as NonNullable<(typeof writers)[1]>),
    ])
    expect(await loadRuns(server.url, 'workers')).toEqual({ 'workers-1': 'running' })
    expect(await tableDigests(server.url, 'workers', ['objects'])).toEqual({ objects: '0 -' })
    const result = await load.commit({ source: 'v2', input: 'made.ndjson', inputBytes: 1_000_000, deadLetters: 0, startedAt: new Date(0) })
    expect(result.rows).toMatchObject({ data_rows: 1000, labels: 1000, objects: 3000, frame_objects: 0 })
    await pipeline(Readable.from(all), postgresSink({ connectionString: server.url, schema: 'one_writer', loadId: 'workers-1' }))
    expect(await tableDigests(server.url, 'workers', tableNames)).toEqual(await tableDigests(server.url, 'one_writer', tableNames))
    expect(pool.totalCount).toBeGreaterThan(0)
    await pool.end()

    const [run] = await withClient(server.url, async (client) => (await client.query(`SELECT * FROM workers.load_runs`)).rows)
    expect(run).toMatchObject({ status: 'committed', source: 'v2', input: 'made.ndjson', input_bytes: '1000000', dead_letters: 0 })
    expect(run?.started_at).toEqual(new Date(0))
    expect(run?.cursor_to).toEqual(new Date(1_700_000_000_999))
    const state = await withClient(
      server.url,
      async (client) => (await client.query(`SELECT * FROM workers.load_state ORDER BY project_id`)).rows,
    )
    expect(state.map((row) => [row.pipeline, row.project_id, row.cursor_name, (row.cursor_value as Date).getTime()])).toEqual([
      ['default', 'p0', 'last_activity_at', 1_700_000_000_999],
      ['default', 'p1', 'last_activity_at', 1_700_000_000_997],
      ['default', 'p2', 'last_activity_at', 1_700_000_000_998],
    ])
  })
})

describe('dead runs', () => {
  it("a live run's staging survives another run's sweep; once its session dies, the next run drops it and marks it failed", async () => {
    const schema = 'sweep'
    const live = await preparePostgresLoad({ connectionString: server.url, schema, loadId: 'live-run' })
    await pipeline(Readable.from(batches(20)), live.stagingSink(0))
    const ownTables = await stagingTables(server.url, schema)
    expect(ownTables).toHaveLength(13)
    await withClient(server.url, (client) => client.query(`CREATE TABLE ${schema}._lp_stage_orphan_labels (x int)`))

    await pipeline(Readable.from(batches(5)), postgresSink({ connectionString: server.url, schema, loadId: 'other-run' }))
    expect(await stagingTables(server.url, schema)).toEqual(ownTables)
    expect(await loadRuns(server.url, schema)).toEqual({ 'live-run': 'running', 'other-run': 'committed' })

    // The coordinator dies as under kill -9: its backend goes away without a rollback.
    await withClient(server.url, (client) =>
      client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'labelpipe live-run'`),
    )
    await pipeline(Readable.from(batches(5)), postgresSink({ connectionString: server.url, schema, loadId: 'next-run' }))
    expect(await stagingTables(server.url, schema)).toEqual([])
    expect(await loadRuns(server.url, schema)).toEqual({ 'live-run': 'failed', 'next-run': 'committed', 'other-run': 'committed' })
    await live.rollback()

    // A failed load id may run again; a committed one is refused.
    await pipeline(Readable.from(batches(5)), postgresSink({ connectionString: server.url, schema, loadId: 'live-run' }))
    const again = await pipeline(Readable.from([]), postgresSink({ connectionString: server.url, schema, loadId: 'next-run' })).catch(
      (e: unknown) => e,
    )
    expect(again).toMatchObject({ code: 'LP_SINK', message: 'load next-run is already committed (sweep.load_runs); use a new load id' })
  })
})

function listen(socketServer: Server): Promise<Server> {
  const sockets = new Set<Socket>()
  socketServer.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  socketServer.on('close', () => {
    for (const socket of sockets) socket.destroy()
  })
  return new Promise((resolve) => socketServer.listen(0, '127.0.0.1', () => resolve(socketServer)))
}

function closeServer(socketServer: Server): Promise<void> {
  socketServer.emit('close')
  return new Promise((resolve) => socketServer.close(() => resolve()))
}

// Issue 6: the Postgres sink against a real server (test/support/postgres-server.ts). Every fixture loads and
// reads back equal to the NDJSON sink's output; values round-trip exactly; re-runs change nothing; append and
// replace do what they say; a failed run leaves the tables as they were and shows 'failed' in load_runs.

import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { writeV2Export } from '@labelpipe/benchmarks'
import {
  type Batch,
  fanOutSink,
  type Located,
  primaryKeys,
  type RecordStage,
  runPipeline,
  runStage,
  type TableName,
  type TableRow,
  tableColumns,
  tableNames,
} from '@labelpipe/core'
import { ndjsonSink } from '@labelpipe/sinks/ndjson'
import { type PostgresSinkOptions, postgresSink } from '@labelpipe/sinks/postgres'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readNdjson } from './support/files.js'
import { loadRuns, type PostgresServer, stagingTables, startPostgresServer, tableDigests, withClient } from './support/postgres-server.js'

const fixtures = new URL('./fixtures/v2/', import.meta.url)
let server: PostgresServer
let dir: string

beforeAll(async () => {
  server = await startPostgresServer()
  dir = await mkdtemp(join(tmpdir(), 'lp-postgres-'))
})
afterAll(async () => {
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

const sinkOptions = (schema: string, loadId: string, more: Partial<PostgresSinkOptions> = {}): PostgresSinkOptions => ({
  connectionString: server.url,
  schema,
  loadId,
  ...more,
})

/** readV2Export -> flattenDataRows -> sink, as the CLI runs it. */
async function loadFile(file: string, loadId: string, sink: ReturnType<typeof postgresSink> | ReturnType<typeof fanOutSink>) {
  await runPipeline({
    source: readV2Export(file),
    transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
    sink,
  })
}

async function fixtureFiles(): Promise<string[]> {
  return (await readdir(fixtures)).filter((name) => name.endsWith('.ndjson')).sort()
}

/** A table's rows as the NDJSON sink writes them (timestamps ISO-8601, json as its parsed value), in key order. */
async function postgresRows(schema: string, table: TableName): Promise<Record<string, unknown>[]> {
  const columns = tableColumns(table)
  const keys = (primaryKeys[table] as readonly string[]).map((key) => `"${key}"`).join(', ')
  const { rows } = await withClient(server.url, (client) => client.query(`SELECT * FROM "${schema}"."${table}" ORDER BY ${keys}`))
  return rows.map((row) =>
    Object.fromEntries(
      columns.map(({ name, type }) => {
        const value = row[name]
        return [name, value instanceof Date ? value.toISOString() : type === 'json' && value !== null ? value : value]
      }),
    ),
  )
}

/** NDJSON rows with json columns parsed, the last row of each primary key kept (the sink's rule), in key order. */
function expectedRows(table: TableName, lines: Record<string, unknown>[]): Record<string, unknown>[] {
  const json = tableColumns(table).filter((column) => column.type === 'json')
  const keys = primaryKeys[table] as readonly string[]
  const byKey = new Map<string, Record<string, unknown>>()
  for (const line of lines) {
    for (const { name } of json) if (typeof line[name] === 'string') line[name] = JSON.parse(line[name] as string)
    byKey.set(JSON.stringify(keys.map((key) => line[key])), line)
  }
  const compare = (a: unknown, b: unknown) =>
    a === b ? 0 : typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1
  return [...byKey.values()].sort((a, b) => {
    for (const key of keys) {
      const order = compare(a[key], b[key])
      if (order !== 0) return order
    }
    return 0
  })
}

describe('fixtures', () => {
  it('every v2 fixture reads back from Postgres equal to the NDJSON sink, table by table', async () => {
    const files = await fixtureFiles()
    expect(files.length).toBeGreaterThan(5)
    for (const [i, name] of files.entries()) {
      const schema = `fixture_${i}`
      const loadId = `fixture-${i}`
      const ndjsonDir = join(dir, 'ndjson', name)
      const sink = postgresSink(sinkOptions(schema, loadId))
      await loadFile(join(fixtures.pathname, name), loadId, fanOutSink([ndjsonSink({ dir: ndjsonDir, loadId }), sink]))
      let total = 0
      for (const table of tableNames) {
        const file = join(ndjsonDir, table, `part-${loadId}-00000.ndjson`)
        const lines = sink.rowCounts[table] > 0 ? await readNdjson(file) : []
        expect(lines).toHaveLength(sink.rowCounts[table])
        const rows = await postgresRows(schema, table)
        expect(rows, `${name} ${table}`).toEqual(expectedRows(table, lines))
        expect(sink.loadRun?.rows[table]).toBe(rows.length)
        total += rows.length
      }
      expect(total, name).toBeGreaterThan(0)
      expect(await loadRuns(server.url, schema)).toEqual({ [loadId]: 'committed' })
      expect(await stagingTables(server.url, schema)).toEqual([])
    }
  })
})

// ---- Rows made by hand: every column present, NOT NULL ones given a value. ----

const placeholder = { text: '', int: 0, bigint: 0, double: 0, bool: false, timestamptz: 0, json: '{}' } as const

function rowOf(table: TableName, values: Record<string, unknown>): TableRow {
  const row = Object.fromEntries(
    tableColumns(table).map(({ name, type, notNull }) => [name, name in values ? values[name] : notNull ? placeholder[type] : null]),
  )
  return { table, row } as TableRow
}

const at = (byteOffset = 0, line = 1) => ({ file: 'made.ndjson', line, byteOffset })

function located(rows: readonly TableRow[], offset = (i: number) => i * 10): Batch<TableRow> {
  return rows.map((value, i): Located<TableRow> => ({ value, at: at(offset(i), i + 1) }))
}

async function loadRows(schema: string, loadId: string, batches: readonly Batch<TableRow>[], more: Partial<PostgresSinkOptions> = {}) {
  const sink = postgresSink(sinkOptions(schema, loadId, more))
  await pipeline(Readable.from(batches), sink)
  return sink
}

async function one<R>(sql: string, values?: unknown[]): Promise<R[]> {
  return (await withClient(server.url, (client) => client.query<R>(sql, values))).rows
}

/** Schema created (by a first load) and the digests of all 13 tables. */
const digests = (schema: string) => tableDigests(server.url, schema, tableNames)

/**
 * Each target table's primary key: as the server describes it (`<name> PRIMARY KEY (<columns>)`), or its
 * constraint's oid (a key dropped and added again gets a new one).
 */
async function primaryKeyFacts(schema: string, fact: 'definition' | 'oid'): Promise<Record<string, string>> {
  const value = fact === 'definition' ? `k.conname || ' ' || pg_get_constraintdef(k.oid)` : 'k.oid::text'
  const keys = await one<{ table: string; value: string }>(
    `SELECT c.relname AS table, ${value} AS value
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND k.contype = 'p' AND c.relname = ANY($2)`,
    [schema, [...tableNames]],
  )
  return Object.fromEntries(keys.map(({ table, value }) => [table, value]))
}

const primaryKeysOf = (schema: string) => primaryKeyFacts(schema, 'definition')
const keyOids = (schema: string) => primaryKeyFacts(schema, 'oid')

function expectedPrimaryKeys(): Record<string, string> {
  return Object.fromEntries(tableNames.map((table) => [table, `${table}_pkey PRIMARY KEY (${primaryKeys[table].join(', ')})`]))
}

describe('values', () => {
  const tricky = [
    'tab\there',
    'new\nline',
    'cr\rlf\r\n',
    'back\\slash \\N \\. \\t',
    '\\',
    'quotes " \' `',
    'emoji 🚗🙂 and 👩‍👩‍👧',
    'right-to-left: שלום עולם مرحبا',
    'combining é, Å, \u2028 and \u00a0',
    '\\N',
    '',
  ]

  it('text and json with tab, newline, CR, backslash, quotes, emoji and RTL text round-trip byte-exact', async () => {
    const rows = tricky.map((text, i) =>
      rowOf('data_rows', {
        data_row_id: `dr-${i}`,
        external_id: text,
        row_data: `${text}|${i}`,
        media_attributes: JSON.stringify({ text, i }),
      }),
    )
    rows.push(rowOf('data_rows', { data_row_id: 'pair', media_attributes: '{"escaped pair":"\\ud83d\\ude97","nl":"a\\nb"}' }))
    await loadRows('escaping', 'escaping-1', [located(rows)])
    const read = await one<{ data_row_id: string; external_id: string | null; row_data: string; media_attributes: unknown }>(
      'SELECT data_row_id, external_id, row_data, media_attributes FROM escaping.data_rows',
    )
    for (const [i, text] of tricky.entries()) {
      const row = read.find((r) => r.data_row_id === `dr-${i}`)
      expect(row?.external_id).toBe(text)
      expect(row?.row_data).toBe(`${text}|${i}`)
      expect(row?.media_attributes).toEqual({ text, i })
    }
    expect(read.find((r) => r.data_row_id === 'pair')?.media_attributes).toEqual({ 'escaped pair': '🚗', nl: 'a\nb' })
    const bytes = await one<{ n: number }>(`SELECT octet_length(external_id) AS n FROM escaping.data_rows WHERE data_row_id = 'dr-6'`)
    expect(bytes[0]?.n).toBe(Buffer.byteLength(tricky[6] as string))
  })

  it('rows across 1 MiB COPY chunks, and values bigger than a chunk, multi-byte, arrive whole and in count', async () => {
    // ~7 KB rows fill several chunks with a partial row at every boundary; a 3 MiB value and a 1.5 MiB one of
    // 3-byte characters are each larger than a chunk, so their buffer grows, between rows that do not.
    const filler = (i: number) => rowOf('data_rows', { data_row_id: `f-${i}`, external_id: `${i}:${'é漢'.repeat(2400)}` })
    const rows = [
      ...Array.from({ length: 400 }, (_, i) => filler(i)),
      rowOf('data_rows', { data_row_id: 'big-ascii', external_id: 'a\tb'.repeat(1024 * 1024) }),
      ...Array.from({ length: 3 }, (_, i) => filler(400 + i)),
      rowOf('data_rows', { data_row_id: 'big-cjk', external_id: '漢'.repeat(512 * 1024) }),
      ...Array.from({ length: 200 }, (_, i) => filler(403 + i)),
    ]
    await loadRows('chunks', 'chunks-1', [located(rows.slice(0, 300)), located(rows.slice(300))])
    const [summary] = await one<{ n: number; bytes: string }>(
      'SELECT count(*)::int AS n, sum(octet_length(external_id))::text AS bytes FROM chunks.data_rows',
    )
    const expected = rows.reduce((sum, { row }) => sum + Buffer.byteLength((row as { external_id: string }).external_id), 0)
    expect(summary).toEqual({ n: rows.length, bytes: String(expected) })
    const big = await one<{ data_row_id: string; external_id: string }>(
      `SELECT data_row_id, external_id FROM chunks.data_rows WHERE data_row_id IN ('big-ascii', 'big-cjk', 'f-401') ORDER BY 1`,
    )
    expect(big.map((row) => row.data_row_id)).toEqual(['big-ascii', 'big-cjk', 'f-401'])
    expect(big[0]?.external_id === 'a\tb'.repeat(1024 * 1024)).toBe(true)
    expect(big[1]?.external_id === '漢'.repeat(512 * 1024)).toBe(true)
    expect(big[2]?.external_id).toBe(`401:${'é漢'.repeat(2400)}`)
  })

  it('timestamps (BC, far future, before 1970), doubles, ints, booleans and NULLs round-trip', async () => {
    const times = [
      0,
      -1,
      1_700_000_000_123,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      8.64e15,
      Date.UTC(0, 0, 1),
      Date.UTC(-4000, 5, 6, 7, 8, 9, 10),
    ]
    const rows = times.map((ms, i) =>
      rowOf('labels', {
        label_id: `l-${i}`,
        data_row_id: 'd',
        created_at: ms,
        seconds_to_create: [0.1, -0, 1e300, 5e-324, 123.456, -2.5, 1 / 3][i],
        skipped: i % 2 === 0,
        consensus_score: null,
      }),
    )
    rows.push(rowOf('objects', { label_id: 'l-0', feature_id: 'f', data_row_id: 'd', first_frame: 2147483647, last_frame: -2147483648 }))
    await loadRows('values', 'values-1', [located(rows)])
    const read = await one<{ label_id: string; ms: string; seconds: number; skipped: boolean; score: null }>(
      `SELECT label_id, (extract(epoch FROM created_at) * 1000)::bigint::text AS ms, seconds_to_create AS seconds, skipped,
        consensus_score AS score FROM values.labels ORDER BY label_id`,
    )
    expect(read.map((row) => Number(row.ms))).toEqual(times)
    expect(read.map((row) => row.seconds)).toEqual([0.1, 0, 1e300, 5e-324, 123.456, -2.5, 1 / 3])
    expect(read.map((row) => row.skipped)).toEqual(times.map((_, i) => i % 2 === 0))
    expect(read.every((row) => row.score === null)).toBe(true)
    expect(await one('SELECT first_frame, last_frame FROM values.objects')).toEqual([{ first_frame: 2147483647, last_frame: -2147483648 }])
  })

  it.each([
    ['a NUL in text', rowOf('data_rows', { data_row_id: 'bad', external_id: 'a\u0000b' }), 'data_rows.external_id: NUL character'],
    ['\\u0000 in JSON text', rowOf('data_rows', { data_row_id: 'bad', media_attributes: '{"a":"x\\u0000"}' }), 'escape \\u0000'],
    ['an unpaired surrogate escape', rowOf('data_rows', { data_row_id: 'bad', media_attributes: '"\\ud800x"' }), 'unpaired UTF-16'],
    [
      'a lone surrogate in text',
      rowOf('data_rows', { data_row_id: 'bad', external_id: 'x\udc00' }),
      'a lone UTF-16 surrogate at character 1',
    ],
    ['a timestamp before 4714 BC', rowOf('labels', { label_id: 'bad', data_row_id: 'd', created_at: -8.64e15 }), 'before 4714-11-24 BC'],
  ])('%s fails the run with a SinkError naming row and column; nothing is sent, the tables are unchanged', async (_name, bad, message) => {
    const schema = 'rejects'
    await loadRows(schema, `rejects-ok-${bad.table}-${message.length}`, [located([rowOf('data_rows', { data_row_id: 'kept' })])])
    const before = await digests(schema)
    const loadId = `rejects-${message.length}`
    const good = Array.from({ length: 5000 }, (_, i) => rowOf('data_rows', { data_row_id: `g-${i}`, external_id: 'x'.repeat(300) }))
    const run = loadRows(schema, loadId, [located(good), [{ value: bad, at: at(777, 42) }]])
    await expect(run).rejects.toMatchObject({ code: 'LP_SINK', file: 'made.ndjson', line: 42, byteOffset: 777 })
    await expect(run).rejects.toThrow(message)
    expect(await digests(schema)).toEqual(before)
    expect((await loadRuns(server.url, schema))[loadId]).toBe('failed')
    expect(await stagingTables(server.url, schema)).toEqual([])
  })
})

describe('idempotence and modes', () => {
  const video = () => join(fixtures.pathname, 'video.ndjson')
  const image = () => join(fixtures.pathname, 'image.ndjson')

  it('loading the same input 3 times leaves every table identical (md5 of sorted rows)', async () => {
    const seen: Record<string, string>[] = []
    for (const n of [1, 2, 3]) {
      await loadFile(video(), `rerun-${n}`, postgresSink(sinkOptions('rerun', `rerun-${n}`)))
      await loadFile(image(), `rerun-image-${n}`, postgresSink(sinkOptions('rerun', `rerun-image-${n}`)))
      seen.push(await digests('rerun'))
    }
    expect(seen[1]).toEqual(seen[0])
    expect(seen[2]).toEqual(seen[0])
    expect(Object.values(seen[0] ?? {}).filter((digest) => !digest.startsWith('0 ')).length).toBeGreaterThan(8)
    const runs = await loadRuns(server.url, 'rerun')
    expect(Object.values(runs)).toEqual(Array(6).fill('committed'))
    const [recorded] = await one<{ rows: Record<string, number>; labelpipe_version: string }>(
      `SELECT rows, labelpipe_version FROM rerun.load_runs WHERE load_id = 'rerun-3'`,
    )
    expect(recorded?.rows.frame_objects).toBeGreaterThan(0)
    expect(recorded?.labelpipe_version).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('merge replaces a (project, data row) unit whole: a label deleted upstream disappears, other units stay', async () => {
    const schema = 'units'
    const unit = (project: string, dataRow: string, labels: string[], note: string) => [
      rowOf('data_rows', { data_row_id: dataRow, external_id: note }),
      rowOf('project_data_rows', { project_id: project, data_row_id: dataRow }),
      ...labels.flatMap((label) => [
        rowOf('labels', { label_id: label, project_id: project, data_row_id: dataRow }),
        rowOf('objects', { label_id: label, feature_id: `${label}-f`, data_row_id: dataRow, name: note }),
      ]),
    ]
    // The rows of one line share its offset (flattenDataRows locates every row at its record): d1 is one line
    // with two projects, d2 another.
    await loadRows(schema, 'units-1', [
      [
        ...located([...unit('p1', 'd1', ['a', 'b'], 'v1'), ...unit('p2', 'd1', ['c'], 'v1')], () => 0),
        ...located(unit('p1', 'd2', ['d'], 'v1'), () => 100),
      ],
    ])
    await loadRows(schema, 'units-2', [located(unit('p1', 'd1', ['b'], 'v2'))])
    expect(await one(`SELECT label_id, project_id, data_row_id FROM ${schema}.labels ORDER BY 1`)).toEqual([
      { label_id: 'b', project_id: 'p1', data_row_id: 'd1' },
      { label_id: 'c', project_id: 'p2', data_row_id: 'd1' },
      { label_id: 'd', project_id: 'p1', data_row_id: 'd2' },
    ])
    expect(await one(`SELECT label_id, name FROM ${schema}.objects ORDER BY 1`)).toEqual([
      { label_id: 'b', name: 'v2' },
      { label_id: 'c', name: 'v1' },
      { label_id: 'd', name: 'v1' },
    ])
    expect(await one(`SELECT data_row_id, external_id FROM ${schema}.data_rows ORDER BY 1`)).toEqual([
      { data_row_id: 'd1', external_id: 'v2' },
      { data_row_id: 'd2', external_id: 'v1' },
    ])
  })

  it('merge into tables some of which are empty: the empty ones take the run as is, the others still replace units', async () => {
    const schema = 'partial'
    const unit = (dataRow: string, label: string, note: string) => [
      rowOf('data_rows', { data_row_id: dataRow, external_id: note }),
      rowOf('project_data_rows', { project_id: 'p1', data_row_id: dataRow }),
      rowOf('labels', { label_id: label, project_id: 'p1', data_row_id: dataRow }),
      rowOf('objects', { label_id: label, feature_id: `${label}-f`, data_row_id: dataRow, name: note }),
    ]
    await loadRows(schema, 'partial-1', [located([...unit('d1', 'a', 'v1'), ...unit('d2', 'b', 'v1')])])
    // objects and project_data_rows emptied behind labelpipe's back; labels and data_rows still hold d1's old rows.
    await one(`DELETE FROM ${schema}.objects`)
    await one(`DELETE FROM ${schema}.project_data_rows`)
    await loadRows(schema, 'partial-2', [located(unit('d1', 'c', 'v2'))])
    expect(await one(`SELECT label_id, data_row_id FROM ${schema}.labels ORDER BY 1`)).toEqual([
      { label_id: 'b', data_row_id: 'd2' },
      { label_id: 'c', data_row_id: 'd1' },
    ])
    expect(await one(`SELECT label_id, name FROM ${schema}.objects ORDER BY 1`)).toEqual([{ label_id: 'c', name: 'v2' }])
    expect(await one(`SELECT data_row_id FROM ${schema}.project_data_rows ORDER BY 1`)).toEqual([{ data_row_id: 'd1' }])
    expect(await one(`SELECT data_row_id, external_id FROM ${schema}.data_rows ORDER BY 1`)).toEqual([
      { data_row_id: 'd1', external_id: 'v2' },
      { data_row_id: 'd2', external_id: 'v1' },
    ])
  })

  it('duplicate primary keys within a run: the row last in the input wins (byte offset, then arrival)', async () => {
    const rows = [
      rowOf('labels', { label_id: 'x', data_row_id: 'd', version: 'first' }),
      rowOf('labels', { label_id: 'y', data_row_id: 'd', version: 'later line' }),
      rowOf('labels', { label_id: 'x', data_row_id: 'd', version: 'second, same line' }),
      rowOf('labels', { label_id: 'y', data_row_id: 'd', version: 'earlier line, arrives last' }),
    ]
    const offsets = [100, 900, 100, 500]
    const sink = await loadRows('dupes', 'dupes-1', [located(rows, (i) => offsets[i] as number)])
    expect(await one('SELECT label_id, version FROM dupes.labels ORDER BY 1')).toEqual([
      { label_id: 'x', version: 'second, same line' },
      { label_id: 'y', version: 'later line' },
    ])
    expect(sink.rowCounts.labels).toBe(4)
    expect(sink.loadRun?.rows.labels).toBe(2)
  })

  // insertUnindexed (commit-transaction.ts): an empty target given >= 10,000 staged rows is filled with its primary
  // key dropped, then the key is added again: a new constraint (new oid), same name and definition. Below that, or
  // where the key cannot or must not be dropped, the rows go in through the key (same oid).
  describe('empty targets filled without their key', () => {
    let big: string
    let frameRows: number
    beforeAll(async () => {
      big = join(dir, 'video-30.ndjson')
      frameRows = (await writeV2Export(big, { media: 'video', dataRows: 30, seed: 3 })).tables.frame_objects
    })

    /** Empty tables, created by a run of no rows, and the oid of each one's primary key. */
    async function emptyTables(schema: string): Promise<Record<string, string>> {
      await loadRows(schema, `${schema}-0`, [located([])])
      return keyOids(schema)
    }

    it('>= 10,000 staged rows: the key is added again (same name and definition); smaller tables keep theirs; a rerun merges through them', async () => {
      expect(frameRows).toBeGreaterThanOrEqual(10_000)
      const before = await emptyTables('big')
      await loadFile(big, 'big-1', postgresSink(sinkOptions('big', 'big-1')))
      const after = await keyOids('big')
      expect(after.frame_objects).not.toBe(before.frame_objects)
      expect({ ...after, frame_objects: '' }).toEqual({ ...before, frame_objects: '' })
      expect(await primaryKeysOf('big')).toEqual(expectedPrimaryKeys())
      expect(await one('SELECT count(*)::int AS n FROM big.frame_objects')).toEqual([{ n: frameRows }])
      const first = await digests('big')
      await loadFile(big, 'big-2', postgresSink(sinkOptions('big', 'big-2')))
      expect(await digests('big')).toEqual(first)
      expect(await keyOids('big')).toEqual(after)
      await expect(one('INSERT INTO big.frame_objects SELECT * FROM big.frame_objects LIMIT 1')).rejects.toMatchObject({ code: '23505' })
    })

    it('duplicate keys among >= 10,000 staged rows: the key fails to build, the rows go again, last wins', async () => {
      const before = await emptyTables('big_dupes')
      const labels = Array.from({ length: 10_000 }, (_, i) => rowOf('labels', { label_id: `l${i}`, data_row_id: 'd', version: 'only' }))
      const dupes = [
        rowOf('labels', { label_id: 'l7', data_row_id: 'd', version: 'later' }),
        rowOf('labels', { label_id: 'l9', data_row_id: 'd', version: 'later' }),
      ]
      const sink = await loadRows('big_dupes', 'big-dupes-1', [located(labels), located(dupes, (i) => 1_000_000 + i)])
      expect((await keyOids('big_dupes')).labels).not.toBe(before.labels)
      expect(await one(`SELECT count(*)::int AS n FROM big_dupes.labels`)).toEqual([{ n: 10_000 }])
      expect(await one(`SELECT label_id, version FROM big_dupes.labels WHERE version = 'later' ORDER BY 1`)).toEqual([
        { label_id: 'l7', version: 'later' },
        { label_id: 'l9', version: 'later' },
      ])
      expect(sink.loadRun?.rows.labels).toBe(10_000)
      expect(await primaryKeysOf('big_dupes')).toEqual(expectedPrimaryKeys())
    })

    it("a key a user's foreign key depends on, a key that is the replica identity: kept, the rows go in through it", async () => {
      const held = await emptyTables('held')
      await one(`CREATE TABLE held.frame_notes (label_id text, group_name text, frame int, feature_id text, note text,
        FOREIGN KEY (label_id, group_name, frame, feature_id) REFERENCES held.frame_objects)`)
      const identity = await emptyTables('identity')
      await one('ALTER TABLE identity.frame_objects REPLICA IDENTITY USING INDEX frame_objects_pkey')
      await loadFile(big, 'held-1', postgresSink(sinkOptions('held', 'held-1')))
      await loadFile(big, 'identity-1', postgresSink(sinkOptions('identity', 'identity-1')))
      await loadFile(big, 'plain-1', postgresSink(sinkOptions('held_plain', 'plain-1')))
      expect(await keyOids('held')).toEqual(held)
      expect(await keyOids('identity')).toEqual(identity)
      expect(await digests('held')).toEqual(await digests('held_plain'))
      expect(await digests('identity')).toEqual(await digests('held_plain'))
      expect(await one(`SELECT relreplident FROM pg_class WHERE oid = 'identity.frame_objects'::regclass`)).toEqual([{ relreplident: 'i' }])
      const [row] = await one<Record<string, unknown>>('SELECT label_id, group_name, frame, feature_id FROM held.frame_objects LIMIT 1')
      await one(`INSERT INTO held.frame_notes VALUES ($1, $2, $3, $4, 'kept')`, Object.values(row ?? {}))
      await expect(one(`INSERT INTO held.frame_notes VALUES ('no such label', 'g', 1, 'f', 'x')`)).rejects.toMatchObject({ code: '23503' })
    })

    it('an open transaction that read the empty table does not hold the commit past 1 s: the rows go in through the key', async () => {
      const before = await emptyTables('read_open')
      await withClient(server.url, async (reader) => {
        await reader.query('BEGIN')
        await reader.query('SELECT count(*) FROM read_open.frame_objects')
        const started = performance.now()
        let timer: NodeJS.Timeout | undefined
        const waited = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the commit waited for the reader')), 30_000)
        })
        try {
          await Promise.race([loadFile(big, 'read-open-1', postgresSink(sinkOptions('read_open', 'read-open-1'))), waited])
        } finally {
          clearTimeout(timer)
        }
        expect(performance.now() - started).toBeLessThan(15_000)
        await reader.query('COMMIT')
      })
      expect(await keyOids('read_open')).toEqual(before)
      await loadFile(big, 'read-open-plain', postgresSink(sinkOptions('read_open_plain', 'read-open-plain')))
      expect(await digests('read_open')).toEqual(await digests('read_open_plain'))
    })
  })

  it("append adds rows, refuses a key already present (SQLSTATE 23505, tables unchanged); replace makes the run the tables' whole content", async () => {
    await loadFile(video(), 'modes-1', postgresSink(sinkOptions('modes', 'modes-1', { mode: 'append' })))
    await loadFile(image(), 'modes-2', postgresSink(sinkOptions('modes', 'modes-2', { mode: 'append' })))
    await loadFile(video(), 'both-1', postgresSink(sinkOptions('modes_both', 'both-1')))
    await loadFile(image(), 'both-2', postgresSink(sinkOptions('modes_both', 'both-2')))
    expect(await digests('modes')).toEqual(await digests('modes_both'))

    const before = await digests('modes')
    const again = loadFile(image(), 'modes-3', postgresSink(sinkOptions('modes', 'modes-3', { mode: 'append' })))
    await expect(again).rejects.toMatchObject({ code: 'LP_SINK', sqlState: '23505' })
    await expect(again).rejects.toThrow(
      /append into \w+: a row's primary key is already in the table \(Key .*\); mode 'append' never replaces/,
    )
    expect(await digests('modes')).toEqual(before)
    expect((await loadRuns(server.url, 'modes'))['modes-3']).toBe('failed')

    await loadFile(image(), 'modes-4', postgresSink(sinkOptions('modes', 'modes-4', { mode: 'replace' })))
    await loadFile(image(), 'image-only', postgresSink(sinkOptions('modes_image', 'image-only')))
    expect(await digests('modes')).toEqual(await digests('modes_image'))
  })
})

describe('failed runs', () => {
  let generated: string
  beforeAll(async () => {
    generated = join(dir, 'mixed.ndjson')
    await writeV2Export(generated, { media: 'mixed', dataRows: 60, seed: 2 })
  })
  const input = () => generated

  /** Passes table rows through and calls `atRow` on the n-th. */
  function tapAt(n: number, atRow: () => void): { name: string; run: ReturnType<typeof runStage<TableRow, TableRow>> } {
    let seen = 0
    const stage: RecordStage<TableRow, TableRow> = (row) => {
      if (++seen === n) atRow()
      return [row]
    }
    return { name: 'tap', run: runStage(stage, 64) }
  }

  async function failingRun(schema: string, loadId: string, how: 'throw' | 'abort'): Promise<unknown> {
    const controller = new AbortController()
    const flatten = { name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' }), 64) }
    const tap = tapAt(3000, () => {
      if (how === 'abort') controller.abort()
      else throw new Error('a transform failed mid-run')
    })
    return runPipeline({
      source: readV2Export(input()),
      transforms: [flatten, tap],
      sink: postgresSink(sinkOptions(schema, loadId)),
      signal: controller.signal,
    }).catch((error: unknown) => error)
  }

  it.each(['throw', 'abort'] as const)('a run that fails mid-way (%s) leaves the tables as before; load_runs says failed', async (how) => {
    const schema = `failing_${how}`
    await loadFile(join(fixtures.pathname, 'image.ndjson'), 'before', postgresSink(sinkOptions(schema, 'before')))
    const before = await digests(schema)
    const error = await failingRun(schema, 'failing', how)
    expect(error).toMatchObject({ code: how === 'abort' ? 'LP_ABORTED' : 'LP_TRANSFORM' })
    expect(await digests(schema)).toEqual(before)
    expect(await loadRuns(server.url, schema)).toEqual({ before: 'committed', failing: 'failed' })
    expect(await stagingTables(server.url, schema)).toEqual([])
  })
})

// Every example in examples/ runs as documented in the README (built to examples/dist by `tsc -b`).
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { primaryKeys, tableColumns, tableNames } from '@labelpipe/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { repoRoot } from './support/cli.js'
import { listFiles, readNdjson, readParquetRows } from './support/files.js'
import { type PostgresServer, startPostgresServer, withClient } from './support/postgres-server.js'

const run = promisify(execFile)
let cwd: string
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'lp-examples-'))
})
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true })
})

const example = (name: string) => join(repoRoot, 'examples', 'dist', `${name}.js`)

describe('examples', () => {
  it('load-to-parquet writes every non-empty table of the sample and a manifest', async () => {
    const { stdout } = await run(process.execPath, [example('load-to-parquet')], { cwd })
    expect(stdout).toMatch(/^loaded 60 data rows into out\/example-parquet/)
    expect(stdout).toMatch(/\nlines average \d+ bytes\n$/)
    const files = await listFiles(join(cwd, 'out', 'example-parquet'))
    expect(files.filter((f) => f.startsWith('_manifests/'))).toHaveLength(1)
    expect(files.filter((f) => f.startsWith('data_rows/') && f.endsWith('.parquet'))).toHaveLength(1)
  })

  it('custom-stage keeps one project and writes NDJSON', async () => {
    const { stdout } = await run(process.execPath, [example('custom-stage')], { cwd })
    expect(stdout).toMatch(/^project \w+: \d+ rows written to out\/example-ndjson/)
  })

  it('convert-v1-to-v2 writes one v2 line per data row of the v1 sample', async () => {
    const { stdout } = await run(process.execPath, [example('convert-v1-to-v2')], { cwd })
    expect(stdout).toMatch(/^converted 10 labels into 6 v2 data rows in example-v2.ndjson/)
    const lines = (await readFile(join(cwd, 'example-v2.ndjson'), 'utf8')).split('\n').filter((line) => line !== '')
    expect(new Set(lines.map((line) => (JSON.parse(line) as { data_row: { id: string } }).data_row.id)).size).toBe(6)
  })

  it("frames-over-http fetches the sample video labels' frames from its local demo server", async () => {
    const { stdout } = await run(process.execPath, [example('frames-over-http')], { cwd })
    expect(stdout).toMatch(/^fetched the frames of 10 video labels in 10 requests; 6 v2 data rows in example-frames-v2.ndjson/)
    const lines = (await readFile(join(cwd, 'example-frames-v2.ndjson'), 'utf8')).split('\n').filter((line) => line !== '')
    expect(lines.join('\n')).toContain('"frames":{"')
  })

  it('filter-and-load keeps the Done data rows and writes no attachments', async () => {
    const { stdout } = await run(process.execPath, [example('filter-and-load')], { cwd })
    expect(stdout).toMatch(/^lastActivityAt\.from 2023-01-01T00:00:00Z is 1672531200000 ms\n/)
    expect(stdout).toContain('a date without an offset is refused: invalid option lastActivityAt.from: "2023-01-01" has no time zone')
    const kept = Number(/^kept (\d+) data rows, dropped (\d+)/m.exec(stdout)?.[1])
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(60)
    expect(stdout).toContain(`${kept} data_rows and 0 attachments rows in out/example-filtered`)
  })

  it('commit-several-writers commits two writers as one load, then takes it back leaving no file', async () => {
    const { stdout } = await run(process.execPath, [example('commit-several-writers')], { cwd })
    expect(stdout).toMatch(
      /^committed 3 data rows in 2 files\ntaken back; parts of loads without a manifest: 0\nload id \S+ is free again\n$/,
    )
    expect(await listFiles(join(cwd, 'out', 'example-writers', 'tables'))).toEqual([])
  })

  it('handle-errors dead-letters two lines, then shows a failure with its position', async () => {
    const { stdout } = await run(process.execPath, [example('handle-errors')], { cwd })
    expect(stdout).toContain('with maxErrors 2: 2 data rows loaded, 2 lines dead-lettered')
    expect(stdout).toContain('LP_EXPORT_FORMAT 2 27 readV2Export')
  })

  it('table-schema writes one CREATE TABLE per table and finds every flattened row valid', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('table-schema')], { cwd })
    expect(stderr).toBe('')
    const columns = tableNames.reduce((sum, table) => sum + tableColumns(table).length, 0)
    expect(stdout).toMatch(
      new RegExp(`^${tableNames.length} tables, ${columns} columns: CREATE TABLE statements in out/example-schema/tables.sql\n`),
    )
    expect(stdout).toContain(`frame_objects primary key: (${primaryKeys.frame_objects.join(', ')})`)
    expect(stdout).toContain('data_rows.data_row_id is text NOT NULL; reviewed_by is text')
    expect(stdout).toContain("the named table objects are tableSchemas' own: true")
    // The sample's 60 data rows flatten to 1,222 table rows (its manifest's counts).
    expect(stdout).toContain('1222 flattened rows checked against their table: 0 invalid')
    expect(stdout).toContain('the same labels row with a null label_id passes: false')
    expect(stdout).toContain('a labels row without label_id: invalid at label_id')
    const sql = await readFile(join(cwd, 'out', 'example-schema', 'tables.sql'), 'utf8')
    expect(sql.match(/^CREATE TABLE /gm)).toHaveLength(tableNames.length)
    expect(sql).toContain('  label_id text NOT NULL,')
    expect(sql).toContain('  PRIMARY KEY (label_id, group_name, frame, feature_id)\n);')
    expect(sql).toContain('ALTER TABLE labels ADD COLUMN reviewed_by text;')
  })

  it('validate-records finds every part of both samples valid and renders a failure with its field path', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('validate-records')], { cwd })
    expect(stderr).toBe('')
    const counts = [...stdout.matchAll(/(v[12]\w+) (\d+)\/(\d+)/g)]
    expect(counts.map(([, name]) => name).sort()).toEqual(
      [
        'v2DataRow',
        'v2Attachment',
        'v2MetadataField',
        'v2Project',
        'v2Label',
        'v2Annotations',
        'v2Object',
        'v2Relationship',
        'v2Classification',
        'v2ClassificationAnswer',
        'v2Frame',
        'v2DicomGroup',
        'v1Label',
        'v1LabelContent',
        'v1Frame',
        'v1Object',
        'v1Classification',
        'v1Answer',
      ].sort(),
    )
    for (const [part, , valid, checked] of counts) {
      expect(Number(checked), part).toBeGreaterThan(0)
      expect(valid, part).toBe(checked)
    }
    expect(stdout).toContain('v2DataRow 60/60')
    expect(stdout).toContain('v1Label 10/10')
    expect(stdout).toMatch(
      /\nsample-v2\.ndjson line 1 \(byte 0\): projects\.\w+\.labels\[0\]\.id: Invalid input: expected string, received number\n/,
    )
    expect(stdout).toMatch(/\nthe third v1 label starts at sample-v1\.json line \d+ \(byte \d+, array index 2\)\n/)
    expect(stdout).toContain('timestamp 2023-06-12T18:42:24.000+00:00: has a zone\ntimestamp 2023-06-12 18:42:24: no zone, refused\n')
    expect(stdout).toContain('\nv2 object fields: feature_id, feature_schema_id, name, … (14)\n')
    expect(stdout).toContain('load id "nightly-2026-12-07": valid\nload id "nightly 2026-12-07": invalid\n')
    expect(stdout).toMatch(/load id "\d{8}T\d{9}Z-[0-9a-f]{6}": valid\n$/)
  })

  it('v1-frames-dir loads the v1 export with frames from a folder as the inlined one, each format told by content', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('v1-frames-dir')], { cwd })
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^wrote 10 frames files to out\/example-v1-frames\/frames and out\/example-v1-frames\/raw-v1-export.json\n/)
    expect(stdout).toContain('raw-v1-export.json: v1, 10 records, 6 data rows\n')
    expect(stdout).toContain('sample-v1.json: v1, 10 records, 6 data rows\n')
    expect(stdout).toContain('sample-v2.ndjson: v2, 60 records, 60 data rows\n')
    const [, fromFolder, inlined] =
      /frame_objects rows: (\d+) with frames from out\/example-v1-frames\/frames, (\d+) from the inlined sample/.exec(stdout) ?? []
    expect(Number(fromFolder)).toBeGreaterThan(0)
    expect(fromFolder).toBe(inlined)
    const dir = join(cwd, 'out', 'example-v1-frames')
    expect((await listFiles(join(dir, 'frames'))).filter((f) => f.endsWith('.ndjson'))).toHaveLength(10)
    const written = async (tables: string) => {
      const files = (await listFiles(join(dir, tables))).filter((f) => f.startsWith('frame_objects/'))
      return (await Promise.all(files.map((f) => readNdjson(join(dir, tables, f))))).flat().length
    }
    expect(await written('tables-from-folder')).toBe(Number(fromFolder))
    expect(await written('tables-inlined')).toBe(Number(inlined))
  })

  it('frame-stores streams the long lines into FrameStores and flattens them as the parsed ones', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('frame-stores')], { cwd })
    expect(stderr).toBe('')
    const [, stored, maps, frames, empty] =
      /^streamed: (\d+) of (\d+) frames maps in FrameStores \((\d+) frames, (\d+) print as \{\}\)\n/.exec(stdout) ?? []
    expect(Number(stored)).toBeGreaterThan(0)
    expect(Number(stored)).toBeLessThan(Number(maps))
    expect(Number(frames)).toBeGreaterThan(0)
    expect(empty).toBe(stored)
    const [, whole, streamed] = /\nframe_objects rows: (\d+) parsed whole, (\d+) streamed\n/.exec(stdout) ?? []
    expect(Number(whole)).toBeGreaterThan(0)
    expect(streamed).toBe(whole)
    const [, own, parsed, skipped] =
      /\na FrameStore of your own: (\d+) frame_objects rows \((\d+) from the parsed line\), keys that are no frame number skipped: (\d+) \(frameNumber\('007'\) = -1\), released: true\n$/.exec(
        stdout,
      ) ?? []
    expect(Number(own)).toBeGreaterThan(0)
    expect(own).toBe(parsed)
    expect(Number(skipped)).toBeGreaterThan(0)
  })

  it('partition-by-project writes the rows of each project under its Hive folder, data rows unpartitioned', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('partition-by-project')], { cwd })
    expect(stderr).toBe('')
    expect(stdout).toBe(
      [
        'partition columns: project_id',
        'frame_objects: 3 project folders, e.g. project_id=clc008jdag8ch8wwwywi2s1hi',
        'data_rows: 1 file, no partition (a data row has no one project)',
        '"Team A/B" -> project_id=Team A%2FB',
        '',
      ].join('\n'),
    )
  })

  it('fan-out fills Parquet and NDJSON from one read with the same rows', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('fan-out')], { cwd })
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^fanOutSink of 2 sinks: a FanOutSink true; of one sink: that sink true\none read: 60 data rows, 312354 bytes\n/)
    const [, parquetLoad] = /\nparquet: 13 files, 1222 rows \(60 data_rows\), load (\S+)\n/.exec(stdout) ?? []
    const [, ndjsonLoad] = /\nndjson: 13 files, 1222 rows \(60 data_rows\), load (\S+)\n$/.exec(stdout) ?? []
    expect(parquetLoad).toBeDefined()
    expect(ndjsonLoad).toBe(parquetLoad)
    const dir = join(cwd, 'out', 'example-fan-out')
    expect(await listFiles(join(dir, 'parquet', '_manifests'))).toEqual([`${parquetLoad}.json`])
    expect(await listFiles(join(dir, 'ndjson', '_manifests'))).toEqual([`${ndjsonLoad}.json`])
    const [parquetFile] = (await listFiles(join(dir, 'parquet', 'data_rows'))).map((f) => join(dir, 'parquet', 'data_rows', f))
    const [ndjsonFile] = (await listFiles(join(dir, 'ndjson', 'data_rows'))).map((f) => join(dir, 'ndjson', 'data_rows', f))
    const fromParquet: unknown[] = []
    for await (const rows of readParquetRows(parquetFile as string)) fromParquet.push(...rows.map((row) => row.data_row_id))
    const fromNdjson = (await readNdjson(ndjsonFile as string)).map((row) => row.data_row_id)
    expect(fromParquet).toHaveLength(60)
    expect(fromParquet).toEqual(fromNdjson)
  })

  it('housekeeping reads the dead letters back and sweeps only the parts of the load without a manifest', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('housekeeping')], { cwd })
    expect(stderr).toBe('')
    expect(stdout).toMatch(
      /^dead letter: line 2 \(byte 27\) LP_EXPORT_FORMAT: "\{\\"data_row\\":"\ndead letter: line 4 \(byte 67\) LP_EXPORT_FORMAT: "\{\\"data_row\\":\{\}\}"\n/,
    )
    expect(stdout).toContain('\na letter without its raw text is one: false\n')
    expect(stdout).toContain('\nparts without a manifest older than an hour: 0\n')
    const [, swept] = /\nof any age: 1 \((data_rows\/part-\S+\.ndjson)\)\n/.exec(stdout) ?? []
    expect(swept).toBeDefined()
    const [, kept] = /\nswept: (\S+); data_rows keeps 1 part, of load (\S+): true\n$/.exec(stdout) ?? []
    expect(kept).toBe(swept)
    const tables = join(cwd, 'out', 'example-housekeeping', 'tables')
    const files = await listFiles(tables)
    expect(files).not.toContain(swept)
    expect(files.filter((f) => f.startsWith('data_rows/'))).toHaveLength(1)
    expect(files.filter((f) => f.startsWith('_manifests/'))).toHaveLength(1)
  })

  it('error-codes causes and catches every error class of the README table', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('error-codes')], { cwd })
    expect(stderr).toBe('')
    const caught = [...stdout.matchAll(/^(LP_[A-Z0-9_]+) (\w+): /gm)].map(([, code, name]) => `${code} ${name}`)
    expect(caught).toEqual([
      'LP_EXPORT_FORMAT ExportFormatError',
      'LP_INVALID_UTF8 InvalidUtf8Error',
      'LP_LINE_TOO_LONG LineTooLongError',
      'LP_TOO_MANY_ERRORS TooManyErrorsError',
      'LP_UNSUPPORTED_FORMAT UnsupportedFormatError',
      'LP_INPUT InputError',
      'LP_INVALID_OPTION InvalidOptionError',
      'LP_TRANSFORM TransformError',
      'LP_STAGE StageError',
      'LP_ABORTED PipelineAbortedError',
      'LP_SINK SinkError',
      'LP_HTTP_NOT_FOUND HttpFramesError',
      'LP_INPUT WebhookDeliveryError',
      'LP_INPUT WebhookDeliveryError',
      'LP_SINK PostgresSinkError',
    ])
    expect(stdout).toContain('out/example-error-codes/not-json.ndjson line 2 (byte 27): invalid JSON')
    expect(stdout).toMatch(/\(http:\/\/127\.0\.0\.1:\d+\/frames\/label-1\): HTTP 404/)
    expect(stdout).not.toContain('signature=secret')
    expect(stdout).toContain('webhook answers: 401, 413; events it handles: LABEL_CREATED LABEL_UPDATED LABEL_DELETED')
    expect(stdout).toContain('delivery example-1 (LABEL_UPDATED): X-Hub-Signature does not match the body')
    expect(stdout).toContain('delivery example-2 (LABEL_UPDATED): the body is longer than maxBodyBytes (1024 bytes)')
    expect(stdout).toContain('cannot connect to postgres example@127.0.0.1:9/none: connection refused')
    expect(stdout).not.toContain('password')
  })

  it('run-cli runs inspect and load in-process and returns each exit code', async () => {
    const { stdout, stderr } = await run(process.execPath, [example('run-cli')], { cwd })
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^inspect: exit 0, 60 data rows, 193 frame_objects rows\n/)
    expect(stdout).toContain('\nload: exit 0 (exitCodes.ok is 0), 0 bytes of summary with -q\n')
    expect(stdout).toContain("\nan unknown flag: exit 2 (exitCodes.usage is 2): labelpipe: Unknown option '--no-such-flag'")
    expect(stdout).toMatch(/\naborted with SIGINT: exit 130 \(exitCodes\.interrupted is 130\)\n$/)
    // The load committed once; the aborted one left nothing.
    const files = await listFiles(join(cwd, 'out', 'example-cli'))
    expect(files.filter((f) => f.startsWith('_manifests/'))).toHaveLength(1)
    expect(files.filter((f) => f.startsWith('data_rows/'))).toHaveLength(1)
  })

  describe('with a database', () => {
    let server: PostgresServer
    beforeAll(async () => {
      server = await startPostgresServer()
    })
    afterAll(async () => {
      await server?.stop()
    })

    it('postgres-writers commits two staging writers as one load and reads its cursors back', async () => {
      const env = { ...process.env, DATABASE_URL: server.url }
      const sample = join(repoRoot, 'examples', 'data', 'sample-v2.ndjson')
      const { stdout, stderr } = await run(process.execPath, [example('postgres-writers'), sample, 'writers'], { cwd, env })
      expect(stderr).toBe('')
      const [, first, second] = /^ranges \[0, \d+\) \[\d+, 312354\): (\d+) \+ (\d+) data rows\n/.exec(stdout) ?? []
      expect(Number(first)).toBeGreaterThan(0)
      expect(Number(second)).toBeGreaterThan(0)
      expect(Number(first) + Number(second)).toBe(60)
      const [, loadId] = /\nload (\S+) committed into schema writers \(merge\): 60 data_rows\n/.exec(stdout) ?? []
      expect(loadId).toBeDefined()
      expect(stdout).toContain('\ncursors of 6 projects, the latest 2023-11-01T18:40:07.408Z\n')
      expect(stdout).toContain(`\nthe same load id again: LP_SINK load ${loadId} is already committed`)
      const stored = await withClient(server.url, async (client) => ({
        dataRows: (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM writers.data_rows')).rows[0]?.n,
        runs: (await client.query<{ load_id: string; status: string }>('SELECT load_id, status FROM writers.load_runs')).rows,
        cursors: (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM writers.load_state')).rows[0]?.n,
      }))
      expect(stored).toEqual({ dataRows: 60, runs: [{ load_id: loadId, status: 'committed' }], cursors: 6 })
    })
  })
})

// `labelpipe load --to postgres://…` end to end (issue 6 item 5): the built CLI against a real PostgreSQL,
// next to a Parquet target in the same run; re-runs are idempotent; the password is never printed; PG*
// variables fill what the URL leaves out.
import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { writeV2Export } from '@labelpipe/benchmarks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot, runCli, startCli } from './support/cli.js'
import { listFiles, readNdjson } from './support/files.js'
import { type PostgresServer, stagingTables, startPostgresServer, tableDigests, withClient } from './support/postgres-server.js'

const run = promisify(execFile)
const video = new URL('./fixtures/v2/video.ndjson', import.meta.url).pathname
let server: PostgresServer
let dir: string

beforeAll(async () => {
  server = await startPostgresServer()
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-cli-pg-'))
})
afterAll(async () => {
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

async function counts(schema: string, tables: readonly string[]): Promise<Record<string, number>> {
  return withClient(server.url, async (client) => {
    const out: Record<string, number> = {}
    for (const table of tables) {
      out[table] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.${table}`)).rows[0]?.n ?? -1
    }
    return out
  })
}

describe('labelpipe load --to postgres://', () => {
  it('loads the same rows as the NDJSON target of the same run, and prints no password', async () => {
    const password = new URL(server.url).password
    const result = await runCli(['load', video, '--to', server.url, '--to', `ndjson:${join(dir, 'nd')}`, '--pg-schema', 'cli'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    if (password !== '') {
      expect(result.stdout).not.toContain(password)
      expect(result.stdout).toContain(':***@')
    }
    const tables = ['data_rows', 'labels', 'frame_objects', 'segments', 'key_frames', 'objects', 'classifications']
    const fromFiles: Record<string, number> = {}
    for (const table of tables) {
      const files = readdirSync(join(dir, 'nd', table), { withFileTypes: true }).filter((f) => f.isFile())
      fromFiles[table] = 0
      for (const file of files) fromFiles[table] += (await readNdjson(join(dir, 'nd', table, file.name))).length
    }
    expect(fromFiles.frame_objects).toBeGreaterThan(0)
    expect(await counts('cli', tables)).toEqual(fromFiles)
  })

  it('is idempotent: a second merge run leaves every table identical', async () => {
    const tables = ['data_rows', 'labels', 'frame_objects', 'classifications']
    const before = await tableDigests(server.url, 'cli', tables)
    const again = await runCli(['load', video, '--to', server.url, '--pg-schema', 'cli', '-q'])
    expect(again.code).toBe(0)
    expect(await tableDigests(server.url, 'cli', tables)).toEqual(before)
    const runs = await withClient(server.url, (client) =>
      client.query<{ n: number }>("SELECT count(*)::int AS n FROM cli.load_runs WHERE status = 'committed'"),
    )
    expect(runs.rows[0]?.n).toBe(2)
  })

  it('takes what the URL leaves out from PG* variables', async () => {
    const url = new URL(server.url)
    const run = startCli(['load', video, '--to', 'postgres://', '--pg-schema', 'from_env', '-q'], {
      env: {
        PGHOST: url.hostname,
        PGPORT: url.port,
        PGUSER: decodeURIComponent(url.username),
        PGPASSWORD: decodeURIComponent(url.password),
        PGDATABASE: url.pathname.slice(1),
      },
    })
    run.child.stdin?.end()
    const result = await run.done
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect((await counts('from_env', ['data_rows'])).data_rows).toBeGreaterThan(0)
  })

  it('fails in one line without the password when it is wrong, and refuses --shard', async () => {
    const wrong = server.urlWith({ password: 'not-the-password-123' })
    const failed = await runCli(['load', video, '--to', wrong, '--pg-schema', 'cli'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).not.toContain('not-the-password-123')
    expect(failed.stderr.trim().split('\n')).toHaveLength(1)
    const usage = await runCli(['load', video, '--to', server.url, '--shard', '1/2', '--load-id', 'x'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('cannot take --shard')
    expect(usage.stderr).not.toContain(new URL(server.url).password || '\u0000')
  })

  it('--workers 2: one COPY per worker into the staging tables of the run, one commit, the rows of one thread', async () => {
    const path = join(dir, 'mixed.ndjson')
    await writeV2Export(path, { media: 'mixed', seed: 5, dataRows: 400, framesPerVideo: 60 })
    const tables = ['data_rows', 'labels', 'objects', 'frame_objects', 'segments', 'key_frames', 'classifications']
    const one = await runCli(['load', path, '--to', server.url, '--pg-schema', 'one_thread', '-q'])
    expect(one.code).toBe(0)
    const two = await runCli([
      'load',
      path,
      '--to',
      server.url,
      '--to',
      `ndjson:${join(dir, 'w2')}`,
      '--pg-schema',
      'two_workers',
      '--workers',
      '2',
      '-q',
    ])
    expect(two.stderr).toBe('')
    expect(two.code).toBe(0)
    // Same rows; _load_id differs between the runs, so compare without it.
    const rows = (schema: string, table: string) =>
      withClient(server.url, async (client) =>
        (await client.query<{ r: string }>(`SELECT (to_jsonb(t) - '_load_id')::text AS r FROM ${schema}.${table} t ORDER BY 1`)).rows.map(
          (row) => row.r,
        ),
      )
    for (const table of tables) expect(await rows('two_workers', table)).toEqual(await rows('one_thread', table))
    expect(await stagingTables(server.url, 'two_workers')).toEqual([])
  })

  it('--workers 2 with a bad line in the second range: exit 1, tables as before, no staging, the run failed', async () => {
    const path = join(dir, 'bad.ndjson')
    const good = (await readFile(video, 'utf8')).split('\n').filter((line) => line !== '')
    await writeFile(path, `${[...good, ...good, '{"data_row": 7}', ...good].join('\n')}\n`)
    const before = await tableDigests(server.url, 'cli', ['data_rows', 'labels', 'frame_objects'])
    const failed = await runCli(['load', path, '--to', server.url, '--pg-schema', 'cli', '--workers', '2', '--load-id', 'bad-workers'])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain(`line ${good.length * 2 + 1}`)
    expect(await tableDigests(server.url, 'cli', ['data_rows', 'labels', 'frame_objects'])).toEqual(before)
    expect(await stagingTables(server.url, 'cli')).toEqual([])
    const status = await withClient(server.url, (client) =>
      client.query<{ status: string; source: string; input: string }>(
        "SELECT status, source, input FROM cli.load_runs WHERE load_id = 'bad-workers'",
      ),
    )
    // The failed run says what it was loading (registered with it, not only at a commit that never came).
    expect(status.rows[0]).toEqual({ status: 'failed', source: 'v2', input: path })

    // The same in one thread: a bad line fails the run, whose row names its input.
    const one = await runCli(['load', path, '--to', server.url, '--pg-schema', 'cli', '--load-id', 'bad-one-thread'])
    expect(one.code).toBe(1)
    const row = await withClient(server.url, (client) =>
      client.query<{ status: string; source: string; input: string }>(
        "SELECT status, source, input FROM cli.load_runs WHERE load_id = 'bad-one-thread'",
      ),
    )
    expect(row.rows[0]).toEqual({ status: 'failed', source: 'v2', input: path })
  })

  it('--incremental reads load_state: a re-run takes only what the overlap holds, a later change is taken', async () => {
    const sample = join(repoRoot, 'examples/data/sample-v2.ndjson')
    expect((await runCli(['load', sample, '--to', server.url, '--pg-schema', 'incr', '-q'])).code).toBe(0)
    const before = await tableDigests(server.url, 'incr', ['data_rows', 'labels', 'objects'])
    const again = await runCli(['load', sample, '--to', server.url, '--pg-schema', 'incr', '--incremental', '--overlap-minutes', '0'])
    expect(again.code).toBe(0)
    // With no overlap, nothing is newer than the cursors the first run left: every data row is dropped.
    expect(again.stdout).toMatch(/filters: kept 0 data rows, dropped 60 \(incremental 60\)/)
    expect(await tableDigests(server.url, 'incr', ['data_rows', 'labels', 'objects'])).toEqual(before)
    const lines = (await readFile(sample, 'utf8')).split('\n').filter((line) => line !== '')
    const changed = JSON.parse(lines[3] as string) as { data_row: { id: string; details: { last_activity_at: string } } }
    changed.data_row.details.last_activity_at = '2030-06-01T00:00:00.000Z'
    const next = join(dir, 'incremental-next.ndjson')
    await writeFile(next, `${[JSON.stringify(changed), ...lines.filter((_, i) => i !== 3)].join('\n')}\n`)
    const third = await runCli(['load', next, '--to', server.url, '--pg-schema', 'incr', '--incremental', '--overlap-minutes', '0'])
    expect(third.code).toBe(0)
    expect(third.stdout).toMatch(/filters: kept 1 data rows, dropped 59/)
    const cursors = await withClient(server.url, (client) =>
      client.query<{ v: Date }>(`SELECT max(cursor_value) AS v FROM incr.load_state WHERE cursor_name = 'last_activity_at'`),
    )
    expect(cursors.rows[0]?.v.toISOString()).toBe('2030-06-01T00:00:00.000Z')
    const loaded = await withClient(server.url, (client) =>
      client.query<{ t: Date }>(`SELECT last_activity_at AS t FROM incr.data_rows WHERE data_row_id = $1`, [changed.data_row.id]),
    )
    expect(loaded.rows[0]?.t.toISOString()).toBe('2030-06-01T00:00:00.000Z')
  })

  it('a filtered run leaves load_state as it was: a later --incremental run still takes what it left out', async () => {
    const sample = join(repoRoot, 'examples/data/sample-v2.ndjson')
    const first = JSON.parse((await readFile(sample, 'utf8')).split('\n')[0] as string) as { data_row: { id: string } }
    const filtered = await runCli([
      'load',
      sample,
      '--to',
      server.url,
      '--pg-schema',
      'partial',
      '--filter',
      `data_row_ids=${first.data_row.id}`,
    ])
    expect(filtered.code).toBe(0)
    expect((await counts('partial', ['data_rows'])).data_rows).toBe(1)
    const state = () => withClient(server.url, (client) => client.query('SELECT * FROM partial.load_state'))
    expect((await state()).rowCount).toBe(0)
    const next = await runCli(['load', sample, '--to', server.url, '--pg-schema', 'partial', '--incremental', '--overlap-minutes', '0'])
    expect(next.stdout).toMatch(/filters: kept 60 data rows, dropped 0/)
    expect((await counts('partial', ['data_rows'])).data_rows).toBe(60)
    expect((await state()).rowCount).toBeGreaterThan(0)
  })

  it('files and Postgres from stdin: Postgres commits last, and when its commit fails the file load is taken back', async () => {
    const sample = join(repoRoot, 'examples/data/sample-v2.ndjson')
    expect((await runCli(['load', sample, '--to', server.url, '--pg-schema', 'ordered', '-q'])).code).toBe(0)
    const tables = ['data_rows', 'labels', 'objects']
    const before = await tableDigests(server.url, 'ordered', tables)
    // In either --to order: append of rows already there fails the Postgres commit (a key is taken).
    for (const [name, targets] of [
      ['files-first', (out: string) => ['--to', `ndjson:${out}`, '--to', server.url]],
      ['postgres-first', (out: string) => ['--to', server.url, '--to', `parquet:${out}`]],
    ] as const) {
      const out = join(dir, name)
      const failed = await runCli(['load', '-', ...targets(out), '--pg-schema', 'ordered', '--pg-mode', 'append', '-q'], {
        stdin: await readFile(sample),
      })
      expect([name, failed.code]).toEqual([name, 1])
      expect(failed.stderr).toContain("mode 'append' never replaces rows")
      expect([name, await listFiles(out)]).toEqual([name, []])
      expect(await tableDigests(server.url, 'ordered', tables)).toEqual(before)
    }
  })

  it('a data row on two lines of one run loads as its last line says, unit by unit, in one thread and with --workers 2', async () => {
    const sample = join(repoRoot, 'examples/data/sample-v2.ndjson')
    const lines = (await readFile(sample, 'utf8')).split('\n').filter((line) => line !== '')
    type Line = { metadata_fields: object[]; projects: Record<string, { labels: { id: string }[] }> }
    // The same data row as line 1, earlier: one more metadata entry, and a label line 1 no longer has.
    const earlier = JSON.parse(lines[0] as string) as Line
    earlier.metadata_fields.push({ schema_id: 'stale-schema', schema_name: 'stale', value: 'only in the earlier line' })
    const labels = (Object.values(earlier.projects)[0] as { labels: { id: string }[] }).labels
    labels.push({ ...structuredClone(labels[0] as { id: string }), id: 'stale-label' })
    const repeated = join(dir, 'repeated.ndjson')
    // First and last line: with --workers 2 they fall in different workers' ranges.
    await writeFile(repeated, `${[JSON.stringify(earlier), ...lines.slice(1), lines[0]].join('\n')}\n`)
    const tables = ['data_rows', 'data_row_metadata', 'attachments', 'project_data_rows', 'labels', 'objects', 'classifications']
    for (const [schema, input, extra] of [
      ['dup_once', sample, []],
      ['dup_twice', repeated, []],
      ['dup_workers', repeated, ['--workers', '2']],
    ] as const) {
      expect((await runCli(['load', input, '--to', server.url, '--pg-schema', schema, '-q', ...extra])).code).toBe(0)
    }
    const once = await tableDigests(server.url, 'dup_once', tables)
    expect(await tableDigests(server.url, 'dup_twice', tables)).toEqual(once)
    expect(await tableDigests(server.url, 'dup_workers', tables)).toEqual(once)
  })

  it('--max-errors: bad lines go to the dead_letters table in the commit, with or without a file, none of a run that fails', async () => {
    const lines = (await readFile(join(repoRoot, 'examples/data/sample-v2.ndjson'), 'utf8')).split('\n').filter((line) => line !== '')
    const bad = ['{"data_row":{}}', 'not json \u0000 at all']
    const input = join(dir, 'with-bad-lines.ndjson')
    const text = `${[lines[0], bad[0], ...lines.slice(1, 40), bad[1], ...lines.slice(40)].join('\n')}\n`
    await writeFile(input, text)
    const byteOf = (line: number) =>
      Buffer.byteLength(
        text
          .split('\n')
          .slice(0, line - 1)
          .join('\n'),
      ) + (line > 1 ? 1 : 0)
    const letters = (schema: string) =>
      withClient(
        server.url,
        async (client) =>
          (await client.query(`SELECT load_id, source, line, byte_offset, error, payload FROM ${schema}.dead_letters ORDER BY line`)).rows,
      )
    // Postgres alone: no file is needed, the table has them.
    const alone = await runCli(['load', input, '--to', server.url, '--pg-schema', 'letters', '--max-errors', '5', '--load-id', 'dl-1'])
    expect(alone.code).toBe(0)
    expect(alone.stdout).toContain('2 bad lines dead-lettered to letters.dead_letters')
    const rows = await letters('letters')
    expect(rows.map((row) => [row.load_id, row.source, Number(row.line), Number(row.byte_offset)])).toEqual([
      ['dl-1', input, 2, byteOf(2)],
      ['dl-1', input, 42, byteOf(42)],
    ])
    expect(rows[0]?.error).toMatch(/^LP_EXPORT_FORMAT: /)
    // A NUL cannot be stored in text: U+FFFD in its place.
    expect(rows.map((row) => row.payload)).toEqual([bad[0], 'not json \ufffd at all'])
    // With two workers and a folder too: the file and the table hold the same letters.
    const out = join(dir, 'letters-out')
    const both = await runCli([
      'load',
      input,
      '--to',
      `ndjson:${out}`,
      '--to',
      server.url,
      '--pg-schema',
      'letters',
      '--max-errors',
      '5',
      '--workers',
      '2',
      '--load-id',
      'dl-2',
    ])
    expect(both.code).toBe(0)
    const file = (await readNdjson(join(out, '_dead_letters', 'dl-2.ndjson'))) as { line: number }[]
    // In the order the workers sent them.
    expect(file.map((letter) => letter.line).sort((a, b) => a - b)).toEqual([2, 42])
    expect((await letters('letters')).filter((row) => row.load_id === 'dl-2').map((row) => Number(row.line))).toEqual([2, 42])
    // From stdin the sink of the in-thread path commits them.
    const piped = await runCli(
      ['load', '-', '--to', server.url, '--pg-schema', 'letters', '--max-errors', '5', '--load-id', 'dl-4', '-q'],
      {
        stdin: text,
      },
    )
    expect(piped.code).toBe(0)
    expect((await letters('letters')).filter((row) => row.load_id === 'dl-4').map((row) => [row.source, Number(row.line)])).toEqual([
      ['-', 2],
      ['-', 42],
    ])
    // Past --max-errors the run fails: its letters are not in the table (the file keeps them).
    const failed = await runCli(['load', input, '--to', server.url, '--pg-schema', 'letters', '--max-errors', '1', '--load-id', 'dl-3'])
    expect(failed.code).toBe(1)
    expect((await letters('letters')).filter((row) => row.load_id === 'dl-3')).toEqual([])
  })

  it('two postgres targets, the second failing after the first committed: the files stay with the database that has the run', async () => {
    const sample = join(repoRoot, 'examples/data/sample-v2.ndjson')
    await withClient(server.url, async (client) => {
      await client.query('DROP DATABASE IF EXISTS lp_second')
      await client.query('CREATE DATABASE lp_second')
    })
    const second = new URL(server.url)
    second.pathname = '/lp_second'
    // The second database already holds the sample, so appending it there fails on taken keys.
    expect((await runCli(['load', sample, '--to', second.toString(), '--pg-schema', 'twice', '-q'])).code).toBe(0)
    const out = join(dir, 'two-databases')
    const result = await runCli(
      [
        'load',
        '-',
        '--to',
        `ndjson:${out}`,
        '--to',
        server.url,
        '--to',
        second.toString(),
        '--pg-schema',
        'twice',
        '--pg-mode',
        'append',
        '--load-id',
        'two-dbs',
        '-q',
      ],
      { stdin: await readFile(sample) },
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("mode 'append' never replaces rows")
    // The first database committed the run: taking the files back would leave it in one place and not the other.
    expect((await counts('twice', ['data_rows'])).data_rows).toBe(60)
    expect(JSON.parse(await readFile(join(out, '_manifests', 'two-dbs.json'), 'utf8')).load_id).toBe('two-dbs')
  })

  it('examples/load-to-postgres loads the sample, and a re-run leaves the tables identical', async () => {
    const example = join(repoRoot, 'examples', 'dist', 'load-to-postgres.js')
    const env = { ...process.env, DATABASE_URL: server.url }
    const first = await run(process.execPath, [example, join(repoRoot, 'examples', 'data', 'sample-v2.ndjson'), 'example'], { env })
    expect(first.stdout).toMatch(/^load \S+ committed into schema example:/)
    const tables = ['data_rows', 'labels', 'frame_objects', 'classifications']
    const before = await tableDigests(server.url, 'example', tables)
    expect((await counts('example', ['data_rows'])).data_rows).toBe(60)
    await run(process.execPath, [example, join(repoRoot, 'examples', 'data', 'sample-v2.ndjson'), 'example'], { env })
    expect(await tableDigests(server.url, 'example', tables)).toEqual(before)
  })
})

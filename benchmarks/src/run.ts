// labelpipe benchmark harness: `pnpm bench [--quick | --size 1GB] [--media image|video|mixed|v1-image] [--only name,...]
// [--repeat N]`.
//
// Method: a seeded synthetic Export v2 is generated once per size under benchmarks/data/ (gitignored) and
// reused. Every case and every baseline runs as its own child process under `/usr/bin/time -v` (peak RSS is
// the kernel's count), one after another, in the same invocation, on the same file. Results are ratios to
// the baselines of the same run, because these 2-core machines are noisy (docs/facts.md): compare ratios,
// not absolute MB/s across runs. Row counts are asserted equal across the Parquet and NDJSON variants. With
// --repeat N every case and baseline runs N times: the median wall time, the highest peak RSS, every run listed.
// Baselines: fs read (I/O ceiling) and split2 + JSON.parse (parse ceiling, issue 7's), plus the same parse with a
// hand indexOf splitter (as labelpipe's LineScanner splits: the ceiling of its own reader); for `--media v1-image` (an Export v1
// whose data rows are spread across the label array) fs read and the element scanner + JSON.parse (v1 ceiling).
// Output: benchmarks/results/<name>.json and .md.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import split2 from 'split2'
import { writeV1Export } from './generate-v1-export.js'
import { writeV2Export } from './generate-v2-export.js'
import { type Measurement, measure, type RepeatedMeasurement, repeated, round2 } from './measure.js'
import { ndjsonTablesToCsv, psqlCopyArgs } from './postgres-baseline.js'
import { psqlOf, startPostgresServer } from './postgres-server.js'
import { parseSize } from './sizes.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'packages/cli/bin/labelpipe.js')
const dist = dirname(fileURLToPath(import.meta.url))
const runFile = promisify(execFile)

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    'no-postgres': { type: 'boolean' },
    size: { type: 'string' },
    media: { type: 'string' },
    only: { type: 'string' },
    name: { type: 'string' },
    repeat: { type: 'string' },
  },
})
const media = values.media ?? 'image'
if (media !== 'image' && media !== 'video' && media !== 'mixed' && media !== 'video-giant' && media !== 'v1-image' && media !== 'v1-video')
  throw new Error(`--media takes image, video, mixed, video-giant, v1-image or v1-video, got ${media}`)
const sizeText = values.size ?? (values.quick ? '100MB' : '1GB')
const size = parseSize(sizeText)
const only = values.only?.split(',')
const repeat = Number(values.repeat ?? '1')
if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) throw new Error(`--repeat takes 1 to 9 runs per case, got ${values.repeat}`)
/** Every case and baseline `repeat` times (median wall, highest RSS: measure.ts). */
const measured = (run: (index: number) => Promise<Measurement>) => repeated(repeat, run)

interface CaseResult {
  readonly name: string
  readonly goal: string
  readonly wallSeconds: number
  readonly mbPerSecond: number
  readonly rowsPerSecond: number | null
  readonly peakRssMiB: number
  /** Null for video-giant: its one line is past V8's string limit, so split2 + JSON.parse cannot read it at all. */
  readonly ratioToParse: number | null
  /** The same, against the hand-split parse ceiling (baseline_lines_json_parse); null where ratioToParse is. */
  readonly ratioToLinesParse: number | null
  readonly ratioToRead: number
  /** Postgres cases: table rows/s over those of psql \copy of the same rows as CSV (baseline_psql_copy). */
  readonly ratioToCopy?: number
  /** Parquet cases of a video export: wall time and peak RSS over DuckDB's (baseline_duckdb_frames). */
  readonly vsDuckdb?: { readonly wall: number; readonly rss: number }
  /** With --repeat: every run's wall time; wallSeconds is their median. */
  readonly wallRuns?: readonly number[]
  /** User + system CPU seconds of the case's process (the median run's). */
  readonly cpuSeconds: number
  /** Postgres cases and baseline_psql_copy: CPU seconds of the server's processes during the same run. */
  readonly serverCpuSeconds?: number
  /**
   * (cpuSeconds + serverCpuSeconds) / the machine's cores: the wall time this much CPU work needs at best here,
   * every core busy all the time. A case whose wall time is near it is CPU-bound; to go faster it must do less work.
   */
  readonly cpuFloorSeconds: number
}

const v1 = media === 'v1-image' || media === 'v1-video'
const input = join(root, 'benchmarks/data', v1 ? `${media}-${sizeText}-spread.json` : `v2-${media}-${sizeText}.ndjson`)
// v1-video: raw labels (Label.frames a URL), their frames files beside the export, served over local HTTP.
const framesDir = media === 'v1-video' ? `${input}.frames` : undefined
mkdirSync(dirname(input), { recursive: true })
if (!existsSync(input)) {
  process.stderr.write(`generating ${input}\n`)
  // A v1 image label is ~0.69x the bytes of its v2 data row (measured: 1.46e9 v2 bytes -> 1.005e9 v1 bytes); the
  // reservoir of 100,000 labels scatters each data row's labels far apart, so grouping must sort and spill.
  if (media === 'v1-image') await writeV1Export(input, { seed: 1, media: 'image', targetBytes: Math.round(size / 0.688), spread: 100_000 })
  // The export's size counts the frames files: video labels are small, their frames are the bulk.
  else if (media === 'v1-video') await writeV1Export(input, { seed: 1, media: 'video', targetBytes: size, spread: 1_000, framesDir })
  // One data row, one video of ~790 bytes a frame (measured: 1.3M frames -> 1.03 GB): one line of `size` bytes.
  else if (media === 'video-giant')
    await writeV2Export(input, { seed: 1, media: 'video', dataRows: 1, framesPerVideo: Math.round(size / 790) })
  else await writeV2Export(input, { seed: 1, media, targetBytes: size })
}
const bytes = statSync(input).size
const out = join(root, 'benchmarks/data/out')

// Read once unmeasured, so the I/O ceiling and every case read from the page cache alike (after the 10 GB soak, a
// cold 1 GB read took 5 s where a warm one takes 1.2 s, and only the first measurement paid it).
await measure(process.execPath, [join(dist, 'baseline-read.js'), input])
const read = await measured(() => measure(process.execPath, [join(dist, 'baseline-read.js'), input]))
const giant = media === 'video-giant'
const parse = giant
  ? undefined
  : await measured(() => measure(process.execPath, [join(dist, v1 ? 'baseline-v1-elements.js' : 'baseline-parse.js'), input]))
const linesParse =
  giant || v1 ? undefined : await measured(() => measure(process.execPath, [join(dist, 'baseline-parse.js'), input, 'indexof']))
const linesParseX2 =
  giant || v1 ? undefined : await measured(() => measure(process.execPath, [join(dist, 'baseline-parse.js'), input, 'indexof-x2']))
const results: CaseResult[] = []
const rowCounts = new Map<string, number>()
const mbps = (m: Measurement) => bytes / 1e6 / m.wallSeconds
const cores = availableParallelism()

function record(name: string, goal: string, m: RepeatedMeasurement, rows: number | null, copyRowsPerSecond?: number) {
  const serverCpuSeconds = m.serverCpuSeconds
  results.push({
    ...(serverCpuSeconds === undefined ? {} : { serverCpuSeconds: round2(serverCpuSeconds) }),
    cpuSeconds: round2(m.cpuSeconds),
    cpuFloorSeconds: round2((m.cpuSeconds + (serverCpuSeconds ?? 0)) / cores),
    ...(copyRowsPerSecond === undefined || rows === null ? {} : { ratioToCopy: round2(rows / m.wallSeconds / copyRowsPerSecond) }),
    ...(m.wallRuns.length > 1 ? { wallRuns: m.wallRuns.map(round2) } : {}),
    name,
    goal,
    wallSeconds: round2(m.wallSeconds),
    mbPerSecond: round2(mbps(m)),
    rowsPerSecond: rows === null ? null : Math.round(rows / m.wallSeconds),
    peakRssMiB: round2(m.peakRssBytes / 2 ** 20),
    ratioToParse: parse === undefined ? null : round2(mbps(m) / mbps(parse)),
    ratioToLinesParse: linesParse === undefined ? null : round2(mbps(m) / mbps(linesParse)),
    ratioToRead: round2(mbps(m) / mbps(read)),
  })
}

record('baseline_fs_read', 'I/O ceiling', read, null)
if (parse !== undefined) {
  if (v1) record('baseline_v1_element_scanner', 'v1 parse ceiling', parse, JSON.parse(parse.stdout).elements as number)
  else record('baseline_split2_json_parse', 'parse ceiling', parse, JSON.parse(parse.stdout).lines as number)
}
if (linesParse !== undefined)
  record('baseline_lines_json_parse', 'parse ceiling, hand splitter', linesParse, JSON.parse(linesParse.stdout).lines as number)
if (linesParseX2 !== undefined) {
  const lines = JSON.parse(linesParseX2.stdout).lines as number
  const oneThread = JSON.parse(linesParse?.stdout ?? '{}').lines as number
  if (lines !== oneThread) throw new Error(`baseline_lines_json_parse_x2 read ${lines} lines, one thread ${oneThread}`)
  record('baseline_lines_json_parse_x2', 'the same in 2 threads, 2 byte ranges (2-thread ceiling)', linesParseX2, lines)
}
if (media === 'v1-video') await runV1FramesCases()
else if (v1) await runV1Cases()
else {
  await runV2Cases()
  await runPostgresCases()
}

rmSync(out, { recursive: true, force: true })
const distinct = new Set(rowCounts.values())
if (distinct.size > 1) throw new Error(`row counts differ across cases: ${JSON.stringify(Object.fromEntries(rowCounts))}`)

const name = values.name ?? (v1 ? `${media}-${sizeText}` : `v2-${media}-${sizeText}`)
const resultsDir = join(root, 'benchmarks/results')
mkdirSync(resultsDir, { recursive: true })
const report = { name, date: new Date().toISOString(), node: process.version, input: { file: input, bytes }, repeat, results }
writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
const table = [
  `# ${name} (${(bytes / 1e6).toFixed(0)} MB, ${report.date}, Node ${process.version})`,
  '',
  ...(repeat > 1 ? [`Each case ran ${repeat} times: wall s is the median (all runs in the JSON), peak RSS the highest.`, ''] : []),
  `CPU s: user + system seconds of the case's process, + those of the PostgreSQL server during the run. CPU floor s: that CPU over the ${cores} cores, the least wall time it can take here.`,
  '',
  '| case | goal | wall s | MB/s | rows/s | peak RSS MiB | CPU s | CPU floor s | x parse | x lines+parse | x read | x psql copy | wall, RSS x DuckDB |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.goal} | ${r.wallSeconds} | ${r.mbPerSecond} | ${r.rowsPerSecond ?? ''} | ${r.peakRssMiB} | ${r.cpuSeconds}${r.serverCpuSeconds === undefined ? '' : ` + ${r.serverCpuSeconds}`} | ${r.cpuFloorSeconds} | ${r.ratioToParse ?? ''} | ${r.ratioToLinesParse ?? ''} | ${r.ratioToRead} | ${r.ratioToCopy ?? ''} | ${r.vsDuckdb === undefined ? '' : `${r.vsDuckdb.wall}, ${r.vsDuckdb.rss}`} |`,
  ),
  '',
  ...speedUpLines(),
  ...copyGoalLines(),
].join('\n')
writeFileSync(join(resultsDir, `${name}.md`), table)
process.stdout.write(table)

/**
 * v2 -> Postgres (issue 6, 7): `labelpipe load --to postgres://` with 1 and 2 workers into a server started here
 * (benchmarks/src/postgres-server.ts, or PG_URL), and the COPY ceiling: the same rows as CSV, \copy'd by psql
 * into tables defined like labelpipe's. Goal: table rows/s >= 0.7x psql's, peak RSS < 300 MB.
 */
async function runPostgresCases(): Promise<void> {
  const names = [`v2_${media}_to_postgres`, `v2_${media}_to_postgres_workers2`, 'baseline_psql_copy']
  if (values['no-postgres'] === true || (only !== undefined && !names.some((n) => only.includes(n)))) return
  const server = await startPostgresServer()
  try {
    const url = new URL(server.url)
    // psql reads the password from the environment, so it is not on a command line.
    process.env.PGPASSWORD = decodeURIComponent(url.password)
    url.password = ''
    const psql = psqlOf(server)
    const csvSource = join(out, 'ndjson')
    const csvDir = join(out, 'csv')
    rmSync(out, { recursive: true, force: true })
    mkdirSync(csvDir, { recursive: true })
    process.stderr.write('preparing the CSV of baseline_psql_copy\n')
    await measure(process.execPath, [bin, 'load', input, '--to', `ndjson:${csvSource}`, '--workers', '2', '-q'])
    const csvRows = await ndjsonTablesToCsv(csvSource, csvDir)
    rmSync(csvSource, { recursive: true, force: true })
    const totalRows = [...csvRows.values()].reduce((a, b) => a + b, 0)
    // The single-thread case first: its schema is the one the baseline's tables are made like.
    process.stderr.write(`running ${names[0]}\n`)
    // Each run loads into empty tables: a repeat would otherwise merge into the previous run's rows.
    const load = (schema: string, extra: readonly string[]) => async () => {
      await runFile(psql, [url.toString(), '-X', '-q', '-c', `DROP SCHEMA IF EXISTS ${schema} CASCADE`])
      return measure(
        process.execPath,
        [bin, 'load', input, '--to', url.toString(), '--pg-schema', schema, ...extra, '-q'],
        {},
        server.cpuSeconds,
      )
    }
    const single = await measured(load('bench_one', []))
    process.stderr.write(`running ${names[1]}\n`)
    const two = await measured(load('bench_two', ['--workers', '2']))
    process.stderr.write('running baseline_psql_copy\n')
    const copy = await measured(() =>
      measure(psql, psqlCopyArgs(url.toString(), 'bench_one', 'bench_copy', csvDir, [...csvRows.keys()]), {}, server.cpuSeconds),
    )
    const copyRowsPerSecond = totalRows / copy.wallSeconds
    record('baseline_psql_copy', `COPY ceiling (${totalRows} rows as CSV)`, copy, totalRows)
    const goal = '>= 0.7x psql \\copy rows/s, RSS < 300 MB'
    record(names[0] as string, goal, single, totalRows, copyRowsPerSecond)
    record(names[1] as string, goal, two, totalRows, copyRowsPerSecond)
    rowCounts.set('postgres (CSV)', totalRows)
    for (const schema of ['bench_one', 'bench_two', 'bench_copy']) {
      const sum = [...csvRows.keys()].map((table) => `(SELECT count(*) FROM ${schema}.${table})`).join(' + ')
      const { stdout } = await runFile(psql, [url.toString(), '-X', '-tA', '-c', `SELECT ${sum}`])
      rowCounts.set(`postgres ${schema}`, Number(stdout.trim()))
    }
  } finally {
    await server.stop()
    rmSync(out, { recursive: true, force: true })
  }
}

async function runV2Cases(): Promise<void> {
  // `_workers2`: `load --workers 2`, the export split by byte ranges across two worker threads (issue 7); peak RSS
  // is the whole process's, every thread included.
  const cases = [
    { name: `v2_${media}_to_parquet_wasm`, goal: '>= 0.5x parse ceiling, RSS < 300 MB', to: 'parquet', engine: 'parquet-wasm', workers: 1 },
    {
      name: `v2_${media}_to_parquet_wasm_workers2`,
      goal: '>= 0.5x parse ceiling, RSS < 300 MB',
      to: 'parquet',
      engine: 'parquet-wasm',
      workers: 2,
    },
    { name: `v2_${media}_to_parquet_lite`, goal: 'pure-JS engine, reported', to: 'parquet', engine: 'parquetjs-lite', workers: 1 },
    { name: `v2_${media}_to_ndjson`, goal: 'RSS < 300 MB', to: 'ndjson', engine: undefined, workers: 1 },
    { name: `v2_${media}_to_ndjson_workers2`, goal: 'RSS < 300 MB', to: 'ndjson', engine: undefined, workers: 2 },
  ] as { name: string; goal: string; to: 'parquet' | 'ndjson'; engine?: string; workers: number; tables?: string }[]
  // DuckDB's own task, for the like-for-like comparison: `--tables frame_objects`, the frame-level table alone.
  if (media.startsWith('video')) {
    const goal = 'frame table alone: <= 1.5x DuckDB wall (2 workers), <= 1/6 its RSS'
    for (const workers of [1, 2]) {
      const name = `v2_${media}_frame_table_to_parquet${workers === 2 ? '_workers2' : ''}`
      cases.push({ name, goal, to: 'parquet', engine: 'parquet-wasm', workers, tables: 'frame_objects' })
    }
  }
  // DuckDB's frame-level table: only exports with frames (video). Its row count must equal frame_objects'.
  let duckdb: { m: RepeatedMeasurement; rows: number } | undefined
  if (media.startsWith('video') && (only === undefined || only.includes('baseline_duckdb_frames'))) {
    process.stderr.write('running baseline_duckdb_frames\n')
    const m = await measured(() => {
      rmSync(out, { recursive: true, force: true })
      mkdirSync(out, { recursive: true })
      return measure(process.execPath, [join(dist, 'baseline-duckdb.js'), input, join(out, 'frames.parquet')])
    })
    duckdb = { m, rows: JSON.parse(m.stdout).rows as number }
    record('baseline_duckdb_frames', `typed read_json -> frame table -> Parquet (${duckdb.rows} rows)`, m, duckdb.rows)
  }
  for (const c of cases) {
    if (only !== undefined && !only.includes(c.name)) continue
    const args = [bin, 'load', input, '--to', `${c.to}:${out}`, '--load-id', c.name]
    if (c.engine !== undefined) args.push('--parquet-engine', c.engine)
    if (c.workers > 1) args.push('--workers', String(c.workers))
    if (c.tables !== undefined) args.push('--tables', c.tables)
    process.stderr.write(`running ${c.name}\n`)
    const m = await measured(() => {
      rmSync(out, { recursive: true, force: true })
      return measure(process.execPath, args)
    })
    const manifest = JSON.parse(readFileSync(join(out, '_manifests', `${c.name}.json`), 'utf8')) as { rows: Record<string, number> }
    const rows = Object.values(manifest.rows).reduce((a, b) => a + b, 0)
    // Every case writes the same rows, but the one table of --tables.
    if (c.tables === undefined) rowCounts.set(c.name, rows)
    record(c.name, c.goal, m, rows)
    if (duckdb !== undefined && c.to === 'parquet') {
      if (manifest.rows.frame_objects !== duckdb.rows)
        throw new Error(`${c.name}: ${manifest.rows.frame_objects} frame_objects rows, DuckDB ${duckdb.rows}`)
      const vsDuckdb = { wall: round2(m.wallSeconds / duckdb.m.wallSeconds), rss: round2(m.peakRssBytes / duckdb.m.peakRssBytes) }
      results[results.length - 1] = { ...(results.at(-1) as CaseResult), vsDuckdb }
    }
  }
}

/**
 * Export v1 (issue 4): readV1Export alone (goal >= 0.8x the element ceiling); `labelpipe convert` to v2 NDJSON
 * under the default 256 MiB grouping budget (goal: peak RSS < budget + 150 MB, each data row id on exactly one
 * line, checked here after the run); and `labelpipe load` of it to Parquet.
 */
async function runV1Cases(): Promise<void> {
  const budgetMiB = 256
  const rssGoal = `RSS < ${budgetMiB} MiB budget + 150 MB`
  if (only === undefined || only.includes('v1_read')) {
    process.stderr.write('running v1_read\n')
    const m = await measured(() => measure(process.execPath, [join(dist, 'read-v1.js'), input]))
    record('v1_read', '>= 0.8x v1 parse ceiling', m, JSON.parse(m.stdout).labels as number)
  }
  if (only === undefined || only.includes('v1_convert')) {
    const converted = join(out, 'v2.ndjson')
    process.stderr.write('running v1_convert\n')
    const m = await measured(() => {
      rmSync(out, { recursive: true, force: true })
      mkdirSync(out, { recursive: true })
      return measure(process.execPath, [bin, 'convert', input, '--out', converted, '--memory-budget-mb', String(budgetMiB), '-q'])
    })
    const { lines, distinctIds } = await dataRowIds(converted)
    if (lines !== distinctIds) throw new Error(`v1_convert: ${lines} lines but ${distinctIds} distinct data row ids`)
    if (m.peakRssBytes > budgetMiB * 2 ** 20 + 150e6) process.stderr.write(`v1_convert: peak RSS over ${rssGoal}\n`)
    record('v1_convert', `${rssGoal}; ids unique (${lines} lines, checked)`, m, lines)
  }
  if (only === undefined || only.includes('v1_to_parquet_wasm')) {
    process.stderr.write('running v1_to_parquet_wasm\n')
    const m = await measured(() => {
      rmSync(out, { recursive: true, force: true })
      return measure(process.execPath, [bin, 'load', input, '--to', `parquet:${out}`, '--load-id', 'v1_to_parquet_wasm', '-q'])
    })
    const manifest = JSON.parse(readFileSync(join(out, '_manifests', 'v1_to_parquet_wasm.json'), 'utf8')) as {
      rows: Record<string, number>
    }
    record(
      'v1_to_parquet_wasm',
      rssGoal,
      m,
      Object.values(manifest.rows).reduce((a, b) => a + b, 0),
    )
  }
}

/**
 * Export v1 video with frames over HTTP (issue 7): `labelpipe load` of raw video labels whose frames are fetched
 * from a local server (bench-frames-resolvers.js --serve, a child process: a remote API's work is not ours), against
 * the same load reading the same frames files with --frames-dir. Goal: >= 0.7x its rows/s (issue 5); equal rows.
 */
async function runV1FramesCases(): Promise<void> {
  const dir = framesDir as string
  const server = spawn(process.execPath, [join(dist, 'bench-frames-resolvers.js'), '--serve', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    const { api } = JSON.parse(String((await once(server.stdout, 'data'))[0])) as { api: string }
    const overHttp = `${input}.http.json`
    writeFileSync(overHttp, readFileSync(input, 'utf8').replaceAll('https://api.labelbox.com/v1/frames/', `${api}/v1/frames/`))
    const load = async (name: string, args: readonly string[], env: Record<string, string>) => {
      process.stderr.write(`running ${name}\n`)
      const m = await measured(() => {
        rmSync(out, { recursive: true, force: true })
        return measure(process.execPath, [bin, 'load', ...args, '--to', `parquet:${out}`, '--load-id', name, '-q'], env)
      })
      const manifest = JSON.parse(readFileSync(join(out, '_manifests', `${name}.json`), 'utf8')) as { rows: Record<string, number> }
      const rows = Object.values(manifest.rows).reduce((a, b) => a + b, 0)
      rowCounts.set(name, rows)
      return { m, rows }
    }
    const fromDir = await load('v1_video_frames_dir', [input, '--frames-dir', dir], {})
    const http = await load('v1_video_frames_http', [overHttp, '--frames-concurrency', '8'], { LABELBOX_API_KEY: 'benchmark-key' })
    record('v1_video_frames_dir', 'baseline: the same frames read from files', fromDir.m, fromDir.rows)
    record('v1_video_frames_http', `>= 0.7x --frames-dir rows/s: ${round2(fromDir.m.wallSeconds / http.m.wallSeconds)}x`, http.m, http.rows)
    rmSync(overHttp, { force: true })
  } finally {
    server.kill()
  }
}

/** Lines of a v2 NDJSON file and the distinct `data_row.id`s among them. */
async function dataRowIds(path: string): Promise<{ lines: number; distinctIds: number }> {
  const ids = new Set<string>()
  let lines = 0
  for await (const line of createReadStream(path).pipe(split2()) as AsyncIterable<string>) {
    if (line === '') continue
    lines++
    ids.add((JSON.parse(line) as { data_row: { id: string } }).data_row.id)
  }
  return { lines, distinctIds: ids.size }
}

/**
 * Two threads over one, wall time over wall time, for each case that ran both ways, beside the same ratio of the
 * bare hand-split parse: what two threads gain on this machine when they share nothing but the cores (issue 7).
 */
function speedUpLines(): string[] {
  const byName = new Map(results.map((r) => [r.name, r]))
  const pairs: [string, string][] = [
    ['baseline_lines_json_parse', 'baseline_lines_json_parse_x2'],
    ...results.filter((r) => r.name.endsWith('_workers2')).map((r): [string, string] => [r.name.slice(0, -'_workers2'.length), r.name]),
  ]
  const lines = pairs.flatMap(([one, two]) => {
    const [a, b] = [byName.get(one), byName.get(two)]
    return a === undefined || b === undefined
      ? []
      : [`| ${two} | ${round2(a.wallSeconds / b.wallSeconds)}x | ${a.cpuSeconds} -> ${b.cpuSeconds} |`]
  })
  return lines.length === 0
    ? []
    : [
        'Two threads over one (wall time of the one-thread case over this one; CPU s of the process, one thread -> two):',
        '',
        '| case | speed-up | CPU s |',
        '|---|---:|---:|',
        ...lines,
        '',
      ]
}

/**
 * What issue 6's goal asks of the Postgres cases in this run: the wall time at 0.7x psql's rows/s (the same rows,
 * so psql's wall time / 0.7), beside the least wall time the case's CPU work (loader + server) can take here.
 */
function copyGoalLines(): string[] {
  const copy = results.find((r) => r.name === 'baseline_psql_copy')
  const cases = results.filter((r) => r.ratioToCopy !== undefined)
  if (copy === undefined || cases.length === 0) return []
  return [
    `Postgres against the 0.7x psql goal (psql: ${copy.wallSeconds} s, CPU ${copy.cpuSeconds} s + server ${copy.serverCpuSeconds ?? '?'} s):`,
    '',
    '| case | wall s | wall s at 0.7x psql | CPU floor s |',
    '|---|---:|---:|---:|',
    ...cases.map((r) => `| ${r.name} | ${r.wallSeconds} | ${round2(copy.wallSeconds / 0.7)} | ${r.cpuFloorSeconds} |`),
    '',
  ]
}

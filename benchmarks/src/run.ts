// labelpipe benchmark harness: `pnpm bench [--quick | --size 1GB] [--media image|video|mixed] [--only name,...]`.
//
// Method: a seeded synthetic Export v2 is generated once per size under benchmarks/data/ (gitignored) and
// reused. Every case and every baseline runs as its own child process under `/usr/bin/time -v` (peak RSS is
// the kernel's count), one after another, in the same invocation, on the same file. Results are ratios to
// the baselines of the same run, because these 2-core machines are noisy (docs/facts.md): compare ratios,
// not absolute MB/s across runs. Row counts are asserted equal across the Parquet and NDJSON variants.
// Baselines: fs read (I/O ceiling) and split2 + JSON.parse (parse ceiling).
// Output: benchmarks/results/<name>.json and .md.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { writeV2Export } from './generate-v2-export.js'
import { type Measurement, measure } from './measure.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'packages/cli/bin/labelpipe.js')
const dist = dirname(fileURLToPath(import.meta.url))

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    size: { type: 'string' },
    media: { type: 'string' },
    only: { type: 'string' },
    name: { type: 'string' },
  },
})
const media = values.media ?? 'image'
if (media !== 'image' && media !== 'video' && media !== 'mixed') throw new Error(`--media takes image, video or mixed, got ${media}`)
const sizeText = values.size ?? (values.quick ? '100MB' : '1GB')
const size = parseSize(sizeText)
const only = values.only?.split(',')

interface CaseResult {
  readonly name: string
  readonly goal: string
  readonly wallSeconds: number
  readonly mbPerSecond: number
  readonly rowsPerSecond: number | null
  readonly peakRssMiB: number
  readonly ratioToParse: number
  readonly ratioToRead: number
}

const input = join(root, 'benchmarks/data', `v2-${media}-${sizeText}.ndjson`)
mkdirSync(dirname(input), { recursive: true })
if (!existsSync(input)) {
  process.stderr.write(`generating ${input}\n`)
  await writeV2Export(input, { seed: 1, media, targetBytes: size })
}
const bytes = statSync(input).size
const out = join(root, 'benchmarks/data/out')

const read = await measure(process.execPath, [join(dist, 'baseline-read.js'), input])
const parse = await measure(process.execPath, [join(dist, 'baseline-parse.js'), input])
const results: CaseResult[] = []
const rowCounts = new Map<string, number>()
const mbps = (m: Measurement) => bytes / 1e6 / m.wallSeconds

function record(name: string, goal: string, m: Measurement, rows: number | null) {
  results.push({
    name,
    goal,
    wallSeconds: round(m.wallSeconds),
    mbPerSecond: round(mbps(m)),
    rowsPerSecond: rows === null ? null : Math.round(rows / m.wallSeconds),
    peakRssMiB: round(m.peakRssBytes / 2 ** 20),
    ratioToParse: round(mbps(m) / mbps(parse)),
    ratioToRead: round(mbps(m) / mbps(read)),
  })
}

record('baseline_fs_read', 'I/O ceiling', read, null)
record('baseline_split2_json_parse', 'parse ceiling', parse, JSON.parse(parse.stdout).lines as number)

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
] as const
for (const c of cases) {
  if (only !== undefined && !only.includes(c.name)) continue
  rmSync(out, { recursive: true, force: true })
  const args = [bin, 'load', input, '--to', `${c.to}:${out}`, '--load-id', c.name]
  if (c.engine !== undefined) args.push('--parquet-engine', c.engine)
  if (c.workers > 1) args.push('--workers', String(c.workers))
  process.stderr.write(`running ${c.name}\n`)
  const m = await measure(process.execPath, args)
  const manifest = JSON.parse(readFileSync(join(out, '_manifests', `${c.name}.json`), 'utf8')) as { rows: Record<string, number> }
  const rows = Object.values(manifest.rows).reduce((a, b) => a + b, 0)
  rowCounts.set(c.name, rows)
  record(c.name, c.goal, m, rows)
}
rmSync(out, { recursive: true, force: true })
const distinct = new Set(rowCounts.values())
if (distinct.size > 1) throw new Error(`row counts differ across cases: ${JSON.stringify(Object.fromEntries(rowCounts))}`)

const name = values.name ?? `v2-${media}-${sizeText}`
const resultsDir = join(root, 'benchmarks/results')
mkdirSync(resultsDir, { recursive: true })
const report = { name, date: new Date().toISOString(), node: process.version, input: { file: input, bytes }, results }
writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
const table = [
  `# ${name} (${(bytes / 1e6).toFixed(0)} MB, ${report.date}, Node ${process.version})`,
  '',
  '| case | goal | wall s | MB/s | rows/s | peak RSS MiB | x parse | x read |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.goal} | ${r.wallSeconds} | ${r.mbPerSecond} | ${r.rowsPerSecond ?? ''} | ${r.peakRssMiB} | ${r.ratioToParse} | ${r.ratioToRead} |`,
  ),
  '',
].join('\n')
writeFileSync(join(resultsDir, `${name}.md`), table)
process.stdout.write(table)

function round(n: number): number {
  return Math.round(n * 100) / 100
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(KB|MB|GB)$/i.exec(text)
  if (match === null) throw new Error(`--size takes e.g. 100MB or 1GB, got ${text}`)
  const unit = { KB: 1e3, MB: 1e6, GB: 1e9 }[(match[2] as string).toUpperCase() as 'KB' | 'MB' | 'GB']
  return Math.round(Number(match[1]) * unit)
}

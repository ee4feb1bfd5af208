// labelpipe benchmark harness: `pnpm bench [--quick | --size 1GB] [--media image|video|mixed|v1-image] [--only name,...]`.
//
// Method: a seeded synthetic Export v2 is generated once per size under benchmarks/data/ (gitignored) and
// reused. Every case and every baseline runs as its own child process under `/usr/bin/time -v` (peak RSS is
// the kernel's count), one after another, in the same invocation, on the same file. Results are ratios to
// the baselines of the same run, because these 2-core machines are noisy (docs/facts.md): compare ratios,
// not absolute MB/s across runs. Row counts are asserted equal across the Parquet and NDJSON variants.
// Baselines: fs read (I/O ceiling) and split2 + JSON.parse (parse ceiling); for `--media v1-image` (an Export v1
// whose data rows are spread across the label array) fs read and the element scanner + JSON.parse (v1 ceiling).
// Output: benchmarks/results/<name>.json and .md.
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import split2 from 'split2'
import { writeV1Export } from './generate-v1-export.js'
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
if (media !== 'image' && media !== 'video' && media !== 'mixed' && media !== 'v1-image')
  throw new Error(`--media takes image, video, mixed or v1-image, got ${media}`)
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

const v1 = media === 'v1-image'
const input = join(root, 'benchmarks/data', v1 ? `v1-image-${sizeText}-spread.json` : `v2-${media}-${sizeText}.ndjson`)
mkdirSync(dirname(input), { recursive: true })
if (!existsSync(input)) {
  process.stderr.write(`generating ${input}\n`)
  // A v1 image label is ~0.69x the bytes of its v2 data row (measured: 1.46e9 v2 bytes -> 1.005e9 v1 bytes); the
  // reservoir of 100,000 labels scatters each data row's labels far apart, so grouping must sort and spill.
  if (v1) await writeV1Export(input, { seed: 1, media: 'image', targetBytes: Math.round(size / 0.688), spread: 100_000 })
  else await writeV2Export(input, { seed: 1, media, targetBytes: size })
}
const bytes = statSync(input).size
const out = join(root, 'benchmarks/data/out')

const read = await measure(process.execPath, [join(dist, 'baseline-read.js'), input])
const parse = await measure(process.execPath, [join(dist, v1 ? 'baseline-v1-elements.js' : 'baseline-parse.js'), input])
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
if (v1) record('baseline_v1_element_scanner', 'v1 parse ceiling', parse, JSON.parse(parse.stdout).elements as number)
else record('baseline_split2_json_parse', 'parse ceiling', parse, JSON.parse(parse.stdout).lines as number)
if (v1) await runV1Cases()
else await runV2Cases()

rmSync(out, { recursive: true, force: true })
const distinct = new Set(rowCounts.values())
if (distinct.size > 1) throw new Error(`row counts differ across cases: ${JSON.stringify(Object.fromEntries(rowCounts))}`)

const name = values.name ?? (v1 ? `v1-image-${sizeText}` : `v2-${media}-${sizeText}`)
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
    const m = await measure(process.execPath, [join(dist, 'read-v1.js'), input])
    record('v1_read', '>= 0.8x v1 parse ceiling', m, JSON.parse(m.stdout).labels as number)
  }
  if (only === undefined || only.includes('v1_convert')) {
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out, { recursive: true })
    const converted = join(out, 'v2.ndjson')
    process.stderr.write('running v1_convert\n')
    const m = await measure(process.execPath, [bin, 'convert', input, '--out', converted, '--memory-budget-mb', String(budgetMiB), '-q'])
    const { lines, distinctIds } = await dataRowIds(converted)
    if (lines !== distinctIds) throw new Error(`v1_convert: ${lines} lines but ${distinctIds} distinct data row ids`)
    if (m.peakRssBytes > budgetMiB * 2 ** 20 + 150e6) process.stderr.write(`v1_convert: peak RSS over ${rssGoal}\n`)
    record('v1_convert', `${rssGoal}; ids unique (${lines} lines, checked)`, m, lines)
  }
  if (only === undefined || only.includes('v1_to_parquet_wasm')) {
    rmSync(out, { recursive: true, force: true })
    process.stderr.write('running v1_to_parquet_wasm\n')
    const m = await measure(process.execPath, [bin, 'load', input, '--to', `parquet:${out}`, '--load-id', 'v1_to_parquet_wasm', '-q'])
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

function round(n: number): number {
  return Math.round(n * 100) / 100
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(KB|MB|GB)$/i.exec(text)
  if (match === null) throw new Error(`--size takes e.g. 100MB or 1GB, got ${text}`)
  const unit = { KB: 1e3, MB: 1e6, GB: 1e9 }[(match[2] as string).toUpperCase() as 'KB' | 'MB' | 'GB']
  return Math.round(Number(match[1]) * unit)
}

// Scaling check (issue 7): the same loads on 100 MB, 1 GB and 5 GB generated exports, in one invocation.
// `pnpm bench:scaling [--media image|video] [--sizes 100MB,1GB,5GB]`. Flags a case whose throughput at a larger
// size falls more than 10% below its best at a smaller size of at least 1 GB, or whose peak RSS grows more than 10%
// (+10 MiB of slack for the runtime) over the largest there: flat memory means the same peak for 5 GB as for 1 GB.
// Output: benchmarks/results/scaling-<media>.json, .md and .svg (throughput and peak RSS vs input size).
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { writeV2Export } from './generate-v2-export.js'
import { measure, round2 } from './measure.js'
import { parseSize } from './sizes.js'
import { lineChartSvg } from './svg-chart.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'packages/cli/bin/labelpipe.js')
const dist = dirname(fileURLToPath(import.meta.url))

const { values } = parseArgs({ options: { media: { type: 'string' }, sizes: { type: 'string' } } })
const media = values.media ?? 'video'
if (media !== 'image' && media !== 'video') throw new Error(`--media takes image or video, got ${media}`)
const sizes = (values.sizes ?? '100MB,1GB,5GB').split(',')

const cases = [
  { name: 'parquet_wasm', args: ['--to', 'parquet:OUT'] },
  { name: 'parquet_wasm_workers2', args: ['--to', 'parquet:OUT', '--workers', '2'] },
  { name: 'ndjson', args: ['--to', 'ndjson:OUT'] },
] as const

interface Point {
  readonly size: string
  readonly bytes: number
  readonly wallSeconds: number
  readonly mbPerSecond: number
  readonly peakRssMiB: number
  readonly ratioToParse: number
}

const points = new Map<string, Point[]>([['split2_json_parse', []], ...cases.map((c) => [c.name, []] as [string, Point[]])])
const out = join(root, 'benchmarks/data/out')
for (const size of sizes) {
  const input = join(root, 'benchmarks/data', `v2-${media}-${size}.ndjson`)
  mkdirSync(dirname(input), { recursive: true })
  if (!existsSync(input)) {
    process.stderr.write(`generating ${input}\n`)
    await writeV2Export(input, { seed: 1, media, targetBytes: parseSize(size) })
  }
  const bytes = statSync(input).size
  const parse = await measure(process.execPath, [join(dist, 'baseline-parse.js'), input])
  const point = (wallSeconds: number, peakRssBytes: number): Point => ({
    size,
    bytes,
    wallSeconds: round2(wallSeconds),
    mbPerSecond: round2(bytes / 1e6 / wallSeconds),
    peakRssMiB: round2(peakRssBytes / 2 ** 20),
    ratioToParse: round2(parse.wallSeconds / wallSeconds),
  })
  points.get('split2_json_parse')?.push(point(parse.wallSeconds, parse.peakRssBytes))
  for (const c of cases) {
    rmSync(out, { recursive: true, force: true })
    process.stderr.write(`running ${c.name} on ${size}\n`)
    const m = await measure(process.execPath, [bin, 'load', input, ...c.args.map((a) => a.replace('OUT', out)), '-q'])
    points.get(c.name)?.push(point(m.wallSeconds, m.peakRssBytes))
  }
  rmSync(out, { recursive: true, force: true })
}

/**
 * What the check found wrong with one case's points, in size order. Inputs under 1 GB are reported but are no
 * reference: below that a run does not reach its steady state (startup is a visible part of its time, and its
 * buffers, Parquet row groups of 12,500 rows and the young generation, are not full yet), so its peak RSS is lower
 * for a reason that is not flat memory failing.
 */
function flagsOf(series: readonly Point[]): string[] {
  const flags: string[] = []
  for (let i = 1; i < series.length; i++) {
    const here = series[i] as Point
    const before = series.slice(0, i).filter((p) => p.bytes >= 1e9)
    if (before.length === 0) continue
    const bestThroughput = Math.max(...before.map((p) => p.mbPerSecond))
    const largestRss = Math.max(...before.map((p) => p.peakRssMiB))
    if (here.mbPerSecond < 0.9 * bestThroughput) flags.push(`throughput at ${here.size} ${here.mbPerSecond} MB/s < 0.9 x ${bestThroughput}`)
    if (here.peakRssMiB > 1.1 * largestRss + 10) flags.push(`peak RSS at ${here.size} ${here.peakRssMiB} MiB > 1.1 x ${largestRss} + 10`)
  }
  return flags
}

const name = `scaling-${media}`
const date = new Date().toISOString()
const report = {
  name,
  date,
  node: process.version,
  sizes,
  cases: Object.fromEntries([...points].map(([c, p]) => [c, { points: p, flags: flagsOf(p) }])),
}
const resultsDir = join(root, 'benchmarks/results')
mkdirSync(resultsDir, { recursive: true })
writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
const rows = [...points].flatMap(([c, series]) =>
  series.map((p) => `| ${c} | ${p.size} | ${p.wallSeconds} | ${p.mbPerSecond} | ${p.peakRssMiB} | ${p.ratioToParse} |`),
)
const flagged = [...points].flatMap(([c, series]) => flagsOf(series).map((flag) => `- ${c}: ${flag}`))
const markdown = [
  `# ${name} (${date}, Node ${process.version})`,
  '',
  '| case | input | wall s | MB/s | peak RSS MiB | x parse |',
  '|---|---|---:|---:|---:|---:|',
  ...rows,
  '',
  flagged.length === 0 ? 'Scaling check: no flag (throughput within 10%, peak RSS flat).' : `Scaling check flags:\n${flagged.join('\n')}`,
  '',
].join('\n')
writeFileSync(join(resultsDir, `${name}.md`), markdown)
const chartSeries = [...points].map(([c, series]) => ({
  name: c,
  points: series.map((p) => ({ x: p.bytes, values: [p.mbPerSecond, p.peakRssMiB] })),
}))
writeFileSync(
  join(resultsDir, `${name}.svg`),
  lineChartSvg(
    `labelpipe load, generated v2 ${media} export (${date.slice(0, 10)})`,
    [{ title: 'throughput, MB/s' }, { title: 'peak RSS, MiB', goal: { value: 300 * 0.954, label: '300 MB' } }],
    chartSeries,
  ),
)
process.stdout.write(markdown)

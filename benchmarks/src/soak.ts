// Soak (issue 9): a generated export of 10 GB, images and video mixed, loaded to Parquet and to PostgreSQL with
// `--workers 2`; peak RSS must stay under 300 MB and the final row counts must equal the generator's.
// `pnpm bench:soak [--size 10GB]`. Output: benchmarks/results/soak-<size>.json and .md.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { tableNames } from '@labelpipe/core'
import { expectedRows } from './expected-rows.js'
import { type GeneratedStats, writeV2Export } from './generate-v2-export.js'
import { type Measurement, measure, round2 } from './measure.js'
import { psqlOf, startPostgresServer } from './postgres-server.js'
import { parseSize } from './sizes.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'packages/cli/bin/labelpipe.js')
const runFile = promisify(execFile)
const { values } = parseArgs({ options: { size: { type: 'string' } } })
const sizeText = values.size ?? '10GB'

const input = join(root, 'benchmarks/data', `v2-mixed-${sizeText}.ndjson`)
const statsFile = `${input}.stats.json`
mkdirSync(dirname(input), { recursive: true })
if (!existsSync(input) || !existsSync(statsFile)) {
  process.stderr.write(`generating ${input}\n`)
  const stats = await writeV2Export(input, { seed: 1, media: 'mixed', targetBytes: parseSize(sizeText) })
  writeFileSync(statsFile, JSON.stringify(stats))
}
const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as GeneratedStats
const expected = expectedRows(stats)
const out = join(root, 'benchmarks/data/out')
const results: {
  name: string
  wallSeconds: number
  mbPerSecond: number
  peakRssMiB: number
  peakRssMB: number
  /** User + system CPU seconds of the load, and of the PostgreSQL server during it (Postgres only). */
  cpuSeconds: number
  serverCpuSeconds: number | undefined
  countsEqual: boolean
  mismatches: string[]
}[] = []

function check(name: string, m: Measurement, rows: Record<string, number>) {
  const { wallSeconds, peakRssBytes } = m
  const mismatches = tableNames
    .filter((table) => (rows[table] ?? 0) !== expected[table])
    .map((t) => `${t} ${rows[t] ?? 0} != ${expected[t]}`)
  results.push({
    name,
    wallSeconds: round2(wallSeconds),
    mbPerSecond: round2(stats.bytes / 1e6 / wallSeconds),
    peakRssMiB: round2(peakRssBytes / 2 ** 20),
    peakRssMB: round2(peakRssBytes / 1e6),
    cpuSeconds: round2(m.cpuSeconds),
    serverCpuSeconds: m.serverCpuSeconds === undefined ? undefined : round2(m.serverCpuSeconds),
    countsEqual: mismatches.length === 0,
    mismatches,
  })
}

rmSync(out, { recursive: true, force: true })
process.stderr.write('running soak_parquet_workers2\n')
const parquet = await measure(process.execPath, [bin, 'load', input, '--to', `parquet:${out}`, '--workers', '2', '--load-id', 'soak', '-q'])
const manifest = JSON.parse(readFileSync(join(out, '_manifests', 'soak.json'), 'utf8')) as { rows: Record<string, number> }
check('soak_parquet_workers2', parquet, manifest.rows)
rmSync(out, { recursive: true, force: true })

const server = await startPostgresServer()
try {
  process.stderr.write('running soak_postgres_workers2\n')
  // The password goes in the environment, never on a command line that a failure message would print.
  const url = new URL(server.url)
  process.env.PGPASSWORD = decodeURIComponent(url.password)
  url.password = ''
  const load = [bin, 'load', input, '--to', url.toString(), '--pg-schema', 'soak', '--workers', '2', '-q']
  const pg = await measure(process.execPath, load, {}, server.cpuSeconds)
  const counts = tableNames.map((table) => `'${table}', (SELECT count(*) FROM soak.${table})`).join(', ')
  const { stdout } = await runFile(psqlOf(server), [url.toString(), '-X', '-tA', '-c', `SELECT json_build_object(${counts})`])
  check('soak_postgres_workers2', pg, JSON.parse(stdout) as Record<string, number>)
} finally {
  await server.stop()
}

const name = `soak-${sizeText}`
const date = new Date().toISOString()
const report = {
  name,
  date,
  node: process.version,
  input: { file: input, bytes: stats.bytes, dataRows: stats.dataRows },
  expected,
  results,
}
mkdirSync(join(root, 'benchmarks/results'), { recursive: true })
writeFileSync(join(root, 'benchmarks/results', `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
const markdown = [
  `# ${name} (${(stats.bytes / 1e9).toFixed(2)} GB, ${stats.dataRows} data rows, ${date}, Node ${process.version})`,
  '',
  '| case | goal | wall s | MB/s | peak RSS MiB | peak RSS MB | CPU s (+ server) | counts = generator |',
  '|---|---|---:|---:|---:|---:|---:|---|',
  ...results.map(
    (r) =>
      `| ${r.name} | RSS < 300 MB, exact counts | ${r.wallSeconds} | ${r.mbPerSecond} | ${r.peakRssMiB} | ${r.peakRssMB} | ${r.cpuSeconds}${r.serverCpuSeconds === undefined ? '' : ` + ${r.serverCpuSeconds}`} | ${r.countsEqual ? 'yes' : `NO: ${r.mismatches.join('; ')}`} |`,
  ),
  '',
].join('\n')
writeFileSync(join(root, 'benchmarks/results', `${name}.md`), markdown)
process.stdout.write(markdown)

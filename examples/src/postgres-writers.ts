// One PostgreSQL load written by two writers, as `labelpipe load --workers 2 --to postgres://…` does: the file is
// split into byte ranges (rangeableFileBytes, splitIntoRanges), each range read by its own reader into its own
// staging writer (`load.stagingSink` here; postgresStagingSink is the same writer for another thread or process),
// then one commit. Then the cursors that commit recorded (readLoadCursors), where an incremental load starts.
// Run: DATABASE_URL=postgres://user:password@host/db node examples/dist/postgres-writers.js [export.ndjson] [schema]
import { newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { PostgresSinkError, postgresStagingSink, preparePostgresLoad, readLoadCursors } from '@labelpipe/sinks/postgres'
import { rangeableFileBytes, readV2Export, splitIntoRanges } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const connectionString = process.env.DATABASE_URL
if (connectionString === undefined) throw new Error('set DATABASE_URL to a postgres:// URL')
const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const schema = process.argv[3] ?? 'labelbox'
const loadId = newLoadId()
const startedAt = new Date()

// A regular, uncompressed file (byte ranges of gzip have no line starts): its size, then two ranges that tile it.
// A reader of a range reads the lines that start in it, so every line is read once, with its own line number.
const bytes = await rangeableFileBytes(input)
const ranges = splitIntoRanges({ start: 0, end: bytes }, 2)

// The run: tables created when missing, `load_runs` says running, staging tables ready.
const load = await preparePostgresLoad({ connectionString, schema, loadId, mode: 'merge' })
const sinks = [load.stagingSink(0), postgresStagingSink({ connectionString, schema, loadId, writer: 1 })]
const sources = ranges.map((range) => readV2Export(input, { range }))
const writers = sources.map((source, i) =>
  runPipeline({
    source,
    transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
    sink: sinks[i] as (typeof sinks)[number],
    signal: AbortSignal.timeout(120_000),
  }),
)
// Commit only once every writer has finished; on any failure, stop them all, then roll the run back.
const failed = (await Promise.allSettled(writers)).find((outcome) => outcome.status === 'rejected')
if (failed !== undefined) {
  for (const sink of sinks) sink.destroy()
  await load.rollback()
  throw failed.reason
}
const result = await load.commit({ source: 'v2', input, inputBytes: bytes, deadLetters: 0, startedAt })
console.log(
  `ranges ${ranges.map(({ start, end }) => `[${start}, ${end})`).join(' ')}: ${sources.map((s) => s.stats.records).join(' + ')} data rows`,
)
console.log(`load ${result.loadId} committed into schema ${result.schema} (${result.mode}): ${result.rows.data_rows} data_rows`)

// The cursors of `load_state`: per project, the latest last_activity_at loaded.
const cursors = await readLoadCursors({ connectionString, schema })
console.log(`cursors of ${Object.keys(cursors).length} projects, the latest ${Object.values(cursors).sort().at(-1)}`)

// A load id is committed once: another run under it is refused.
try {
  await preparePostgresLoad({ connectionString, schema, loadId })
  throw new Error('a committed load id was accepted again')
} catch (error) {
  if (!(error instanceof PostgresSinkError)) throw error
  console.log(`the same load id again: ${error.code} ${error.message}`)
}

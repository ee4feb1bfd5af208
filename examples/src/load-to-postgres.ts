// Loads the sample Export v2 into PostgreSQL with the library API: COPY into staging tables, one transaction.
// Run: DATABASE_URL=postgres://user:password@host/db node examples/dist/load-to-postgres.js [export.ndjson] [schema]
// Re-running it changes nothing: merge mode replaces each data row's rows (see packages/sinks/README.md).
import { newLoadId, runPipeline, runStage } from '@labelpipe/core'
import { postgresSink } from '@labelpipe/sinks/postgres'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const connectionString = process.env.DATABASE_URL
if (connectionString === undefined) throw new Error('set DATABASE_URL to a postgres:// URL')
const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const schema = process.argv[3] ?? 'labelbox'
const loadId = newLoadId()
const startedAt = new Date()

const source = readV2Export(input)
const sink = postgresSink({
  connectionString,
  schema,
  loadId,
  describeRun: () => ({ source: 'v2', input, inputBytes: source.progress().bytesRead, deadLetters: 0, startedAt }),
})
await runPipeline({
  source,
  transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
  sink,
  signal: AbortSignal.timeout(120_000),
})
console.log(`load ${loadId} committed into schema ${schema}:`, sink.loadRun?.rows)

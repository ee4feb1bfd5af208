// Issue 6: kill -9 of the loader at random points (mid-COPY, and as it commits), then: the target tables are as
// before the run, and the next run drops the leftover staging tables, marks the dead runs failed and loads
// exact counts with no duplicates. The loader is a child process running the built packages (dist/, as users
// run them: `tsc -b` comes before the tests).

import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { writeV2Export } from '@labelpipe/benchmarks'
import { runPipeline, runStage, tableNames } from '@labelpipe/core'
import { postgresSink } from '@labelpipe/sinks/postgres'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from './support/cli.js'
import { loadRuns, type PostgresServer, stagingTables, startPostgresServer, tableDigests, withClient } from './support/postgres-server.js'

let server: PostgresServer
let dir: string
let input: string
let before: string
let loader: string

const dist = (path: string) => pathToFileURL(join(repoRoot, 'packages', path)).href

// Prints `batch <n>` as each batch reaches the sink and `commit` when the sink asks for the run's facts, just
// before its commit transaction: the points the parent kills it at.
const loaderScript = `
import { runPipeline } from '${dist('core/dist/index.js')}'
import { postgresSink } from '${dist('sinks/dist/postgres/index.js')}'
import { readV2Export } from '${dist('sources/dist/index.js')}'
import { flattenDataRows } from '${dist('transforms/dist/index.js')}'
import { runStage } from '${dist('core/dist/index.js')}'

const [input, connectionString, schema, loadId] = process.argv.slice(2)
let batches = 0
const tap = async function* (source) {
  for await (const batch of source) {
    process.stdout.write('batch ' + ++batches + '\\n')
    yield batch
  }
}
await runPipeline({
  source: readV2Export(input),
  transforms: [
    { name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) },
    { name: 'tap', run: tap },
  ],
  sink: postgresSink({
    connectionString, schema, loadId,
    describeRun: () => {
      process.stdout.write('commit\\n')
      return { source: 'v2', input, inputBytes: 0, deadLetters: 0, startedAt: new Date() }
    },
  }),
})
process.stdout.write('done\\n')
`

beforeAll(async () => {
  server = await startPostgresServer()
  dir = await mkdtemp(join(tmpdir(), 'lp-pg-crash-'))
  input = join(dir, 'video.ndjson')
  before = join(dir, 'before.ndjson')
  loader = join(dir, 'loader.mjs')
  await writeV2Export(input, { media: 'video', dataRows: 60, framesPerVideo: 300, seed: 5 })
  await writeV2Export(before, { media: 'mixed', dataRows: 40, seed: 6 })
  await writeFile(loader, loaderScript)
})
afterAll(async () => {
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

async function load(file: string, schema: string, loadId: string): Promise<void> {
  await runPipeline({
    source: readV2Export(file),
    transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
    sink: postgresSink({ connectionString: server.url, schema, loadId }),
  })
}

/** Runs the loader and kills it (SIGKILL) when its stdout shows `line`; resolves with whether it was killed. */
function loadAndKillAt(schema: string, loadId: string, line: string): Promise<boolean> {
  const child = spawn(process.execPath, [loader, input, server.url, schema, loadId], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  let pending = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
  })
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    pending += text
    if (pending.split('\n').includes(line)) child.kill('SIGKILL')
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(true)
      else if (code === 0) resolve(false)
      else reject(new Error(`loader exited with ${code}: ${stderr}`))
    })
  })
}

/** Waits until the server has ended the killed loader's sessions (it notices at its next read from the socket). */
async function sessionsGone(loadId: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await withClient(server.url, (client) =>
      client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1`, [`labelpipe ${loadId}%`]),
    )
    if (rows[0]?.n === 0) return
    await delay(20)
  }
  throw new Error(`the sessions of ${loadId} are still there`)
}

describe('kill -9 of the loader', () => {
  it('at 10 random points leaves the tables as before; the next run sweeps up and loads exact counts', async () => {
    const schema = 'crash'
    await load(before, schema, 'before')
    const preCrash = await tableDigests(server.url, schema, tableNames)
    await load(before, 'expected', 'before')
    await load(input, 'expected', 'after')
    const postCrash = await tableDigests(server.url, 'expected', tableNames)
    const { rows: batchRows } = await withClient(server.url, (client) =>
      client.query<{ n: number }>(
        `SELECT sum((rows->>t)::int)::int AS n FROM expected.load_runs, jsonb_object_keys(rows) t WHERE load_id = 'after'`,
      ),
    )
    const batches = Math.ceil((batchRows[0]?.n ?? 0) / 512)
    expect(batches).toBeGreaterThan(50)

    // Nine kills while rows stream (random batches), one as the commit starts.
    const points = [...Array.from({ length: 9 }, () => `batch ${1 + Math.floor(Math.random() * batches)}`), 'commit']
    const killed: string[] = []
    for (const [i, point] of points.entries()) {
      const loadId = `killed-${i}`
      const wasKilled = await loadAndKillAt(schema, loadId, point)
      await sessionsGone(loadId)
      const now = await tableDigests(server.url, schema, tableNames)
      if (wasKilled) killed.push(loadId)
      // Killed before its COMMIT reached the server: as before. Only the kill at 'commit' may land after it.
      if (point === 'commit' && (await loadRuns(server.url, schema))[loadId] === 'committed') expect(now, point).toEqual(postCrash)
      else expect(now, point).toEqual(preCrash)
    }
    expect(killed.length).toBeGreaterThan(8)
    expect(await stagingTables(server.url, schema)).not.toEqual([])

    await load(input, schema, 'after')
    expect(await stagingTables(server.url, schema)).toEqual([])
    expect(await tableDigests(server.url, schema, tableNames)).toEqual(postCrash)
    const runs = await loadRuns(server.url, schema)
    expect(Object.values(runs).filter((status) => status === 'running')).toEqual([])
    // A loader killed while it was still connecting never registered its run; every other one shows.
    for (const loadId of killed) expect([undefined, 'failed', 'committed']).toContain(runs[loadId])
    expect(killed.filter((loadId) => runs[loadId] === 'failed').length).toBeGreaterThanOrEqual(6)
  })
})

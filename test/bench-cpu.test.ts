// Issue 7: the harness's CPU columns. A case's CPU seconds come from GNU time; a PostgreSQL server's from /proc,
// summed over its process tree, so backends that exited during the case still count.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { measure, processTreeCpuSeconds, psqlOf } from '@labelpipe/benchmarks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PostgresServer, startPostgresServer, withClient } from './support/postgres-server.js'

/** Node code that burns `seconds` of its own user CPU (not wall time: the test machine may be busy). */
const burn = (seconds: number) => `while (process.cpuUsage().user < ${seconds * 1e6});`

/** Polls `read` until it reaches `least` (or 20 s pass); returns the last value. */
async function waitFor(read: () => Promise<number>, least: number): Promise<number> {
  const deadline = Date.now() + 20_000
  let value = await read()
  while (value < least && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    value = await read()
  }
  return value
}

describe('processTreeCpuSeconds', () => {
  it('counts a live grandchild, and a child that exited once its parent reaped it', async () => {
    // sh runs one node to completion (reaped: sh's cutime), then one in the background that burns and waits.
    const script = `"${process.execPath}" -e "${burn(0.3)}"; "${process.execPath}" -e "${burn(0.3)} setTimeout(() => {}, 60000)" & wait`
    const shell = spawn('sh', ['-c', script], { stdio: 'ignore' })
    try {
      const pid = shell.pid as number
      const total = await waitFor(() => processTreeCpuSeconds(pid), 0.58)
      expect(total).toBeGreaterThanOrEqual(0.58)
      // Both nodes burned 0.3 s each; startup adds a little, not another second.
      expect(total).toBeLessThan(1.6)
    } finally {
      shell.kill('SIGKILL')
      await once(shell, 'exit')
    }
  })

  it('never drops a child that exits during the scan: readings only grow', async () => {
    // Children that exit one after another, each reaped by the shell while readings run back to back. A scan that
    // read the shell before a reap and the child after it would miss the child's CPU: a reading below the last.
    const shell = spawn('sh', ['-c', `while :; do "${process.execPath}" -e "${burn(0.02)}"; done`], { stdio: 'ignore' })
    try {
      const readings: number[] = []
      const until = Date.now() + 3000
      while (Date.now() < until) readings.push(await processTreeCpuSeconds(shell.pid as number))
      const drops = readings.filter((value, i) => i > 0 && value < (readings[i - 1] as number))
      expect(drops).toEqual([])
      expect(readings.length).toBeGreaterThan(10)
    } finally {
      shell.kill('SIGKILL')
      await once(shell, 'exit')
    }
  })

  it('rejects for a process that is not running', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    await once(child, 'exit')
    await expect(processTreeCpuSeconds(child.pid as number)).rejects.toThrow(`process ${child.pid} is not running`)
  })
})

describe('measure', () => {
  it("reports the child's CPU seconds from GNU time, and no server CPU without a counter", async () => {
    const m = await measure(process.execPath, ['-e', `${burn(0.4)} console.log('done')`])
    expect(m.stdout).toBe('done\n')
    expect(m.cpuSeconds).toBeGreaterThanOrEqual(0.39)
    expect(m.cpuSeconds).toBeLessThan(2)
    expect(m.serverCpuSeconds).toBeUndefined()
  })
})

/** A query that keeps a backend busy for about a CPU-second here. */
const busyQuery = 'SELECT count(*) FROM generate_series(1, 8000001) AS g(n) WHERE n % 7 = 0'

describe('PostgresServer.cpuSeconds', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgresServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it("counts a backend's work, also after the backend exited", async ({ skip }) => {
    const cpuSeconds = server.cpuSeconds
    if (cpuSeconds === undefined) return skip() // PG_URL: not our processes
    const before = await cpuSeconds()
    // A query that keeps its backend busy for a while, on a connection that ends (the backend exits).
    await withClient(server.url, (client) => client.query(busyQuery))
    const used = (await waitFor(cpuSeconds, before + 0.1)) - before
    expect(used).toBeGreaterThanOrEqual(0.1)
    expect(used).toBeLessThan(30)
  })

  it("gives measure() the server's CPU of the run, read the moment psql exits", async ({ skip }) => {
    if (server.cpuSeconds === undefined) return skip()
    const url = new URL(server.url)
    const env = { PGPASSWORD: decodeURIComponent(url.password) }
    url.password = ''
    // Without waiting for the exited backend to be reaped, this read 0.00 s for a 2.8 CPU-second query.
    const m = await measure(psqlOf(server), [url.toString(), '-X', '-q', '-c', busyQuery], env, server.cpuSeconds)
    expect(m.serverCpuSeconds).toBeGreaterThanOrEqual(0.1)
    expect(m.cpuSeconds).toBeLessThan(m.serverCpuSeconds as number)
  })
})

import { spawn } from 'node:child_process'

/** Two decimals, as the reports print their figures. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100
}

export interface Measurement {
  readonly wallSeconds: number
  readonly peakRssBytes: number
  /** User + system CPU seconds of the child, every thread and reaped child of it included (GNU time's count). */
  readonly cpuSeconds: number
  /** CPU seconds the database server used during the run, when `measure` was given its counter; else undefined. */
  readonly serverCpuSeconds: number | undefined
  readonly stdout: string
}

/**
 * Runs a command as a child under GNU time (`/usr/bin/time -v`), so peak RSS is the child's own high-water
 * mark as the kernel counted it, not a sample. Wall time is measured here around the whole child. `serverCpu`:
 * the CPU-seconds counter of a server the child works with (PostgresServer.cpuSeconds), read before and after.
 */
export async function measure(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  serverCpu?: () => Promise<number>,
): Promise<Measurement> {
  const serverBefore = await serverCpu?.()
  const child = await measureChild(command, args, env)
  const serverAfter = await serverCpu?.()
  const serverCpuSeconds = serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore
  return { ...child, serverCpuSeconds }
}

function measureChild(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<Omit<Measurement, 'serverCpuSeconds'>> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-v', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`))
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
      const user = /User time \(seconds\): ([\d.]+)/.exec(stderr)
      const system = /System time \(seconds\): ([\d.]+)/.exec(stderr)
      if (rss === null || user === null || system === null)
        return reject(new Error(`no RSS or CPU time in /usr/bin/time output:\n${stderr.slice(-2000)}`))
      resolve({ wallSeconds, peakRssBytes: Number(rss[1]) * 1024, cpuSeconds: Number(user[1]) + Number(system[1]), stdout })
    })
  })
}

/** A case measured several times: the median run's wall time and output (the lower middle one for an even count), the highest peak RSS of all runs. */
export interface RepeatedMeasurement extends Measurement {
  /** Every run's wall time, in the order they ran. */
  readonly wallRuns: readonly number[]
}

/**
 * Runs `run` `times` times, one after another. Why: on these VMs single runs of the same case differ by up to 12%
 * (the 1 GB video to Parquet took 26.6 s in one run and 23.4 s in the next), enough to flip a ratio's verdict; the
 * median of 3 resists one slow run. Peak RSS is the maximum: memory goals hold for every run, not the typical one.
 * `run(i)` prepares its own run (fresh output folder or schema).
 */
export async function repeated(times: number, run: (index: number) => Promise<Measurement>): Promise<RepeatedMeasurement> {
  const runs: Measurement[] = []
  for (let index = 0; index < times; index++) runs.push(await run(index))
  const byWall = [...runs].sort((a, b) => a.wallSeconds - b.wallSeconds)
  const median = byWall[Math.floor((byWall.length - 1) / 2)] as Measurement
  return {
    ...median,
    peakRssBytes: Math.max(...runs.map((m) => m.peakRssBytes)),
    wallRuns: runs.map((m) => m.wallSeconds),
  }
}

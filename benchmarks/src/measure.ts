import { spawn } from 'node:child_process'

export interface Measurement {
  readonly wallSeconds: number
  readonly peakRssBytes: number
  readonly stdout: string
}

/**
 * Runs a command as a child under GNU time (`/usr/bin/time -v`), so peak RSS is the child's own high-water
 * mark as the kernel counted it, not a sample. Wall time is measured here around the whole child.
 */
export function measure(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Measurement> {
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
      if (rss === null) return reject(new Error(`no RSS in /usr/bin/time output:\n${stderr.slice(-2000)}`))
      resolve({ wallSeconds, peakRssBytes: Number(rss[1]) * 1024, stdout })
    })
  })
}

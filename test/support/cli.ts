import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
/** The built CLI, as users run it (`pnpm exec labelpipe` resolves to this launcher). */
const labelpipeBin = fileURLToPath(new URL('../../packages/cli/bin/labelpipe.js', import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliRun {
  readonly child: ReturnType<typeof spawn>
  readonly done: Promise<CliResult>
}

export function startCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  const child = spawn(process.execPath, [labelpipeBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  // A test that stops the CLI (SIGINT, a failure) while still writing its stdin gets EPIPE there: expected, and
  // without a listener it would be an uncaught exception of the test run (seen in CI on the SIGINT test).
  child.stdin.on('error', () => {})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text
  })
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
  })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

export function runCli(
  args: readonly string[],
  options: { cwd?: string; stdin?: string | Buffer; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const run = startCli(args, options)
  run.child.stdin?.end(options.stdin ?? '')
  return run.done
}

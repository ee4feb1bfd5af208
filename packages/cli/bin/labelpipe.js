#!/usr/bin/env node
// A committed launcher, so pnpm links the bin at install time, before `prepare` builds dist/.
// The only place that touches the process: signals become an AbortSignal, the exit code comes back from main.
import { main } from '../dist/main.js'

const controller = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => controller.abort(signal))
}
process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
})

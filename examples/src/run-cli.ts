// The CLI as a function: `main(argv, io)` runs one invocation with the streams, environment and AbortSignal you give
// it and resolves with the exit code (`exitCodes`); it never exits the process. Used to run labelpipe in-process,
// from a scheduler or a test, and read its output.
// Run: node examples/dist/run-cli.js [export.ndjson]
import { Readable, Writable } from 'node:stream'
import { type CliIo, exitCodes, main } from '@labelpipe/cli'

const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname

/** Runs one invocation; returns its exit code and what it wrote. */
async function labelpipe(argv: readonly string[], signal = new AbortController().signal) {
  const out: string[] = []
  const err: string[] = []
  const collect = (into: string[]) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        into.push(chunk.toString())
        callback()
      },
    })
  const io: CliIo = { stdin: Readable.from([]), stdout: collect(out), stderr: collect(err), env: process.env, signal }
  const code = await main(argv, io)
  return { code, stdout: out.join(''), stderr: err.join('') }
}

const inspected = await labelpipe(['inspect', input, '--json'])
const report = JSON.parse(inspected.stdout) as { dataRows: number; rowsByTable: Record<string, number> }
console.log(`inspect: exit ${inspected.code}, ${report.dataRows} data rows, ${report.rowsByTable.frame_objects} frame_objects rows`)

const loaded = await labelpipe(['load', input, '--to', 'ndjson:out/example-cli', '--load-id', `cli-${Date.now()}`, '-q'])
console.log(`load: exit ${loaded.code} (exitCodes.ok is ${exitCodes.ok}), ${loaded.stdout.length} bytes of summary with -q`)

const usage = await labelpipe(['load', input, '--no-such-flag'])
console.log(`an unknown flag: exit ${usage.code} (exitCodes.usage is ${exitCodes.usage}): ${usage.stderr.split('\n')[0]}`)

// The bin wires SIGINT and SIGTERM to the signal; here a run stopped before it starts.
const stopped = await labelpipe(['load', input, '--to', 'ndjson:out/example-cli', '-q'], AbortSignal.abort('SIGINT'))
console.log(`aborted with SIGINT: exit ${stopped.code} (exitCodes.interrupted is ${exitCodes.interrupted})`)

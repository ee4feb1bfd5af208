import { readFileSync } from 'node:fs'
import { isLabelpipeError } from '@labelpipe/core'
import { type CliConfig, helpText, parseCommandLine } from './args.js'
import { formatConvertSummary, runConvert } from './commands/convert.js'
import { formatInspectReport, runInspect } from './commands/inspect.js'
import { formatLoadSummary, runLoad } from './commands/load.js'
import { formatWebhookSummary, runWebhook } from './commands/webhook.js'
import { type CliIo, exitCodes } from './io.js'
import { StoppedRun } from './progress.js'

export type { CliIo } from './io.js'
export { exitCodes } from './io.js'

/** Runs one CLI invocation; returns the exit code. Never calls process.exit: the bin sets process.exitCode. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(argv)
  switch (parsed.kind) {
    case 'help':
      io.stdout.write(helpText[parsed.command ?? 'main'])
      return exitCodes.ok
    case 'version':
      io.stdout.write(`${version()}\n`)
      return exitCodes.ok
    case 'usage-error':
      io.stderr.write(`labelpipe: ${parsed.message}\n\n${helpText[parsed.command ?? 'main']}`)
      return exitCodes.usage
    case 'run':
      return run(parsed.config, io)
  }
}

async function run(config: CliConfig, io: CliIo): Promise<number> {
  try {
    if (config.command === 'load') {
      const summary = await runLoad(config, io)
      if (!config.quiet) io.stdout.write(formatLoadSummary(summary, config))
    } else if (config.command === 'webhook') {
      const summary = await runWebhook(config, io)
      if (!config.quiet) io.stdout.write(formatWebhookSummary(summary))
    } else if (config.command === 'convert') {
      const summary = await runConvert(config, io)
      if (!config.quiet) io.stderr.write(formatConvertSummary(summary, config))
    } else {
      const report = await runInspect(config, io)
      io.stdout.write(config.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectReport(report))
    }
    return exitCodes.ok
  } catch (error) {
    if (io.signal.aborted) {
      const got = error instanceof StoppedRun ? error.howFar : ''
      io.stderr.write(`labelpipe: stopped by ${String(io.signal.reason)}${got}; nothing was committed, temp files removed\n`)
      return io.signal.reason === 'SIGTERM' ? exitCodes.terminated : exitCodes.interrupted
    }
    io.stderr.write(`labelpipe: ${describeFailure(error, config.verbose)}\n`)
    // An option the input cannot honour (--workers on a gzip file) is a usage error, found once the input is opened.
    return isLabelpipeError(error) && error.code === 'LP_INVALID_OPTION' ? exitCodes.usage : exitCodes.failed
  }
}

function describeFailure(error: unknown, verbose: boolean): string {
  if (verbose && error instanceof Error) return `${error.stack ?? error.message}${causeChain(error)}`
  if (isLabelpipeError(error)) return `${error.message} [${error.code}${error.stage === undefined ? '' : ` in ${error.stage}`}]`
  return error instanceof Error ? error.message : String(error)
}

function causeChain(error: Error): string {
  let out = ''
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause) out += `\ncaused by: ${cause.stack ?? cause.message}`
  return out
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

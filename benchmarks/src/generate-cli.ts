#!/usr/bin/env node
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { isLabelpipeError } from '@labelpipe/core'
import { type GeneratedMedia, type GeneratedStats, type GenerateV2Options, generateV2Export, writeV2Export } from './generate-v2-export.js'

// node benchmarks/dist/generate-cli.js --media image --size 1GB --seed 1 --out benchmarks/data/v2-image-1GB.ndjson
// Prints the stats as JSON on stdout (on stderr when the export itself goes to stdout with --out -).

const USAGE = `usage: generate-cli --out FILE|- [--media image|video|dicom|mixed] (--size SIZE | --rows N) [--frames N] [--seed N] [--no-frame-classifications]
  --size   stop after the line that reaches SIZE bytes: 500KB, 100MB, 1GB, 10GB (powers of 1000; KiB/MiB/GiB are powers of 1024)
  --rows   exactly N data rows (default 1000 when --size is not given)
  --frames frames per video and per DICOM plane (default 300)
  --seed   PRNG seed, 0..4294967295 (default 1); the same arguments always give the same bytes`

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
}

class UsageError extends Error {}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = UNITS[(match?.[2] || 'b').toLowerCase()]
  if (match === null || unit === undefined) throw new UsageError(`--size: expected a size like 100MB or 1GB, got ${JSON.stringify(text)}`)
  return Math.round(Number(match[1]) * unit)
}

function parseCount(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text.replaceAll('_', '')))
    throw new UsageError(`--${name}: expected a non-negative integer, got ${JSON.stringify(text)}`)
  return Number(text.replaceAll('_', ''))
}

function parseCli(argv: readonly string[]): { readonly out: string; readonly options: GenerateV2Options } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string', short: 'o' },
      media: { type: 'string', default: 'image' },
      size: { type: 'string' },
      rows: { type: 'string' },
      frames: { type: 'string' },
      seed: { type: 'string' },
      'no-frame-classifications': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) throw new UsageError('')
  if (values.out === undefined) throw new UsageError('--out is required (a file, or - for stdout)')
  if (values.size !== undefined && values.rows !== undefined) throw new UsageError('--size and --rows are exclusive')
  return {
    out: values.out,
    options: {
      media: values.media as GeneratedMedia,
      targetBytes: values.size === undefined ? undefined : parseSize(values.size),
      dataRows: parseCount('rows', values.rows),
      framesPerVideo: parseCount('frames', values.frames),
      seed: parseCount('seed', values.seed),
      frameClassifications: !values['no-frame-classifications'],
    },
  }
}

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>
  try {
    cli = parseCli(process.argv.slice(2))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`${message === '' ? '' : `generate-cli: ${message}\n`}${USAGE}\n`)
    return message === '' ? 0 : 2
  }
  const started = performance.now()
  let stats: GeneratedStats
  if (cli.out === '-') {
    const source = generateV2Export(cli.options)
    await pipeline(source, process.stdout)
    stats = source.stats
  } else {
    stats = await writeV2Export(cli.out, cli.options)
  }
  const seconds = (performance.now() - started) / 1000
  const report = {
    ...stats,
    out: cli.out,
    seconds: Math.round(seconds * 1000) / 1000,
    mbPerSecond: Math.round(stats.bytes / 1e6 / seconds),
  }
  ;(cli.out === '-' ? process.stderr : process.stdout).write(`${JSON.stringify(report, null, 2)}\n`)
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // Option errors carry their rule (LP_INVALID_OPTION); anything else is a failure with its stack.
    process.stderr.write(
      `generate-cli: ${isLabelpipeError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exitCode = isLabelpipeError(error) && error.code === 'LP_INVALID_OPTION' ? 2 : 1
  },
)

import { describe, expect, it } from 'vitest'
import { parseCommandLine } from './args.js'

describe('parseCommandLine', () => {
  it('parses load with repeated targets and defaults', () => {
    expect(parseCommandLine(['load', 'e.ndjson', '--to', 'parquet:out/p', '--to', 'ndjson:out/n', '--max-errors', '5'])).toEqual({
      kind: 'run',
      config: {
        command: 'load',
        input: 'e.ndjson',
        verbose: false,
        to: [
          { kind: 'parquet', dir: 'out/p' },
          { kind: 'ndjson', dir: 'out/n' },
        ],
        parquetEngine: 'parquet-wasm',
        ndjsonGzip: false,
        interpolate: false,
        maxErrors: 5,
        quiet: false,
      },
    })
  })

  it('names the option and the rule on bad input', () => {
    const usage = (argv: string[]) => {
      const parsed = parseCommandLine(argv)
      return parsed.kind === 'usage-error' ? parsed.message : parsed.kind
    }
    expect(usage(['load', 'e', '--to', 'parquet:o', '--parquet-engine', 'duckdb'])).toMatch(
      /^--parquet-engine: Invalid option: expected one of "parquet-wasm"\|"parquetjs-lite"/,
    )
    expect(usage(['load', 'e', '--to', 'parquet:o', '--load-id', '../x'])).toBe(
      '--load-id: --load-id takes letters, digits, _ . - (at most 128)',
    )
    expect(usage(['load', '--to', 'parquet:o'])).toBe('<export>: missing <export>: a file path, or - for stdin')
    expect(usage(['load', 'a', 'b', '--to', 'parquet:o'])).toBe('load takes one <export>, got 2')
    expect(usage(['inspect', 'e', '--to', 'parquet:o'])).toMatch(/Unknown option '--to'/)
    expect(usage(['load', 'e', '--to', 'parquet:o', '--max-line-length', '1e6'])).toBe(
      '--max-line-length: --max-line-length takes a whole number',
    )
    expect(usage(['load', 'e', '--to', 'parquet:out', '--to', 'ndjson:./out/'])).toBe('--to: each --to needs its own folder')
  })

  it('recognises help and version anywhere they are asked for', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'help', command: undefined })
    expect(parseCommandLine(['inspect', '--help'])).toEqual({ kind: 'help', command: 'inspect' })
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' })
  })
})

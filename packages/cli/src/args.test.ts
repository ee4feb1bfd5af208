import { availableParallelism } from 'node:os'
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
        pgMode: 'merge',
        assumeGrouped: false,
        framesConcurrency: 8,
        skipFrames: false,
        memoryBudgetMb: 256,
        ndjsonGzip: false,
        interpolate: false,
        filters: {},
        incremental: false,
        overlapMinutes: 10,
        include: [],
        exclude: [],
        maxErrors: 5,
        quiet: false,
        workers: 1,
      },
    })
  })

  it('parses --workers (a count or auto) and --shard k/n', () => {
    const config = (argv: string[]) => {
      const parsed = parseCommandLine(['load', 'e.ndjson', '--to', 'ndjson:o', ...argv])
      return parsed.kind === 'run' && parsed.config.command === 'load' ? parsed.config : parsed
    }
    expect(config(['--workers', '3', '--shard', '2/5', '--load-id', 'x'])).toMatchObject({ workers: 3, shard: { index: 2, count: 5 } })
    expect(config(['--workers', 'auto'])).toMatchObject({ workers: availableParallelism() })
    expect(config(['--workers', '65'])).toMatchObject({ kind: 'usage-error', message: '--workers: --workers takes at most 64' })
    expect(config(['--shard', '2/1', '--load-id', 'x'])).toMatchObject({
      kind: 'usage-error',
      message: expect.stringMatching(/^--shard: takes k\/n/),
    })
  })

  it('parses --tables (comma-separated or repeated), refuses unknown tables, --incremental and postgres:// targets', () => {
    const parse = (argv: string[]) => {
      const parsed = parseCommandLine(['load', 'e.ndjson', ...argv])
      if (parsed.kind === 'usage-error') return parsed.message
      return parsed.kind === 'run' && parsed.config.command === 'load' ? parsed.config.tables : parsed.kind
    }
    expect(parse(['--to', 'parquet:o'])).toBeUndefined()
    expect(parse(['--to', 'parquet:o', '--tables', 'frame_objects,objects', '--tables', 'labels'])).toEqual([
      'frame_objects',
      'objects',
      'labels',
    ])
    expect(parse(['--to', 'parquet:o', '--tables', 'frame_objects,frames'])).toMatch(
      /^--tables: --tables takes data_rows, data_row_metadata, /,
    )
    expect(parse(['--to', 'parquet:o', '--tables', ','])).toBe('--tables: --tables needs at least one table')
    expect(parse(['--to', 'parquet:o', '--tables', 'labels', '--incremental'])).toBe(
      '--tables: cannot go with --incremental: a run that leaves tables out records no cursor to continue from',
    )
    expect(parse(['--to', 'postgres://localhost/db', '--tables', 'labels'])).toBe(
      '--tables: is for parquet: and ndjson: targets; a postgres:// run replaces whole merge units, which span every table',
    )
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
    expect(usage(['load', 'e', '--to', 'parquet:o', '--pg-mode', 'replace'])).toBe(
      '--pg-mode: is for a postgres:// target, and no --to names one',
    )
    expect(usage(['load', 'e', '--to', 'ndjson:o', '--pg-schema', 'wh'])).toBe(
      '--pg-schema: is for a postgres:// target, and no --to names one',
    )
    expect(usage(['load', 'e', '--to', 'postgres://db/wh', '--pg-schema', 'wh', '--pg-mode', 'append'])).toBe('run')
    const leavesOut =
      '--incremental: cannot go with --exclude or a --filter other than project_ids: a run that leaves data rows or fields out records no cursor to continue from'
    expect(usage(['load', 'e', '--to', 'ndjson:o', '--incremental', '--filter', 'workflow_status=Done'])).toBe(leavesOut)
    expect(usage(['load', 'e', '--to', 'ndjson:o', '--incremental', '--exclude', 'attachments'])).toBe(leavesOut)
    expect(usage(['load', 'e', '--to', 'ndjson:o', '--incremental', '--filter', 'project_ids=p1'])).toBe('run')
    expect(usage(['load', 'e', '--to', 'ndjson:o', '--incremental', '--exclude', 'interpolated_frames'])).toBe('run')
  })

  it('never echoes a --to value past its kind: a mistyped connection string holds a password', () => {
    const message = (target: string) => {
      const parsed = parseCommandLine(['load', 'e', '--to', target])
      return parsed.kind === 'usage-error' ? parsed.message : parsed.kind
    }
    expect(message('host=db user=lb password=hunter2 dbname=lb')).toBe(
      '--to: expected parquet:<dir>, ndjson:<dir> or postgres://…, got a value with no <kind>: prefix',
    )
    expect(message('postgres:/lb:hunter2@db/lb')).toBe('--to: expected parquet:<dir>, ndjson:<dir> or postgres://…, got "postgres:…"')
    expect(message('mysql://lb:hunter2@db/lb')).toBe('--to: expected parquet:<dir>, ndjson:<dir> or postgres://…, got "mysql:…"')
  })

  it('recognises help and version anywhere they are asked for', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'help', command: undefined })
    expect(parseCommandLine(['inspect', '--help'])).toEqual({ kind: 'help', command: 'inspect' })
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' })
  })
})

import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { isValidLoadId, tableNames } from '@labelpipe/core'
import { excludableParams, filterTime, partitionColumns } from '@labelpipe/transforms'
import { z } from 'zod'

/** A `--to` file target: `parquet:<dir>` or `ndjson:<dir>`. */
export type FileTarget = { readonly kind: 'parquet' | 'ndjson'; readonly dir: string }
/** A `--to postgres://…` (or `postgresql://…`) target; parts the URL leaves out come from libpq's PG* variables. */
export type PostgresTarget = { readonly kind: 'postgres'; readonly connectionString: string }
export type Target = FileTarget | PostgresTarget

const targetSchema = z.string().transform((value, ctx): Target => {
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', connectionString: value }
  const match = /^(parquet|ndjson):(.+)$/.exec(value)
  if (match === null) {
    // Only the kind is echoed, never the rest: a mistyped connection string (`postgres:/u:pw@h/db`, libpq's
    // `host=h password=pw`) holds a password anywhere after it.
    const kind = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]
    const shown = kind === undefined ? 'a value with no <kind>: prefix' : JSON.stringify(`${kind}:…`)
    ctx.addIssue({ code: 'custom', message: `expected parquet:<dir>, ndjson:<dir> or postgres://…, got ${shown}` })
    return z.NEVER
  }
  return { kind: match[1] as FileTarget['kind'], dir: match[2] as string }
})

// `webhook --to`: the same target syntax, PostgreSQL only.
const webhookTargetSchema = z
  .string({ error: 'webhook needs --to postgres://<url>' })
  .pipe(targetSchema)
  .transform((target, ctx): PostgresTarget => {
    if (target.kind === 'postgres') return target
    ctx.addIssue({ code: 'custom', message: 'webhook loads into PostgreSQL only: --to postgres://… (or postgresql://…)' })
    return z.NEVER
  })

/** True when a load writes only part of what it reads: --tables, an --exclude'd export param, any --filter but project_ids. */
export function leavesInputOut(config: {
  readonly tables?: readonly string[] | undefined
  readonly exclude: readonly string[]
  readonly filters: object
}): boolean {
  return (
    config.tables !== undefined ||
    config.exclude.some((group) => group !== 'interpolated_frames') ||
    Object.keys(config.filters).some((filter) => filter !== 'projectIds')
  )
}

/** The targets that write files. */
export function fileTargets(targets: readonly Target[]): FileTarget[] {
  return targets.filter((target): target is FileTarget => target.kind !== 'postgres')
}

/** A target as printed: a postgres URL without its password. */
export function describeTarget(target: Target): string {
  if (target.kind !== 'postgres') return `${target.kind}:${target.dir}`
  const url = new URL(target.connectionString)
  if (url.password !== '') url.password = '***'
  url.searchParams.delete('password')
  return url.toString()
}

const count = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} takes a whole number`)
    .transform((value) => Number(value))

/** `--shard k/n`: this process loads shard k (1-based, as in GNU `split -n l/k/n`) of n byte ranges. */
export type Shard = { readonly index: number; readonly count: number }

const maxShards = 1000
const maxWorkers = 64

const shardSchema = z.string().transform((value, ctx): Shard => {
  const match = /^(\d+)\/(\d+)$/.exec(value)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (match === null || index < 1 || index > count || count > maxShards) {
    ctx.addIssue({ code: 'custom', message: `takes k/n with 1 <= k <= n <= ${maxShards}, got ${JSON.stringify(value)}` })
    return z.NEVER
  }
  return { index, count }
})

const workersSchema = z
  .string()
  .regex(/^(\d+|auto)$/, '--workers takes a whole number or auto')
  .transform((value) => (value === 'auto' ? availableParallelism() : Number(value)))
  .pipe(z.number().min(1, '--workers takes at least 1').max(maxWorkers, `--workers takes at most ${maxWorkers}`))

/** `--filter key=value`: Labelbox's export filters (formats.md), parsed into filterDataRows' options. */
export interface CliFilters {
  lastActivityAt?: { from: string | null; to: string | null }
  labelCreatedAt?: { from: string | null; to: string | null }
  dataRowIds?: string[]
  globalKeys?: string[]
  projectIds?: string[]
  batchIds?: string[]
  workflowStatus?: string[]
}

const listFilters = {
  data_row_ids: 'dataRowIds',
  global_keys: 'globalKeys',
  project_ids: 'projectIds',
  batch_ids: 'batchIds',
  workflow_status: 'workflowStatus',
} as const
const rangeFilters = { last_activity_at: 'lastActivityAt', label_created_at: 'labelCreatedAt' } as const
const filtersSchema = z.array(z.string()).transform((values, ctx): CliFilters => {
  const filters: CliFilters = {}
  for (const value of values) {
    const match = /^([a-z_]+)=(.*)$/.exec(value)
    const key = match?.[1] as string
    const text = match?.[2] as string
    if (match === null || text === '') {
      ctx.addIssue({ code: 'custom', message: `takes key=value, got ${JSON.stringify(value)}` })
      return z.NEVER
    }
    if (key in listFilters) {
      const field = listFilters[key as keyof typeof listFilters]
      filters[field] = [...(filters[field] ?? []), ...text.split(',').filter((v) => v !== '')]
    } else if (key in rangeFilters) {
      const bounds = text.split('..')
      const [from, to] = bounds.map((bound) => (bound === '' ? null : bound))
      if (bounds.length !== 2 || (from == null && to == null)) {
        ctx.addIssue({ code: 'custom', message: `${key} takes FROM..TO (either may be left out), got ${JSON.stringify(text)}` })
        return z.NEVER
      }
      // filterDataRows' own rule (an offset is required: a bare time is the API user's zone), checked here for exit 2.
      try {
        for (const bound of [from, to]) if (bound != null) filterTime(key, bound)
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message })
        return z.NEVER
      }
      filters[rangeFilters[key as keyof typeof rangeFilters]] = { from: from ?? null, to: to ?? null }
    } else {
      const known = [...Object.keys(rangeFilters), ...Object.keys(listFilters)].join(', ')
      ctx.addIssue({ code: 'custom', message: `unknown filter ${JSON.stringify(key)}; filters: ${known}` })
      return z.NEVER
    }
  }
  return filters
})

/** A repeatable option of comma-separated choices (`--exclude a,b --exclude c`): every value one of `choices`. */
const choiceList = <const C extends readonly string[]>(flag: string, choices: C) =>
  z
    .array(z.string())
    .transform((values) => values.flatMap((value) => value.split(',')).filter((value) => value !== ''))
    .pipe(z.array(z.enum(choices, { error: `${flag} takes ${choices.join(', ')}` })))

// The export params --exclude can leave out, and interpolated_frames, which --include turns on (--interpolate).
const paramGroups = [...excludableParams, 'interpolated_frames'] as const
const paramList = (flag: string) => choiceList(flag, paramGroups)

// --tables: names of docs/schema.md's tables.
const tableList = choiceList('--tables', tableNames).refine((tables) => tables.length > 0, '--tables needs at least one table')

const common = {
  input: z.string({ error: 'missing <export>: a file path, or - for stdin' }).min(1),
  maxLineLength: count('--max-line-length').optional(),
  verbose: z.boolean().default(false),
}

/** How an Export v1 file becomes v2 data rows: `load` and `convert` take the same options. */
const v1Options = {
  projectId: z.string().min(1).optional(),
  assumeGrouped: z.boolean().default(false),
  framesDir: z.string().min(1).optional(),
  framesConcurrency: count('--frames-concurrency')
    .pipe(z.number().min(1, '--frames-concurrency takes at least 1').max(1024, '--frames-concurrency takes at most 1024'))
    .default(8),
  skipFrames: z.boolean().default(false),
  memoryBudgetMb: count('--memory-budget-mb').pipe(z.number().min(1, '--memory-budget-mb takes at least 1')).default(256),
  maxErrors: count('--max-errors').default(0),
  deadLetters: z.string().min(1).optional(),
  quiet: z.boolean().default(false),
}

const framesChoice = {
  path: ['skipFrames'],
  message: 'takes the frames from nowhere, --frames-dir from a folder: give one of them',
}

// The one schema of the CLI's configuration: every option's rule is here, and its message names the option.
export const configSchema = z.discriminatedUnion('command', [
  z
    .object({
      command: z.literal('load'),
      ...common,
      to: z
        .array(targetSchema)
        .min(1, 'load needs at least one --to parquet:<dir>, ndjson:<dir> or postgres://…')
        // Two targets in one folder would write the same _manifests/<load_id>.json.
        .refine((targets) => {
          const dirs = fileTargets(targets).map((t) => resolve(t.dir))
          return new Set(dirs).size === dirs.length
        }, 'each --to needs its own folder'),
      pgSchema: z.string().min(1).optional(),
      pgMode: z.enum(['merge', 'append', 'replace']).default('merge'),
      ...v1Options,
      parquetEngine: z.enum(['parquet-wasm', 'parquetjs-lite']).default('parquet-wasm'),
      ndjsonGzip: z.boolean().default(false),
      interpolate: z.boolean().default(false),
      filters: filtersSchema.default({}),
      incremental: z.boolean().default(false),
      overlapMinutes: count('--overlap-minutes').default(10),
      include: paramList('--include').default([]),
      exclude: paramList('--exclude').default([]),
      tables: tableList.optional(),
      partitionBy: z
        .enum(partitionColumns, { error: `takes ${partitionColumns.join(', ')} (docs/schema.md's Hive partitioning)` })
        .optional(),
      loadId: z.string().refine(isValidLoadId, '--load-id takes letters, digits, _ . - (at most 128)').optional(),
      workers: workersSchema.default(1),
      shard: shardSchema.optional(),
    })
    // Byte ranges need a file to seek in; each shard is a separate run, so they can only find each other's files by a shared id.
    .refine((config) => config.input !== '-' || (config.workers === 1 && config.shard === undefined), {
      path: ['input'],
      message: '--workers and --shard split a file by byte ranges; stdin cannot be split (give the file path)',
    })
    .refine((config) => config.shard === undefined || config.loadId !== undefined, {
      path: ['shard'],
      message: 'needs --load-id: every shard of one export must write the same load id',
    })
    // A shard is a run of its own, and a Postgres run commits once under its load id: shards cannot share one.
    .refine((config) => config.shard === undefined || config.to.every((t) => t.kind !== 'postgres'), {
      path: ['shard'],
      message: 'a postgres:// target commits one run per load id, so it cannot take --shard; use --workers on one machine',
    })
    // A merge unit (docs/schema.md) spans every table: a Postgres run that left tables out could not replace it whole.
    .refine((config) => config.tables === undefined || config.to.every((t) => t.kind !== 'postgres'), {
      path: ['tables'],
      message: 'is for parquet: and ndjson: targets; a postgres:// run replaces whole merge units, which span every table',
    })
    // Partition folders are a file layout: a Postgres-only run would drop the flag unseen.
    .refine((config) => config.partitionBy === undefined || fileTargets(config.to).length > 0, {
      path: ['partitionBy'],
      message: 'is for parquet: and ndjson: targets (Hive folders), and no --to names one',
    })
    // A run that leaves part of its input out records no cursor (cursorFacts): it could never advance one.
    .refine((config) => config.tables === undefined || !config.incremental, {
      path: ['tables'],
      message: 'cannot go with --incremental: a run that leaves tables out records no cursor to continue from',
    })
    .refine((config) => !config.incremental || !leavesInputOut(config), {
      path: ['incremental'],
      message:
        'cannot go with --exclude or a --filter other than project_ids: a run that leaves data rows or fields out records no cursor to continue from',
    })
    .refine((config) => !(config.skipFrames && config.framesDir !== undefined), framesChoice)
    .refine((config) => !config.exclude.includes('interpolated_frames') || !config.interpolate, {
      path: ['exclude'],
      message: 'interpolated_frames contradicts --interpolate',
    })
    .refine((config) => !config.include.some((group) => config.exclude.includes(group)), {
      path: ['include'],
      message: 'names a group --exclude also names',
    }),
  z
    .object({
      command: z.literal('convert'),
      ...common,
      ...v1Options,
      out: z.string({ error: 'convert needs --out <v2.ndjson>, or --out - for stdout' }).min(1),
    })
    .refine((config) => !(config.skipFrames && config.framesDir !== undefined), framesChoice)
    .refine((config) => config.maxErrors === 0 || config.deadLetters !== undefined || config.out !== '-', {
      path: ['deadLetters'],
      message: 'needed with --max-errors when --out is - (the default file is <out>.dead-letters.ndjson)',
    }),
  z.object({
    command: z.literal('webhook'),
    to: webhookTargetSchema,
    secretEnv: z
      .string({ error: 'webhook needs --secret-env <NAME>: the environment variable that holds the webhook secret' })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, '--secret-env takes the name of an environment variable, not the secret'),
    port: count('--port').pipe(z.number().max(65_535, '--port takes 0 to 65535')).default(3001),
    host: z.string().min(1).default('127.0.0.1'),
    path: z
      .string()
      .regex(/^\/[^\s?#]*$/, '--path takes a URL path starting with /')
      .default('/'),
    pgSchema: z.string().min(1).optional(),
    maxBodyMb: count('--max-body-mb')
      .pipe(z.number().min(1, '--max-body-mb takes at least 1').max(1024, '--max-body-mb takes at most 1024'))
      .default(10),
    queueSize: count('--queue-size')
      .pipe(z.number().min(1, '--queue-size takes at least 1').max(1_000_000, '--queue-size takes at most 1000000'))
      .default(1000),
    batchSize: count('--batch-size')
      .pipe(z.number().min(1, '--batch-size takes at least 1').max(100_000, '--batch-size takes at most 100000'))
      .default(200),
    quiet: z.boolean().default(false),
    verbose: z.boolean().default(false),
  }),
  z.object({
    command: z.literal('inspect'),
    ...common,
    json: z.boolean().default(false),
  }),
])

export type CliConfig = z.infer<typeof configSchema>
export type LoadConfig = Extract<CliConfig, { command: 'load' }>
export type ConvertConfig = Extract<CliConfig, { command: 'convert' }>
export type WebhookConfig = Extract<CliConfig, { command: 'webhook' }>
export type InspectConfig = Extract<CliConfig, { command: 'inspect' }>

/** The flags of `v1Options`, which `load` and `convert` share. */
const v1OptionSpecs = {
  'project-id': { type: 'string' },
  'assume-grouped': { type: 'boolean' },
  'frames-dir': { type: 'string' },
  'frames-concurrency': { type: 'string' },
  'skip-frames': { type: 'boolean' },
  'memory-budget-mb': { type: 'string' },
  'max-errors': { type: 'string' },
  'dead-letters': { type: 'string' },
} as const

const optionSpecs = {
  load: {
    to: { type: 'string', multiple: true },
    'parquet-engine': { type: 'string' },
    'ndjson-gzip': { type: 'boolean' },
    interpolate: { type: 'boolean' },
    filter: { type: 'string', multiple: true },
    incremental: { type: 'boolean' },
    'overlap-minutes': { type: 'string' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    tables: { type: 'string', multiple: true },
    'partition-by': { type: 'string' },
    'max-line-length': { type: 'string' },
    'load-id': { type: 'string' },
    'pg-schema': { type: 'string' },
    'pg-mode': { type: 'string' },
    ...v1OptionSpecs,
    workers: { type: 'string' },
    shard: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  },
  convert: {
    out: { type: 'string', short: 'o' },
    ...v1OptionSpecs,
    quiet: { type: 'boolean', short: 'q' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  },
  webhook: {
    to: { type: 'string' },
    'secret-env': { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    path: { type: 'string' },
    'pg-schema': { type: 'string' },
    'max-body-mb': { type: 'string' },
    'queue-size': { type: 'string' },
    'batch-size': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  },
  inspect: {
    json: { type: 'boolean' },
    'max-line-length': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  },
} as const

export type ParsedCommand =
  | { readonly kind: 'run'; readonly config: CliConfig }
  | { readonly kind: 'help'; readonly command: Command | undefined }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage-error'; readonly message: string; readonly command: Command | undefined }

type Command = keyof typeof optionSpecs
const commands = Object.keys(optionSpecs) as Command[]

export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const [first, ...rest] = argv
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { kind: 'help', command: undefined }
  if (first === '--version' || first === '-V') return { kind: 'version' }
  if (!commands.includes(first as Command)) {
    return { kind: 'usage-error', message: `unknown command ${JSON.stringify(first)}`, command: undefined }
  }
  const command = first as Command
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...rest], options: optionSpecs[command], allowPositionals: true, strict: true })
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message, command }
  }
  if (parsed.values.help === true) return { kind: 'help', command }
  if (command === 'webhook' && parsed.positionals.length > 0) return { kind: 'usage-error', message: 'webhook takes no <export>', command }
  if (parsed.positionals.length > 1) {
    return { kind: 'usage-error', message: `${command} takes one <export>, got ${parsed.positionals.length}`, command }
  }
  const v = parsed.values
  const raw = {
    command,
    input: parsed.positionals[0],
    maxLineLength: v['max-line-length'],
    verbose: v.verbose,
    to: v.to ?? [],
    parquetEngine: v['parquet-engine'],
    ndjsonGzip: v['ndjson-gzip'],
    interpolate: v.interpolate,
    filters: v.filter,
    incremental: v.incremental,
    overlapMinutes: v['overlap-minutes'],
    include: v.include,
    exclude: v.exclude,
    tables: v.tables,
    partitionBy: v['partition-by'],
    maxErrors: v['max-errors'],
    deadLetters: v['dead-letters'],
    loadId: v['load-id'],
    pgSchema: v['pg-schema'],
    pgMode: v['pg-mode'],
    projectId: v['project-id'],
    assumeGrouped: v['assume-grouped'],
    framesDir: v['frames-dir'],
    framesConcurrency: v['frames-concurrency'],
    skipFrames: v['skip-frames'],
    memoryBudgetMb: v['memory-budget-mb'],
    workers: v.workers,
    shard: v.shard,
    quiet: v.quiet,
    json: v.json,
    out: v.out,
    secretEnv: v['secret-env'],
    port: v.port,
    host: v.host,
    path: v.path,
    maxBodyMb: v['max-body-mb'],
    queueSize: v['queue-size'],
    batchSize: v['batch-size'],
  }
  const result = configSchema.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]
    const option = issue?.path[0] === undefined ? '' : `${optionName(String(issue.path[0]))}: `
    return { kind: 'usage-error', message: `${option}${issue?.message ?? 'invalid arguments'}`, command }
  }
  const config = result.data
  // Postgres options without a postgres:// target would be dropped unseen: a user who mistyped the target would
  // believe the load went into the schema and mode they asked for.
  if (config.command === 'load' && config.to.every((target) => target.kind !== 'postgres')) {
    const unused = (['pg-schema', 'pg-mode'] as const).find((name) => v[name] !== undefined)
    if (unused !== undefined)
      return { kind: 'usage-error', message: `--${unused}: is for a postgres:// target, and no --to names one`, command }
  }
  return { kind: 'run', config }
}

function optionName(key: string): string {
  if (key === 'input') return '<export>'
  // The one config key named apart from its flag: repeated --filter values collect into `filters`.
  if (key === 'filters') return '--filter'
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

export const helpText = {
  main: `labelpipe — Labelbox exports into warehouse tables

Usage:
  labelpipe load <export> --to parquet:<dir> [--to ndjson:<dir>] [options]
  labelpipe convert <v1.json> --out <v2.ndjson|-> [options]
  labelpipe webhook --to postgres://<url> --secret-env <NAME> [options]
  labelpipe inspect <export> [--json]
  labelpipe <command> --help
  labelpipe --version

<export> is an Export v2 NDJSON file or an Export v1 JSON file (gzip or not, each detected from content),
or - for stdin (v2).
`,
  load: `labelpipe load <export> --to <target> [--to <target>...] [options]

Loads an Export v2 NDJSON file, or an Export v1 JSON file, into the warehouse tables of docs/schema.md.

Targets (repeat --to to fill several from one read):
  --to parquet:<dir>          Parquet dataset folders, <dir>/<table>/part-<load_id>-<seq>.parquet
  --to ndjson:<dir>           NDJSON files, <dir>/<table>/part-<load_id>-<seq>.ndjson
  --to postgres://<url>       PostgreSQL via COPY, committed in one transaction (also postgresql://; parts
                              the URL leaves out come from PGHOST, PGUSER, PGPASSWORD, PGDATABASE, …)

Options:
  --parquet-engine <name>     parquet-wasm (default, fast) or parquetjs-lite (pure JS)
  --pg-schema <name>          Postgres schema of the tables (default labelbox)
  --pg-mode <mode>            merge (default: replace each data row's rows), append, or replace (whole tables)

  --ndjson-gzip               write .ndjson.gz
  --partition-by project_id   parquet:/ndjson: files of each project under <table>/project_id=<id>/ (Hive); the
                              data row tables (data_rows, data_row_metadata, attachments) stay unpartitioned
  --interpolate               fill video frames between key frames (boxes, points; rows flagged interpolated)
  --filter <key>=<value>      keep only matching data rows (repeat: AND); Labelbox's export filters:
                              last_activity_at=FROM..TO, label_created_at=FROM..TO (ISO-8601 with offset,
                              either bound may be left out), data_row_ids=, global_keys=, project_ids=,
                              batch_ids=, workflow_status= (comma-separated: any of them)
  --incremental               load only data rows active since the cursor of the last run (Postgres load_state,
                              or the folders' manifests), minus --overlap-minutes (default 10: Labelbox's
                              replication lag); the commit advances the cursor
  --exclude <group,...>       load as an export made without these params: attachments, metadata_fields,
                              data_row_details, project_details, label_details, performance_details
  --include <group,...>       interpolated_frames (same as --interpolate); the other groups are included
  --tables <table,...>        write only these tables (default all of docs/schema.md's); parquet: and ndjson:
                              targets only; not with --incremental (the run records no cursor)
  --max-errors <n>            dead-letter up to n bad lines instead of failing (default 0)
  --dead-letters <file>       where bad lines go (default <first dir>/_dead_letters/<load_id>.ndjson;
                              a postgres:// target also records them in its dead_letters table)
  --max-line-length <bytes>   longest line accepted (default: no limit; lines over 8 MiB are streamed)
  --load-id <id>              the run's id (default: UTC time + random)
  --workers <n>|auto          worker threads, each loading an equal byte range of the file (default 1);
                              one set of part files (or one Postgres COPY session) per worker, one
                              commit once all succeed; not for gzip or stdin
  --shard <k>/<n>             load only shard k (1..n) of n byte ranges, so n machines split one export;
                              needs --load-id, shared by all shards; commits _manifests/<load_id>.shard-<k>-of-<n>.json,
                              and the load is complete when all n exist
  -q, --quiet                 no summary
  -v, --verbose               stack traces on failure
  -h, --help                  this help

Export v1 (a JSON array of labels, detected from content):
  --project-id <id>           the project id of v1 labels (default: from each label's View Label URL, else its
                              project name)
  --assume-grouped            each data row's labels are adjacent: no sort (fails if one comes back)
  --memory-budget-mb <n>      labels held before sorted runs spill to temp files (default 256)
  --frames-dir <dir>          video frames as <dir>/<label ID>.ndjson, for labels whose Label.frames is a URL
                              (default: fetched from that URL with LABELBOX_API_KEY, redirects followed)
  --frames-concurrency <n>    video labels whose frames are fetched at once (default 8)
  --skip-frames               convert video labels without their frames (counted in a warning)

Exit codes: 0 loaded; 1 failed (nothing committed); 2 usage error; 130 interrupted; 143 terminated.
`,
  convert: `labelpipe convert <v1.json> --out <v2.ndjson|-> [options]

Converts an Export v1 JSON file (a JSON array of labels, gzip or not) into an Export v2 NDJSON file: one data
row a line, each data row once with all its labels, in data row id order. A file is written under a temp name
and renamed when complete; - writes to stdout.

Options:
  --out, -o <file|->          where the v2 NDJSON goes (required)
  --project-id <id>           the project id of v1 labels (default: from each label's View Label URL, else its
                              project name)
  --assume-grouped            each data row's labels are adjacent: no sort (fails if one comes back)
  --memory-budget-mb <n>      labels held before sorted runs spill to temp files (default 256)
  --frames-dir <dir>          video frames as <dir>/<label ID>.ndjson, for labels whose Label.frames is a URL
                              (default: fetched from that URL with LABELBOX_API_KEY, redirects followed)
  --frames-concurrency <n>    video labels whose frames are fetched at once (default 8)
  --skip-frames               convert video labels without their frames (counted in a warning)
  --max-errors <n>            dead-letter up to n bad labels instead of failing (default 0)
  --dead-letters <file>       where bad labels go (default <out>.dead-letters.ndjson)
  -q, --quiet                 no summary
  -v, --verbose               stack traces on failure
  -h, --help                  this help

Exit codes: 0 converted; 1 failed (the --out file is left as it was); 2 usage error; 130 interrupted;
143 terminated.
`,
  webhook: `labelpipe webhook --to postgres://<url> --secret-env <NAME> [options]

Receives Labelbox webhooks and loads each delivery's data row into the PostgreSQL tables, as
load --pg-mode merge would. X-Hub-Signature (HMAC-SHA1 of the body) is checked before anything is parsed.
A delivery is answered 200 only once committed; a replayed X-Labelbox-Id is 200 without a second write;
an older state than the stored one is not written. POST <path> for deliveries, GET /healthz.
SIGINT/SIGTERM: stops accepting, commits and answers what it accepted, then exits.

Options:
  --to postgres://<url>       the warehouse (required; also postgresql://)
  --secret-env <NAME>         environment variable holding the webhook secret (required; never the secret itself)
  --port <n>                  port to listen on (default 3001; 0 picks a free port, printed)
  --host <addr>               address to listen on (default 127.0.0.1; put a TLS proxy in front)
  --path <path>               where deliveries are POSTed (default /)
  --pg-schema <name>          Postgres schema of the tables (default labelbox)
  --max-body-mb <n>           largest delivery accepted; larger ones get 413 (default 10)
  --queue-size <n>            deliveries held while a batch commits; more get 503 + Retry-After (default 1000)
  --batch-size <n>            deliveries committed per transaction (default 200)
  -q, --quiet                 no line per batch, no summary
  -v, --verbose               stack traces on failure
  -h, --help                  this help

Exit codes: 0 stopped by SIGINT/SIGTERM after draining; 1 failed (cannot connect, port in use); 2 usage error.
`,
  inspect: `labelpipe inspect <export> [--json]

Reads the whole Export v2 (a v1 file: convert it first) and reports, without writing anything: rows per
table, media types, projects, and bad lines (every bad line is counted; the first 10 are shown).

Options:
  --json                      print the report as JSON
  --max-line-length <bytes>   longest line accepted (default: no limit; lines over 8 MiB are streamed)
  -v, --verbose               stack traces on failure
  -h, --help                  this help
`,
} as const

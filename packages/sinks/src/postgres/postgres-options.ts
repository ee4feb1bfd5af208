import type { DeadLetter, LineageSource, RunFacts } from '@labelpipe/core'
import type { Pool } from 'pg'
import { z } from 'zod'
import { integerOption, loadIdOption, oneOf, optionalFunction, optionsSchema, type SameShape } from '../options.js'

/** How a committed run changes the target tables (see the package README, "Postgres"). */
export type PostgresMode = 'merge' | 'append' | 'replace'

export const postgresModes = ['merge', 'append', 'replace'] as const satisfies readonly PostgresMode[]

/** Where a run loads: the server and schema, and the run it belongs to. Shared by the coordinator and every staging writer. */
export interface PostgresTargetOptions {
  /**
   * A `postgres://` or `postgresql://` URL (libpq's URL form; a unix socket as `?host=/path`). Exactly one of
   * `connectionString` and `pool` is required. Its password never appears in an error message.
   */
  readonly connectionString?: string
  /**
   * A `pg.Pool` to take connections from instead; the caller owns it (the sink never ends it). The coordinator
   * holds one connection for the whole run and each staging writer one more, so it must allow at least 2.
   */
  readonly pool?: Pool
  /** The target schema, created when missing. Default `'labelbox'`. A lowercase identifier (`[a-z_][a-z0-9_]*`, at most 63, not `pg_…`). */
  readonly schema?: string
  /** The run's load id (see `newLoadId`): the `load_runs` key, `_load_id` is the transform's. Required; must pass `isValidLoadId`. */
  readonly loadId: string
  /** Milliseconds to wait for a connection (TCP connect, TLS and authentication). Default 10,000; 0 waits forever. */
  readonly connectTimeoutMs?: number
}

/** Options of `preparePostgresLoad`: the target, and how the run commits. */
export interface PostgresLoadOptions extends PostgresTargetOptions {
  /** `'merge'` (default): replace the run's merge units; `'append'`: insert only; `'replace'`: the run becomes the tables' whole content. */
  readonly mode?: PostgresMode
  /**
   * PostgreSQL `statement_timeout` for the coordinator's statements (table creation, the sweep, the commit
   * transaction's statements), in milliseconds. Default 0: none. COPY is exempt: a COPY lasts as long as the
   * input takes to stream, which is not a statement's cost.
   */
  readonly statementTimeoutMs?: number
  /** The `load_state.pipeline` whose cursors the commit advances. Default `'default'`. */
  readonly pipeline?: string
  /**
   * What the run reads, written to its `load_runs` row (`source`, `input`) when it registers, so a run that fails
   * says what it was loading; the commit's facts replace them. Default: null until the commit. `input` is a path
   * or URL without credentials, as RunFacts.input.
   */
  readonly source?: LineageSource
  readonly input?: string
}

/** Options of `postgresSink`. */
export interface PostgresSinkOptions extends PostgresLoadOptions {
  /**
   * Facts about the run for its `load_runs` row, called once, in `_final`, just before the commit (so the counts
   * are final). Default: none; `source`, `input`, `input_bytes` and `dead_letters` stay null.
   */
  readonly describeRun?: () => RunFacts
  /**
   * The run's dead letters, called once, in `_final`, inside the commit transaction: each goes into the
   * `dead_letters` table (docs/schema.md, Bookkeeping), committed with the run or not at all. Read as they come,
   * so a file of them (readDeadLetters) streams. Default: none.
   */
  readonly deadLetters?: () => AsyncIterable<DeadLetter>
  /** Batches buffered before `write()` returns false. Default 4, as the file sinks. */
  readonly highWaterMark?: number
}

/** Options of `postgresStagingSink`: one writer of a run prepared by `preparePostgresLoad`. */
export interface PostgresStagingSinkOptions extends PostgresTargetOptions {
  /** This writer's number (0, 1, …), shown in `pg_stat_activity.application_name`. Default 0. */
  readonly writer?: number
  /** Batches buffered before `write()` returns false. Default 4. */
  readonly highWaterMark?: number
}

const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:'
  } catch {
    return false
  }
}

// The value is never echoed back: a connection string holds the password.
const connectionString = z
  .string({ error: () => 'must be a string (not shown)' })
  .refine(isPostgresUrl, { error: () => 'must be a postgres:// or postgresql:// URL (value not shown: it may hold a password)' })
  .optional()

const pool = z
  .custom<Pool>((value) => typeof value === 'object' && value !== null && typeof (value as { connect?: unknown }).connect === 'function', {
    error: () => 'must be a pg.Pool',
  })
  .optional()

const schemaName = z
  .string({ error: (issue) => `must be a string, got ${typeof issue.input}` })
  .refine((value) => schemaNamePattern.test(value) && !value.startsWith('pg_'), {
    error: (issue) =>
      `must be a lowercase identifier ([a-z_][a-z0-9_]*, at most 63, not starting with pg_), got ${JSON.stringify(String(issue.input)).slice(0, 80)}`,
  })
  .default('labelbox')

const pipelineName = z
  .string({ error: () => 'must be a non-empty string of at most 200 characters' })
  .min(1, { error: () => 'must be a non-empty string of at most 200 characters' })
  .max(200, { error: () => 'must be a non-empty string of at most 200 characters' })
  .default('default')

const targetShape = {
  connectionString,
  pool,
  schema: schemaName,
  loadId: loadIdOption(),
  connectTimeoutMs: integerOption(10_000, 0, 2 ** 31 - 1),
}

const loadShape = {
  ...targetShape,
  mode: oneOf(postgresModes, 'merge'),
  statementTimeoutMs: integerOption(0, 0, 2 ** 31 - 1),
  pipeline: pipelineName,
  source: z.enum(['v1', 'v2', 'v1_frames', 'webhook'], { error: () => "must be one of 'v1', 'v2', 'v1_frames', 'webhook'" }).optional(),
  input: z.string({ error: () => 'must be a string' }).optional(),
}

function exactlyOneConnection(
  options: { readonly connectionString?: string | undefined; readonly pool?: Pool | undefined },
  context: z.RefinementCtx,
) {
  if ((options.connectionString === undefined) === (options.pool === undefined)) {
    context.addIssue({ code: 'custom', path: ['connectionString'], message: 'exactly one of connectionString and pool is required' })
  }
}

export const postgresLoadOptions = optionsSchema(loadShape).superRefine(exactlyOneConnection)

export const postgresSinkOptions = optionsSchema({
  ...loadShape,
  describeRun: optionalFunction<() => RunFacts>(),
  deadLetters: optionalFunction<() => AsyncIterable<DeadLetter>>(),
  highWaterMark: integerOption(4, 1, 1_000_000),
}).superRefine(exactlyOneConnection)

export const postgresStagingSinkOptions = optionsSchema({
  ...targetShape,
  writer: integerOption(0, 0, 1_000_000),
  highWaterMark: integerOption(4, 1, 1_000_000),
}).superRefine(exactlyOneConnection)

/** Options of `readLoadCursors`: where the cursors are, and whose. */
export interface ReadLoadCursorsOptions {
  /** As PostgresTargetOptions.connectionString: exactly one of it and `pool`. */
  readonly connectionString?: string
  readonly pool?: Pool
  /** Default `'labelbox'`. */
  readonly schema?: string
  /** The `load_state.pipeline` to read. Default `'default'`. */
  readonly pipeline?: string
  /** Default 10,000 ms; 0 waits forever. */
  readonly connectTimeoutMs?: number
}

export const readLoadCursorsOptions = optionsSchema({
  connectionString,
  pool,
  schema: schemaName,
  pipeline: pipelineName,
  connectTimeoutMs: targetShape.connectTimeoutMs,
}).superRefine(exactlyOneConnection)
const cursorOptionsAgree: SameShape<z.input<typeof readLoadCursorsOptions>, ReadLoadCursorsOptions> = true
void cursorOptionsAgree

/** Options as parsed: defaults applied, frozen. */
export type ParsedTargetOptions = Readonly<z.output<ReturnType<typeof optionsSchema<typeof targetShape>>>>
export type ParsedLoadOptions = Readonly<z.output<typeof postgresLoadOptions>>
export type ParsedPostgresSinkOptions = Readonly<z.output<typeof postgresSinkOptions>>
export type ParsedStagingSinkOptions = Readonly<z.output<typeof postgresStagingSinkOptions>>

// Each documented interface and its schema must describe the same options (a compile error otherwise).
const loadOptionsAgree: SameShape<z.input<typeof postgresLoadOptions>, PostgresLoadOptions> = true
const sinkOptionsAgree: SameShape<z.input<typeof postgresSinkOptions>, PostgresSinkOptions> = true
const stagingOptionsAgree: SameShape<z.input<typeof postgresStagingSinkOptions>, PostgresStagingSinkOptions> = true
void loadOptionsAgree
void sinkOptionsAgree
void stagingOptionsAgree

/** The connection options as given, for handing on to another factory (exactOptionalPropertyTypes: no undefined keys). */
export function connectionOf(
  options: Pick<ParsedTargetOptions, 'connectionString' | 'pool'>,
): Pick<PostgresTargetOptions, 'connectionString' | 'pool'> {
  return options.connectionString === undefined
    ? options.pool === undefined
      ? {}
      : { pool: options.pool }
    : { connectionString: options.connectionString }
}

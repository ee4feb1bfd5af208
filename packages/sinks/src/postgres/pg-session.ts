import { SinkError } from '@labelpipe/core'
import pg from 'pg'
import type { ParsedTargetOptions } from './postgres-options.js'

/**
 * A SinkError (`LP_SINK`) from PostgreSQL or from the way to it. The message is one line and never holds the
 * password of the connection string or pool; `sqlState` is the server's SQLSTATE when it answered
 * (`28P01` bad password, `3D000` no such database, `57014` statement timeout, `23505` duplicate key).
 */
export class PostgresSinkError extends SinkError {
  readonly sqlState: string | undefined

  constructor(detail: string, details: { readonly sqlState?: string | undefined; readonly cause?: unknown } = {}) {
    super(detail, details.cause === undefined ? {} : { cause: details.cause })
    this.sqlState = details.sqlState
  }
}

/** The server a run talks to, described without its password, and how to open sessions on it. */
export interface PgTarget {
  /** `user@host:port/database`, for messages. */
  readonly label: string
  /** Opens a session; rejects with a PostgresSinkError that says why (refused, no such database, bad password, timeout). */
  connect(applicationName: string, statementTimeoutMs: number): Promise<PgSession>
  /** Maps any failure to a one-line PostgresSinkError prefixed with `what`, with every secret removed. */
  failure(what: string, cause: unknown): PostgresSinkError
}

export function pgTarget(options: Pick<ParsedTargetOptions, 'connectionString' | 'pool' | 'connectTimeoutMs'>): PgTarget {
  const { connectionString, pool, connectTimeoutMs } = options
  const secrets = connectionString === undefined ? poolSecrets(pool) : urlSecrets(connectionString)
  const label = connectionString === undefined ? poolLabel(pool) : urlLabel(connectionString)
  const failure = (what: string, cause: unknown) => describeFailure(what, cause, { label, secrets, connectTimeoutMs })
  return {
    label,
    failure,
    async connect(applicationName, statementTimeoutMs) {
      let client: pg.ClientBase
      let release: (destroy: boolean) => Promise<void>
      if (pool !== undefined) {
        const pooled = await pool.connect().catch((cause: unknown) => {
          throw failure('connect', cause)
        })
        client = pooled
        release = async (destroy) => pooled.release(destroy)
      } else {
        const own = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs, application_name: applicationName })
        // Without a listener, a backend killed mid-COPY crashes the process with a raw stack (docs/facts.md).
        own.on('error', () => undefined)
        await own.connect().catch(async (cause: unknown) => {
          await own.end().catch(() => undefined)
          throw failure('connect', cause)
        })
        client = own
        release = () => own.end().catch(() => undefined)
      }
      const session = new PgSession(client, release, failure, pool !== undefined)
      // UTF-8 whatever the database's default client encoding; the COPY text is UTF-8.
      const settings = ["SET client_encoding TO 'UTF8'", `SET application_name TO ${pg.escapeLiteral(applicationName.slice(0, 63))}`]
      if (statementTimeoutMs > 0) settings.push(`SET statement_timeout TO ${statementTimeoutMs}`)
      await session.query('session settings', settings.join('; ')).catch(async (error: unknown) => {
        await session.close(true)
        throw error
      })
      session.resetsTimeout = statementTimeoutMs > 0
      return session
    },
  }
}

/** One connection, checked out of the pool or owned; every query's failure becomes a PostgresSinkError. */
export class PgSession {
  readonly client: pg.ClientBase
  readonly #release: (destroy: boolean) => Promise<void>
  readonly #failure: (what: string, cause: unknown) => PostgresSinkError
  readonly #pooled: boolean
  readonly #onError = (error: Error) => {
    this.#lost ??= error
  }
  #lost: Error | undefined
  #closed = false
  /** Set when this session changed `statement_timeout`, which a pooled connection must not keep. */
  resetsTimeout = false

  constructor(
    client: pg.ClientBase,
    release: (destroy: boolean) => Promise<void>,
    failure: (what: string, cause: unknown) => PostgresSinkError,
    pooled: boolean,
  ) {
    this.client = client
    this.#release = release
    this.#failure = failure
    this.#pooled = pooled
    client.on('error', this.#onError)
  }

  /** True once the connection failed (it then cannot be used again). */
  get broken(): boolean {
    return this.#lost !== undefined
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(what: string, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    // A connection that failed while idle reports why here, not pg's later "not queryable".
    if (this.#lost !== undefined) throw this.fail(what, this.#lost)
    try {
      return await this.client.query<R>(text, values)
    } catch (cause) {
      throw this.fail(what, cause)
    }
  }

  /** `cause` as a PostgresSinkError; when the connection failed, its failure is the one that says why. */
  fail(what: string, cause: unknown): PostgresSinkError {
    return cause instanceof PostgresSinkError ? cause : this.#failure(what, this.#lost ?? cause)
  }

  /** Gives the connection back (pool) or ends it; `destroy` discards a pooled connection whose state is unknown. */
  async close(destroy: boolean): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    let discard = destroy || this.broken
    if (!discard && this.#pooled && this.resetsTimeout) {
      await this.client.query('RESET statement_timeout').catch(() => {
        discard = true
      })
    }
    this.client.off('error', this.#onError)
    if (!this.#pooled) this.client.on('error', () => undefined)
    await this.#release(discard)
  }
}

interface FailureContext {
  readonly label: string
  readonly secrets: readonly string[]
  readonly connectTimeoutMs: number
}

interface PgErrorFields {
  readonly code?: unknown
  readonly message?: unknown
  readonly where?: unknown
}

function describeFailure(what: string, cause: unknown, context: FailureContext): PostgresSinkError {
  const fields = (typeof cause === 'object' && cause !== null ? cause : {}) as PgErrorFields
  const code = typeof fields.code === 'string' ? fields.code : undefined
  const message = typeof fields.message === 'string' ? fields.message : String(cause)
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
  const detail = explain(code, message, context)
  // COPY errors name the column in `where` ("COPY t, line 3, column geometry: …"); the value after it is left out.
  const column = typeof fields.where === 'string' ? /, column (\w+)/.exec(fields.where)?.[1] : undefined
  const text = `${what}${column === undefined ? '' : ` (column ${column})`}: ${detail}${sqlState === undefined ? '' : ` (SQLSTATE ${sqlState})`}`
  const line = redact(text.replace(/\s*\n\s*/g, ' '), context.secrets)
  // A cause that holds a secret (a URL parser's error keeps its input) is dropped rather than passed on.
  const keepCause = !context.secrets.some((secret) => `${message} ${(cause as Error | undefined)?.stack ?? ''}`.includes(secret))
  return new PostgresSinkError(line, { sqlState, cause: keepCause ? cause : undefined })
}

function explain(code: string | undefined, message: string, { label, connectTimeoutMs }: FailureContext): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${label}: connection refused (is PostgreSQL running and listening there?)`
    case 'ENOENT':
      return `cannot connect to ${label}: no server socket there (is PostgreSQL running?)`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${label}: host not found`
    case 'ECONNRESET':
    case 'EPIPE':
    case '57P01':
    case '57P02':
    case '57P03':
      return `connection to ${label} lost: ${message}`
    case '28P01':
    case '28000':
      return `authentication failed at ${label}: ${message}`
    case '3D000':
      return `${message} at ${label}`
    case '57014':
      return `${message} (statementTimeoutMs, or a cancel)`
  }
  if (message === 'timeout expired' || message.includes('connection timeout')) {
    return `cannot connect to ${label}: no answer within connectTimeoutMs (${connectTimeoutMs} ms)`
  }
  if (message.startsWith('Connection terminated') || message.includes('not queryable')) return `connection to ${label} lost: ${message}`
  return message
}

/** Every secret replaced by `***`; also applied to text that should hold none, in case a library echoed one. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('***')
  return out
}

function urlSecrets(connectionString: string): string[] {
  const url = new URL(connectionString)
  const secrets = [url.password, safeDecode(url.password), url.searchParams.get('password') ?? '', connectionString]
  return secrets.filter((secret) => secret.length > 0)
}

function urlLabel(connectionString: string): string {
  const url = new URL(connectionString)
  const host = url.hostname === '' ? (url.searchParams.get('host') ?? 'localhost') : url.hostname
  const port = url.port === '' ? (url.searchParams.get('port') ?? '5432') : url.port
  const user = url.username === '' ? '' : `${safeDecode(url.username)}@`
  const database = safeDecode(url.pathname.replace(/^\//, '')) || safeDecode(url.username) || 'postgres'
  return `postgres ${user}${host}:${port}/${database}`
}

function poolSecrets(pool: pg.Pool | undefined): string[] {
  const options = (pool as { options?: { password?: unknown; connectionString?: unknown } } | undefined)?.options
  const secrets: string[] = []
  if (typeof options?.password === 'string') secrets.push(options.password)
  if (typeof options?.connectionString === 'string') {
    try {
      secrets.push(...urlSecrets(options.connectionString))
    } catch {
      secrets.push(options.connectionString)
    }
  }
  return secrets.filter((secret) => secret.length > 0)
}

function poolLabel(pool: pg.Pool | undefined): string {
  const options = (pool as { options?: { connectionString?: unknown; host?: unknown; database?: unknown } } | undefined)?.options
  if (typeof options?.connectionString === 'string') {
    try {
      return urlLabel(options.connectionString)
    } catch {
      return 'postgres (pool)'
    }
  }
  const host = typeof options?.host === 'string' ? options.host : 'localhost'
  return `postgres ${host}/${typeof options?.database === 'string' ? options.database : ''} (pool)`
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

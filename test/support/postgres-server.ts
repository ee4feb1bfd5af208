// The Postgres server of the tests: benchmarks/src/postgres-server.ts (the harness starts the same one).
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { PostgresTargetOptions } from '@labelpipe/sinks/postgres'

export type { PostgresServer } from '@labelpipe/benchmarks'
export { startPostgresServer } from '@labelpipe/benchmarks'

// ---- Reading the warehouse back. The test package does not depend on pg; it borrows the sinks' copy (the
// one the sink under test uses), typed by the few members used here. ----

export interface PgClient {
  connect(): Promise<void>
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>
  end(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** pg's Pool, typed as the sink's `pool` option takes it. */
export type PgPool = NonNullable<PostgresTargetOptions['pool']>

interface PgModule {
  Client: new (config: { connectionString: string }) => PgClient
  Pool: new (config: { connectionString: string; max?: number }) => PgPool
}

export const pg = createRequire(fileURLToPath(new URL('../../packages/sinks/package.json', import.meta.url)))('pg') as PgModule

export async function withClient<T>(url: string, use: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

/**
 * Per table: row count and the md5 of its rows sorted as text (issue 6: "identical table contents"). The
 * lineage column `_load_id` is left out: it names the run, so it differs between two loads of the same input.
 */
export async function tableDigests(url: string, schema: string, tables: readonly string[]): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const digests: Record<string, string> = {}
    for (const table of tables) {
      const { rows } = await client.query<{ n: string; md5: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(r, '' ORDER BY r)) AS md5
           FROM (SELECT (to_jsonb(t) - '_load_id')::text AS r FROM "${schema}"."${table}" t) rows`,
      )
      digests[table] = `${rows[0]?.n} ${rows[0]?.md5 ?? '-'}`
    }
    return digests
  })
}

/** Tables of `schema` whose name starts with `_lp_stage_`. */
export async function stagingTables(url: string, schema: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE nspname = $1 AND relkind = 'r' AND starts_with(relname, '_lp_stage_') ORDER BY 1`,
      [schema],
    )
    return rows.map((row) => row.name)
  })
}

/** load_id -> status of every run recorded in `schema`. */
export async function loadRuns(url: string, schema: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ load_id: string; status: string }>(`SELECT load_id, status FROM "${schema}".load_runs ORDER BY 1`)
    return Object.fromEntries(rows.map((row) => [row.load_id, row.status]))
  })
}

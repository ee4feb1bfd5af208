import type { PgSession } from './pg-session.js'
import { lockKey, qualified, quoteIdent, runLockNamespace, stagingPrefix, stagingTableNames } from './sql-names.js'

/**
 * Finds the runs of `schema` that died (kill -9, a lost connection, a crash) and removes what they left.
 *
 * The rule: a run is live exactly while its coordinator session holds the advisory lock
 * (`runLockNamespace`, lockKey(load_id)); PostgreSQL releases it when that session ends, however it ends. So a
 * `load_runs` row still 'running' whose lock can be taken belongs to a dead run: it is marked 'failed'. Every
 * `_lp_stage_*` table of the schema that is not a live run's is dropped, orphans included.
 *
 * Order matters: the staging tables are listed before the running rows are read, and a run inserts its
 * 'running' row (holding its lock) before it creates a staging table, so a table in the list always belongs to
 * a row the second read sees. Returns the load ids marked failed; `ownLoadId`, the caller's run, is live.
 */
export async function sweepDeadRuns(session: PgSession, schema: string, ownLoadId: string): Promise<string[]> {
  const staged = await session.query<{ name: string }>(
    'list staging tables',
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND starts_with(c.relname, $2)`,
    [schema, stagingPrefix],
  )
  const running = await session.query<{ load_id: string }>(
    'read running loads',
    `SELECT load_id FROM ${qualified(schema, 'load_runs')} WHERE status = 'running'`,
  )
  // Session-level advisory locks are re-entrant, so the caller's own lock would probe as free: it is skipped.
  const live = new Set<string>(stagingTableNames(ownLoadId))
  const dead: string[] = []
  for (const { load_id: loadId } of running.rows) {
    if (loadId === ownLoadId) continue
    const probe = await session.query<{ free: boolean }>('probe a run lock', 'SELECT pg_try_advisory_lock($1, $2) AS free', [
      runLockNamespace,
      lockKey(loadId),
    ])
    if (probe.rows[0]?.free === true) dead.push(loadId)
    else for (const name of stagingTableNames(loadId)) live.add(name)
  }
  try {
    const leftovers = staged.rows.map((row) => row.name).filter((name) => !live.has(name))
    if (leftovers.length > 0) {
      await session.query(
        'drop leftover staging tables',
        `DROP TABLE IF EXISTS ${leftovers.map((name) => `${quoteIdent(schema)}.${quoteIdent(name)}`).join(', ')}`,
      )
    }
    if (dead.length > 0) {
      // `status = 'running'` again: a run that committed or failed between the two reads keeps its status.
      await session.query(
        'mark dead loads failed',
        `UPDATE ${qualified(schema, 'load_runs')} SET status = 'failed', finished_at = now() WHERE load_id = ANY($1) AND status = 'running'`,
        [dead],
      )
    }
  } finally {
    for (const loadId of dead) {
      await session.query('release a probed run lock', 'SELECT pg_advisory_unlock($1, $2)', [runLockNamespace, lockKey(loadId)])
    }
  }
  return dead
}

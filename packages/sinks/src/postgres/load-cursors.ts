import { InvalidOptionError } from '@labelpipe/core'
import { pgTarget } from './pg-session.js'
import { type ReadLoadCursorsOptions, readLoadCursorsOptions } from './postgres-options.js'
import { qualified } from './sql-names.js'

/**
 * The cursors of `load_state` (docs/schema.md, Bookkeeping) for an incremental load: per project id, the latest
 * data-row `last_activity_at` a committed run of `pipeline` loaded, as ISO-8601. Each commit advances them
 * (commit-transaction.ts, recordRun). A schema or table that does not exist yet means no run yet: no cursors.
 */
export async function readLoadCursors(options: ReadLoadCursorsOptions): Promise<Record<string, string>> {
  const parsed = readLoadCursorsOptions.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidOptionError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid')
  }
  const { schema, pipeline } = parsed.data
  const session = await pgTarget(parsed.data).connect('labelpipe cursors', 0)
  try {
    const exists = await session.query<{ found: boolean }>('look for load_state', 'SELECT to_regclass($1) IS NOT NULL AS found', [
      qualified(schema, 'load_state'),
    ])
    if (exists.rows[0]?.found !== true) return {}
    const { rows } = await session.query<{ project_id: string; cursor_value: Date }>(
      'read load_state',
      `SELECT project_id, cursor_value FROM ${qualified(schema, 'load_state')}
        WHERE pipeline = $1 AND cursor_name = 'last_activity_at' AND cursor_value IS NOT NULL`,
      [pipeline],
    )
    return Object.fromEntries(rows.map((row) => [row.project_id, row.cursor_value.toISOString()]))
  } finally {
    await session.close(false)
  }
}

import { randomBytes } from 'node:crypto'
import { z } from 'zod'

/** The `_source` lineage value of docs/schema.md. */
export type LineageSource = 'v1' | 'v2' | 'v1_frames' | 'webhook'

/**
 * A new load id: UTC time to the millisecond then 6 random hex digits, `20261125T015516123Z-3fa9c1`.
 * It sorts by start time, is unique across concurrent runs, and is safe in file names and SQL literals.
 */
export function newLoadId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '')
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

const loadIdPattern = /^[0-9A-Za-z][0-9A-Za-z_.-]{0,127}$/

/** Load ids become file names and SQL values: letters, digits, `_`, `.`, `-`, at most 128, not starting with punctuation. */
export function isValidLoadId(loadId: string): boolean {
  return loadIdPattern.test(loadId)
}

/** What a run knows about its input when it commits: written to the manifest (files) or load_runs (Postgres). */
export interface RunFacts {
  readonly source: LineageSource
  /** Path or URL of the input, never with credentials or a query string. */
  readonly input: string
  readonly inputBytes: number
  readonly deadLetters: number
  readonly startedAt: Date
  /**
   * The incremental cursor this run reached: per project id, the latest `data_row.details.last_activity_at` among
   * the data rows it loaded (ISO-8601). File manifests record it (`cursors`) for `--incremental`; Postgres computes
   * the same from its staging tables into `load_state`. Default: none.
   */
  readonly cursors?: Readonly<Record<string, string>> | undefined
  /**
   * False when the run left out rows or fields of its input (a filtered load): a later incremental run starting
   * from this run's cursor would skip them for good, so no cursor is recorded, neither in the manifest
   * (`cursors: null`) nor in Postgres `load_state`. Default true.
   */
  readonly recordsCursors?: boolean | undefined
}

/**
 * A bad record set aside instead of failing the run (`maxErrors`): one NDJSON line of the dead-letter file, read
 * back (readDeadLetters) against this schema. `raw` is the record's text as read; invalid UTF-8 shows as U+FFFD.
 */
export const deadLetter = z.object({
  file: z.string(),
  line: z.int().nonnegative(),
  byteOffset: z.int().nonnegative(),
  code: z.string(),
  reason: z.string(),
  raw: z.string(),
})
export type DeadLetter = Readonly<z.infer<typeof deadLetter>>

/** Where a source puts bad records; resolves once the letter is accepted (a slow writer slows the source). */
export type DeadLetterSink = (letter: DeadLetter) => void | Promise<void>

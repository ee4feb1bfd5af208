import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DeadLetter, DeadLetterSink } from '@labelpipe/core'
import { deadLetterFile, readDeadLetters } from '@labelpipe/sinks/ndjson'

/**
 * Where a load's dead letters go: the NDJSON file (--dead-letters, or the default in the first folder), and with a
 * postgres:// target the `dead_letters` table, in the commit transaction. The table's letters come from a spool
 * of this run's own: the file may be shared by runs (it is appended to), and there may be none.
 */
export interface LoadDeadLetters {
  readonly write: DeadLetterSink
  /** The file the letters go to, if any. */
  readonly path: string | undefined
  /** For the Postgres commit: this run's letters, once every one is written (the spool is closed first). */
  readonly forPostgres: (() => AsyncIterable<DeadLetter>) | undefined
  /** Closes the file and removes the spool; call once the run has ended, however it ended. */
  close(): Promise<void>
}

/** Undefined when neither a file nor the table takes letters (--max-errors 0). */
export async function loadDeadLetters(path: string | undefined, postgres: boolean): Promise<LoadDeadLetters | undefined> {
  const file = path === undefined ? undefined : deadLetterFile(path)
  const spoolDir = postgres ? await mkdtemp(join(tmpdir(), 'labelpipe-dead-letters-')) : undefined
  const spoolPath = spoolDir === undefined ? undefined : join(spoolDir, 'letters.ndjson')
  const spool = spoolPath === undefined ? undefined : deadLetterFile(spoolPath)
  if (file === undefined && spool === undefined) return undefined
  return {
    path,
    write: async (letter) => {
      await file?.write(letter)
      await spool?.write(letter)
    },
    forPostgres:
      spool === undefined || spoolPath === undefined
        ? undefined
        : async function* () {
            await spool.close()
            yield* readDeadLetters(spoolPath)
          },
    close: async () => {
      try {
        await file?.close()
      } finally {
        if (spoolDir !== undefined) await rm(spoolDir, { recursive: true, force: true })
      }
    },
  }
}

import type { Readable, Writable } from 'node:stream'

/** Everything the CLI takes from the process, passed in so tests run `main` in-process with their own streams. */
export interface CliIo {
  readonly stdin: Readable
  readonly stdout: Writable
  readonly stderr: Writable & { readonly isTTY?: boolean; readonly columns?: number }
  readonly env: Readonly<Record<string, string | undefined>>
  /** Aborted on SIGINT/SIGTERM by the bin; never aborted in tests unless they choose. */
  readonly signal: AbortSignal
}

/** One stderr line for a cleanup step that failed after the run's own failure, which is the error reported. */
export function reportCleanupFailure(io: Pick<CliIo, 'stderr'>, error: unknown): void {
  io.stderr.write(`labelpipe: cleaning up after the failure: ${error instanceof Error ? error.message : String(error)}\n`)
}

/** Exit codes: documented in the README. */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  interrupted: 130,
  terminated: 143,
} as const

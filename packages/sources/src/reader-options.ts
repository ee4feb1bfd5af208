import type { Readable } from 'node:stream'
import { type DeadLetterSink, InvalidOptionError, type LabelpipeError, TooManyErrorsError } from '@labelpipe/core'
import type { z } from 'zod'

/**
 * The options of a reader (readV1Export, readV2Export), parsed by its zod schema: an invalid option is an
 * InvalidOptionError naming it, `maxErrors` without `deadLetters` is refused (bad records are never dropped
 * silently), and a stream handed over is destroyed whenever the reader is not created, since it owns it.
 */
export function parseReaderOptions<T extends { readonly maxErrors: number; readonly deadLetters?: DeadLetterSink | undefined }>(
  schema: z.ZodType<T>,
  input: string | Readable,
  options: unknown,
): T {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    if (typeof input !== 'string') input.destroy()
    const issue = parsed.error.issues[0]
    throw new InvalidOptionError(issue?.path.join('.') ?? 'options', issue?.message ?? 'invalid')
  }
  if (parsed.data.maxErrors > 0 && parsed.data.deadLetters === undefined) {
    if (typeof input !== 'string') input.destroy()
    throw new InvalidOptionError('deadLetters', 'required when maxErrors > 0: bad records are never dropped silently')
  }
  return parsed.data
}

/**
 * The `maxErrors` rule of a reader: a bad record becomes a dead letter (file, line, byte offset, code, reason,
 * raw text) while the run is under `maxErrors`, and fails the run past it. With `sharedErrorCount` (element 0 of
 * an Int32Array over a SharedArrayBuffer) the limit counts the dead letters of every reader of one run.
 */
export class DeadLetterPolicy {
  readonly #maxErrors: number
  readonly #deadLetters: DeadLetterSink | undefined
  readonly #file: string
  readonly #sharedErrorCount: Int32Array | undefined
  #count = 0

  constructor(options: {
    readonly maxErrors: number
    readonly deadLetters?: DeadLetterSink | undefined
    readonly name: string
    readonly sharedErrorCount?: Int32Array | undefined
  }) {
    this.#maxErrors = options.maxErrors
    this.#deadLetters = options.deadLetters
    this.#file = options.name
    this.#sharedErrorCount = options.sharedErrorCount
  }

  /** Dead letters this reader wrote. */
  get count(): number {
    return this.#count
  }

  /** Dead-letters the record, or throws `error` (or TooManyErrorsError past a non-zero `maxErrors`). */
  async reject(error: LabelpipeError, raw: string): Promise<void> {
    const maxErrors = this.#maxErrors
    const earlier = this.#sharedErrorCount === undefined ? this.#count : Atomics.add(this.#sharedErrorCount, 0, 1)
    if (earlier >= maxErrors || this.#deadLetters === undefined) {
      throw maxErrors === 0 ? error : new TooManyErrorsError(maxErrors, error)
    }
    this.#count++
    await this.#deadLetters({
      file: error.file ?? this.#file,
      line: error.line ?? 0,
      byteOffset: error.byteOffset ?? 0,
      code: error.code,
      reason: error.message,
      raw,
    })
  }
}

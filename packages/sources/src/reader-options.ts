import type { Readable } from 'node:stream'
import { type DeadLetterSink, InvalidOptionError } from '@labelpipe/core'
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

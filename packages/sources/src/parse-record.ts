import { compileValidator, ExportFormatError, type FieldPath, type Position, schemaFailure } from '@labelpipe/core'
import type { z } from 'zod'

// V8 names the failing character index: "... in JSON at position 42".
const jsonPosition = /at position (\d+)/

/** Where a text parsed on its own sits in the record it came from (a frame or the header of a giant line). */
export interface PartOfRecord {
  /** The field path of the text within the record; error paths start with it. */
  readonly path: FieldPath
  /** The absolute byte offset of the text's byte `byte`, for the exact place of a syntax error. */
  readonly byteAt: (byte: number) => number
}

/** Parses one record's text: JSON.parse, then the schema. */
/** `partOf`, for a text cut out of a larger record, is called only when the text is bad: nothing is built per valid text. */
export type RecordParser<T> = (text: string, at: Position, partOf?: () => PartOfRecord) => T

/**
 * JSON.parse + the record's zod schema: the one validation of a record; everything downstream trusts the type.
 * Valid records are checked by the schema's compiled predicate and returned as parsed, not copied (see
 * compileValidator for the measurement); an invalid one goes through zod for its message and field path.
 */
export function recordParser<T>(schema: z.ZodType<T>): RecordParser<T> {
  const isValid = compileValidator(schema)
  return (text, at, partOf) => {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (cause) {
      throw jsonSyntaxError(text, at, cause, partOf?.())
    }
    if (isValid(json)) return json
    const result = schema.safeParse(json)
    if (result.success) return result.data
    const failure = schemaFailure(result.error, json)
    throw new ExportFormatError(failure.message, { at, path: [...(partOf?.().path ?? []), ...failure.path], cause: result.error })
  }
}

function jsonSyntaxError(text: string, at: Position, cause: unknown, part: PartOfRecord | undefined): ExportFormatError {
  const message = cause instanceof Error ? cause.message : String(cause)
  const match = jsonPosition.exec(message)
  const detail = text.length === 0 ? 'empty record' : `invalid JSON: ${message}`
  const path = part?.path
  if (match === null) return new ExportFormatError(detail, { at, path, cause })
  // Report the byte where JSON broke, not only the line's start: a 100 MB line needs the exact place.
  const textByte = Buffer.byteLength(text.slice(0, Number(match[1])))
  const byte = part === undefined ? at.byteOffset + textByte : part.byteAt(textByte)
  return new ExportFormatError(`${detail} (at byte ${byte})`, { at, path, cause })
}

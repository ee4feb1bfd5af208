import { compileValidator, ExportFormatError, type FieldPath, type Position } from '@labelpipe/core'
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
    const issue = result.error.issues[0]
    const reported = issue === undefined ? { path: [], message: 'does not match the export schema' } : reportedIssue(issue, json)
    throw new ExportFormatError(reported.message, {
      at,
      path: [...(partOf?.().path ?? []), ...reported.path.map((key) => (typeof key === 'symbol' ? String(key) : key))],
      cause: result.error,
    })
  }
}

/** The issue an error names: a path from the record's root (or the union's value, inside a union) and a message. */
interface ReportedIssue {
  readonly path: readonly PropertyKey[]
  readonly message: string
  /** Set when the value has none of the types the schema accepts there: what it expected, for an enclosing union to merge. */
  readonly expected?: readonly string[] | undefined
}

/**
 * The deepest real problem behind a zod issue. zod 4 reports a union none of whose options matched as one
 * `invalid_union` issue at the union ("Label: Invalid input"), every option's own issues in `errors`, their
 * paths relative to the union (zod/v4/core/schemas.js, handleUnionResults). For a 100-frame inline video label
 * that names no field, so we descend: the option that matched deepest before failing is the one the value was
 * meant for (an object fails the array option at its root, `[]`, but the object option only at
 * `objects[0].bbox.top`). Ties go to the option listed first, so the choice is deterministic. When every option
 * failed at the union's own value, the error says what the union accepts:
 * `Label: Invalid input: expected object or array, received null`.
 * The union's options are not made exclusive in the schemas instead (a preprocess on Array.isArray), because
 * compileValidator, the fast path every valid record takes, supports no pipe or refinement of that kind.
 *
 * `value` is the input at the issue's parent: the whole record, or the union's value inside a union.
 */
function reportedIssue(issue: z.core.$ZodIssue, value: unknown): ReportedIssue {
  const path = issue.path
  if (issue.code === 'invalid_type') return { path, message: issue.message, expected: [issue.expected] }
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path, message: issue.message }
  const at = valueAt(value, path)
  let deepest: ReportedIssue | undefined
  let checkFailed: ReportedIssue | undefined
  const expected = new Set<string>()
  for (const option of issue.errors) {
    for (const inner of option) {
      const found = reportedIssue(inner, at)
      if (deepest === undefined || found.path.length > deepest.path.length) deepest = found
      if (found.path.length > 0) continue
      // Failed at the union's value itself: a type the option does not take, or a check on the right type.
      if (found.expected === undefined) checkFailed ??= found
      else for (const type of found.expected) expected.add(type)
    }
  }
  if (deepest !== undefined && deepest.path.length > 0) return { path: [...path, ...deepest.path], message: deepest.message }
  if (checkFailed !== undefined) return { path, message: checkFailed.message }
  const types = [...expected]
  return { path, message: `Invalid input: expected ${types.join(' or ')}, received ${typeName(at)}`, expected: types }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root
  for (const key of path) {
    if (typeof value !== 'object' || value === null || typeof key === 'symbol' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string | number, unknown>)[key]
  }
  return value
}

/** The JSON type of a value, named as zod names it in "received ...". */
function typeName(value: unknown): string {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'array' : typeof value
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

import type { z } from 'zod'
import type { FieldPath } from '../position.js'

/** What a failed parse names: the field path from the value's root and zod's message for it. */
export interface SchemaFailure {
  readonly path: FieldPath
  readonly message: string
}

/**
 * The field and message to report for a failed `schema.safeParse(value)`: its first issue, and inside a union
 * that no option matched, the deepest real problem (below) rather than zod's "Invalid input" at the union. Both
 * the export readers and the webhook receiver report failures with it.
 */
export function schemaFailure(error: z.ZodError, value: unknown): SchemaFailure {
  const issue = error.issues[0]
  if (issue === undefined) return { path: [], message: 'does not match the schema' }
  const { path, message } = reportedIssue(issue, value)
  return { path: path.map((key) => (typeof key === 'symbol' ? String(key) : key)), message }
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

/** Where a record came from: the file (or `-` for stdin), its 1-based line and the byte offset of that line's first byte. */
export interface Position {
  readonly file: string
  readonly line: number
  readonly byteOffset: number
  /**
   * For an element of a JSON array (an Export v1 label): its 0-based index in the array. `line` and
   * `byteOffset` are then those of the element's first byte; messages name all three.
   */
  readonly arrayIndex?: number
}

/** A value with the input position it was read at; every record that crosses a stage boundary travels like this. */
export interface Located<T> {
  readonly value: T
  readonly at: Position
}

/** A key path into a record, zod-style: `['projects', 'p1', 'labels', 0]`. */
export type FieldPath = readonly (string | number)[]

/** Renders a field path as `projects.p1.labels[0].annotations`, the form every error message uses. */
export function formatFieldPath(path: FieldPath): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? key : `.${key}`
  }
  return out
}

/** Renders a position as `export.ndjson line 50001 (byte 7340112)`. */
export function formatPosition(at: Position): string {
  if (at.arrayIndex !== undefined) return `${at.file} line ${at.line} (byte ${at.byteOffset}, array index ${at.arrayIndex})`
  return `${at.file} line ${at.line} (byte ${at.byteOffset})`
}

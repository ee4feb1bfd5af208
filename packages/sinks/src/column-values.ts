import { type Column, type ColumnType, type Position, SinkError, type TableName, tableColumns, tableNames } from '@labelpipe/core'
import { describe } from './options.js'

// Rows reach a sink already validated by the table's zod schema (docs/style.md: validate once at the source
// boundary), so this is not validation of the data: it is the guard that keeps a transform bug from being
// written silently. A typed array turns a string into NaN and JSON.stringify turns NaN into null, so without it
// a wrong-typed value would land in one format differently than in the other. A typeof per value costs next to
// nothing beside encoding it.

/** ±8.64e15 ms is the range of a JS Date, so every timestamptz has an ISO-8601 rendering for NDJSON. */
const maxTimestampMs = 8.64e15

const isValue: { readonly [T in ColumnType]: (value: unknown) => boolean } = {
  // A lone UTF-16 surrogate (an export's `\ud800` escape without its pair) is no Unicode text: UTF-8 writers would
  // turn it into U+FFFD (Postgres COPY, Parquet) while JSON.stringify keeps the escape (NDJSON), so the formats
  // would disagree. isWellFormed is O(1) for one-byte strings (V8 String::IsWellFormedUnicode), most values here.
  // JSON text needs no check: JSON.stringify writes a lone surrogate as an ASCII escape.
  text: (value) => typeof value === 'string' && value.isWellFormed(),
  json: (value) => typeof value === 'string',
  int: (value) => typeof value === 'number' && (value | 0) === value,
  bigint: (value) => Number.isSafeInteger(value),
  double: (value) => Number.isFinite(value),
  bool: (value) => typeof value === 'boolean',
  timestamptz: (value) => Number.isSafeInteger(value) && Math.abs(value as number) <= maxTimestampMs,
}

const expected: { readonly [T in ColumnType]: string } = {
  text: 'a string',
  json: 'JSON text (a string)',
  int: 'a 32-bit integer',
  bigint: 'a safe integer',
  double: 'a finite number',
  bool: 'a boolean',
  timestamptz: 'epoch milliseconds (a safe integer within ±8.64e15)',
}

/** A table's columns with their value check, built once per table a sink writes. */
export interface CheckedColumn extends Column {
  readonly isValue: (value: unknown) => boolean
}

export function checkedColumns(table: TableName, at: Position): readonly CheckedColumn[] {
  if (!(tableNames as readonly string[]).includes(table)) {
    throw new SinkError(`unknown table ${describe(table)}: expected one of ${tableNames.join(', ')}`, { at })
  }
  return tableColumns(table).map((column) => ({ ...column, isValue: isValue[column.type] }))
}

/**
 * The value of `column` in `row`, or throws SinkError naming the input position, table and column.
 * `null` is a value only where the column is nullable; a missing key (undefined) never is.
 */
export function columnValue(row: Readonly<Record<string, unknown>>, column: CheckedColumn, table: TableName, at: Position): unknown {
  const value = row[column.name]
  if (value === null ? column.notNull : !column.isValue(value)) throw wrongValue(table, column, value, at)
  return value
}

function wrongValue(table: TableName, column: CheckedColumn, value: unknown, at: Position): SinkError {
  const want = column.notNull ? expected[column.type] : `${expected[column.type]} or null`
  const got =
    value === undefined
      ? 'no such key in the row'
      : typeof value === 'string' && !value.isWellFormed()
        ? `a string with a lone UTF-16 surrogate at character ${loneSurrogateAt(value)} (a \\ud800-\\udfff escape without its pair in the export): it is not Unicode text, and no format stores it as such`
        : describe(value)
  return new SinkError(`expected ${want} (${column.type}${column.notNull ? ' NOT NULL' : ''}), got ${got}`, {
    at,
    path: [table, column.name],
  })
}

/** The index of the first UTF-16 surrogate in `text` that is not half of a pair. */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0xd800 || code > 0xdfff) continue
    const next = text.charCodeAt(i + 1)
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++
    else return i
  }
  return -1
}

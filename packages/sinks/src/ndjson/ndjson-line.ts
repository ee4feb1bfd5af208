import type { Position, TableName, TableRow } from '@labelpipe/core'
import { type CheckedColumn, checkedColumns, columnValue } from '../column-values.js'
import { isoUtcText } from '../iso-text.js'

/** Renders a row as one JSON object line, `\n` included: every column, in schema order, nulls written. */
export type LineEncoder = (row: TableRow['row'], at: Position) => string

/**
 * Builds the line encoder of a table. Keys are rendered once per table; values by type (docs/schema.md "Types"):
 * timestamptz as ISO-8601 UTC (`new Date(ms).toISOString()`, iso-text.ts), and json as a JSON *string* holding the JSON text,
 * exactly the bytes Postgres and Parquet get, so a value round-trips byte for byte and a reader that wants the
 * object parses it once, as it would from a Parquet or CSV column.
 */
export function lineEncoder(table: TableName, at: Position): LineEncoder {
  const columns = checkedColumns(table, at)
  const prefixes = columns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`)
  const render = columns.map(renderer)
  return (row, rowAt) => {
    const record = row as Readonly<Record<string, unknown>>
    let line = ''
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as CheckedColumn
      const value = columnValue(record, column, table, rowAt)
      line += prefixes[i] as string
      line += value === null ? 'null' : (render[i] as (value: unknown) => string)(value)
    }
    return `${line}}\n`
  }
}

function renderer(column: CheckedColumn): (value: unknown) => string {
  switch (column.type) {
    case 'text':
    case 'json':
      return (value) => JSON.stringify(value as string)
    case 'timestamptz':
      return (value) => `"${isoUtcText(value as number)}"`
    case 'bool':
      return (value) => (value ? 'true' : 'false')
    case 'int':
    case 'bigint':
    case 'double':
      // Checked finite above, so String() is exactly JSON.stringify() (and never NaN -> null).
      return (value) => String(value)
  }
}

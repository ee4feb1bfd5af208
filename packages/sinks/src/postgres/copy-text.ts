import { type Position, SinkError, type TableName, type TableRow } from '@labelpipe/core'
import { type CheckedColumn, checkedColumns, columnValue } from '../column-values.js'
import { isoUtcText, isoYearsFromMs, isoYearsToMs } from '../iso-text.js'

// COPY text format (PostgreSQL docs, "COPY", File Formats / Text Format): columns separated by a tab, rows by a
// newline, NULL as \N, and inside a value a backslash, tab, newline and carriage return written as \\, \t, \n,
// \r. Everything else, any Unicode included, goes as UTF-8 bytes. Text is measured as fast as CSV here and
// needs no quoting decisions.

/** Renders one row's columns as COPY text, without the line end; throws SinkError naming position, table and column. */
export type CopyRowEncoder = (row: TableRow['row'], at: Position) => string

/** PostgreSQL's earliest timestamptz, 4714-11-24 00:00 UTC BC (Julian day 0); JavaScript reaches further back. */
const earliestTimestampMs = -210_866_803_200_000

export function copyRowEncoder(table: TableName, at: Position): CopyRowEncoder {
  const columns = checkedColumns(table, at)
  const render = columns.map((column) => renderer(table, column))
  return (row, rowAt) => {
    const record = row as Readonly<Record<string, unknown>>
    let line = ''
    for (let i = 0; i < columns.length; i++) {
      const value = columnValue(record, columns[i] as CheckedColumn, table, rowAt)
      if (i > 0) line += '\t'
      line += value === null ? '\\N' : (render[i] as Render)(value, rowAt)
    }
    return line
  }
}

type Render = (value: unknown, at: Position) => string

function renderer(table: TableName, column: CheckedColumn): Render {
  const path = [table, column.name]
  switch (column.type) {
    case 'text':
      return (value, at) => escapeText(value as string, path, at)
    case 'json':
      return (value, at) => {
        checkJsonEscapes(value as string, path, at)
        return escapeText(value as string, path, at)
      }
    case 'timestamptz':
      return (value, at) => timestampText(value as number, path, at)
    case 'bool':
      return (value) => (value ? 't' : 'f')
    case 'int':
    case 'bigint':
    case 'double':
      // Checked finite, so String() is the shortest text that reads back as the same double.
      return (value) => String(value)
  }
}

const needsEscape = /[\\\t\n\r]/g
const escapes: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

function escapeText(value: string, path: readonly string[], at: Position): string {
  const nul = value.indexOf('\0')
  if (nul !== -1) {
    throw new SinkError(
      `NUL character (U+0000) at character ${nul}: PostgreSQL text and jsonb cannot store it; the row was not sent (clean the value upstream)`,
      { at, path: [...path] },
    )
  }
  needsEscape.lastIndex = 0
  return needsEscape.test(value) ? value.replace(needsEscape, (character) => escapes[character] as string) : value
}

/**
 * jsonb rejects the escapes `\u0000` and an unpaired surrogate (`\ud800` alone), both valid JSON text and both
 * what JSON.stringify writes for such strings (docs/facts.md). Caught here, with the row's position, instead of
 * as a COPY error that names only a staging line.
 */
function checkJsonEscapes(text: string, path: readonly string[], at: Position): void {
  if (!text.includes('\\u')) return
  for (let i = text.indexOf('\\'); i !== -1 && i < text.length; i = text.indexOf('\\', i)) {
    if (text[i + 1] !== 'u') {
      i += 2
      continue
    }
    const unit = Number.parseInt(text.slice(i + 2, i + 6), 16)
    if (unit === 0) {
      throw new SinkError(`JSON text holds the escape \\u0000 at character ${i}: jsonb cannot store NUL; the row was not sent`, {
        at,
        path: [...path],
      })
    }
    const high = unit >= 0xd800 && unit <= 0xdbff
    const low = unit >= 0xdc00 && unit <= 0xdfff
    const next = high && text[i + 6] === '\\' && text[i + 7] === 'u' ? Number.parseInt(text.slice(i + 8, i + 12), 16) : Number.NaN
    if (low || (high && !(next >= 0xdc00 && next <= 0xdfff))) {
      throw new SinkError(
        `JSON text holds an unpaired UTF-16 surrogate escape ${text.slice(i, i + 6)} at character ${i}: jsonb rejects it; the row was not sent`,
        { at, path: [...path] },
      )
    }
    i += high ? 12 : 6
  }
}

function timestampText(ms: number, path: readonly string[], at: Position): string {
  // Years 1-9999 print the same in ISO-8601 and in PostgreSQL's input; outside them the year needs its own form.
  if (ms >= isoYearsFromMs && ms < isoYearsToMs) return isoUtcText(ms)
  if (ms < earliestTimestampMs) {
    throw new SinkError(`timestamptz ${ms} ms is before 4714-11-24 BC, the earliest PostgreSQL stores`, { at, path: [...path] })
  }
  // PostgreSQL reads neither ISO's signed years nor a year 0: it wants `YYYY… BC` (astronomical year 0 is 1 BC).
  const date = new Date(ms)
  const year = date.getUTCFullYear()
  const two = (n: number) => String(n).padStart(2, '0')
  const clock = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.${String(date.getUTCMilliseconds()).padStart(3, '0')}`
  const day = `${String(year > 0 ? year : 1 - year).padStart(4, '0')}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}`
  return `${day} ${clock}+00${year > 0 ? '' : ' BC'}`
}

// The "COPY ceiling" of issue 7: the rows of a load, pre-flattened to one CSV file per table, loaded with
// `psql -c "\copy <table> from <file> csv"` into tables defined like labelpipe's (LIKE ... INCLUDING ALL: the
// same columns, primary keys and indexes). psql is what a user would run by hand; what it does not pay for
// (reading the export, JSON.parse, flattening, staging and the merge transaction) is what the ratio shows.

import { once } from 'node:events'
import { createReadStream, createWriteStream, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { type TableName, tableColumns, tableNames } from '@labelpipe/core'
import split2 from 'split2'

/** One CSV value as PostgreSQL's CSV COPY reads it: NULL unquoted and empty, anything else quoted when it must be. */
function csvValue(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
  return text === '' || /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * Turns the NDJSON dataset `ndjsonDir` (`<table>/part-*.ndjson`, as `labelpipe load --to ndjson:` writes it)
 * into `<csvDir>/<table>.csv`, columns in schema.md order. Returns the rows per table (non-empty tables only).
 */
export async function ndjsonTablesToCsv(ndjsonDir: string, csvDir: string): Promise<Map<TableName, number>> {
  const rows = new Map<TableName, number>()
  for (const table of tableNames) {
    let parts: string[]
    try {
      parts = readdirSync(join(ndjsonDir, table)).filter((name) => name.endsWith('.ndjson'))
    } catch {
      continue
    }
    const columns = tableColumns(table).map((column) => column.name)
    const out = createWriteStream(join(csvDir, `${table}.csv`), { highWaterMark: 1024 * 1024 })
    let count = 0
    for (const part of parts) {
      for await (const line of createReadStream(join(ndjsonDir, table, part)).pipe(split2()) as AsyncIterable<string>) {
        if (line === '') continue
        const row = JSON.parse(line) as Record<string, unknown>
        count++
        if (!out.write(`${columns.map((column) => csvValue(row[column])).join(',')}\n`)) await once(out, 'drain')
      }
    }
    out.end()
    await finished(out)
    if (count > 0) rows.set(table, count)
  }
  return rows
}

/** The psql arguments that create `copySchema`'s tables like `likeSchema`'s and \copy every CSV into them. */
export function psqlCopyArgs(url: string, likeSchema: string, copySchema: string, csvDir: string, tables: readonly TableName[]): string[] {
  const args = [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `DROP SCHEMA IF EXISTS ${copySchema} CASCADE; CREATE SCHEMA ${copySchema}`]
  for (const table of tables) args.push('-c', `CREATE TABLE ${copySchema}.${table} (LIKE ${likeSchema}.${table} INCLUDING ALL)`)
  for (const table of tables) {
    const columns = tableColumns(table).map((column) => column.name)
    args.push('-c', `\\copy ${copySchema}.${table} (${columns.join(', ')}) from '${join(csvDir, `${table}.csv`)}' csv`)
  }
  return args
}

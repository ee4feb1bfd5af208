// The hand-written v2 fixtures (test/fixtures/v2/SOURCES.md) checked against core's schemas, and the
// invariants every flattened row must keep whatever the input: its table's zod schema, exactly the table's
// columns in schema order, lineage, parseable json columns and unique primary keys.
import { readdirSync, readFileSync } from 'node:fs'
import { primaryKeys, type TableName, type TableRow, tableColumns, tableNames, tableSchemas, v2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { flattenDataRows } from './flatten-data-rows.js'

const fixtureDir = new URL('../../../test/fixtures/v2/', import.meta.url)
const fixtureNames = readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.ndjson'))
  .sort()

function linesOf(name: string): string[] {
  return readFileSync(new URL(name, fixtureDir), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
}

/** One load over every fixture: a single flattener, as the CLI runs one per input. */
function flattenAll(): { rows: TableRow[]; flatten: ReturnType<typeof flattenDataRows> } {
  const flatten = flattenDataRows({ loadId: '20261125T015516123Z-3fa9c1', source: 'v2' })
  const rows: TableRow[] = []
  for (const name of fixtureNames) {
    linesOf(name).forEach((line, i) => {
      rows.push(...flatten(v2DataRow.parse(JSON.parse(line)), { file: name, line: i + 1, byteOffset: 0 }))
    })
  }
  return { rows, flatten }
}

describe('v2 fixtures', () => {
  it('cover every media type of the brief', () => {
    expect(fixtureNames).toEqual([
      'conversational.ndjson',
      'dicom.ndjson',
      'document.ndjson',
      'frames-edge-cases.ndjson',
      'image.ndjson',
      'text.ndjson',
      'unknown-kind.ndjson',
      'video.ndjson',
    ])
  })

  it.each(fixtureNames)('%s: every line validates with core v2DataRow', (name) => {
    const lines = linesOf(name)
    expect(lines.length).toBeGreaterThan(0)
    lines.forEach((line, i) => {
      const result = v2DataRow.safeParse(JSON.parse(line))
      expect(result.error?.issues, `${name} line ${i + 1}`).toBeUndefined()
    })
  })
})

describe('every flattened row of every fixture', () => {
  const { rows, flatten } = flattenAll()

  it('passes its table schema from core', () => {
    const failures: string[] = []
    for (const { table, row } of rows) {
      const result = tableSchemas[table].safeParse(row)
      if (!result.success) failures.push(`${table} ${JSON.stringify(row)}: ${result.error.message}`)
    }
    expect(failures).toEqual([])
  })

  it('has exactly its table columns, in schema order, with lineage from the options', () => {
    for (const { table, row } of rows) {
      expect(Object.keys(row), table).toEqual(tableColumns(table).map((column) => column.name))
      expect(row._load_id).toBe('20261125T015516123Z-3fa9c1')
      expect(row._source).toBe('v2')
    }
  })

  it('writes json columns as JSON text', () => {
    let checked = 0
    for (const { table, row } of rows) {
      for (const column of tableColumns(table)) {
        const value = (row as Record<string, unknown>)[column.name]
        if (column.type !== 'json' || value === null) continue
        expect(() => JSON.parse(value as string), `${table}.${column.name}`).not.toThrow()
        checked++
      }
    }
    expect(checked).toBeGreaterThan(10)
  })

  it('keeps every primary key of schema.md unique across the whole load', () => {
    const seen = new Map<TableName, Set<string>>()
    const duplicates: string[] = []
    for (const { table, row } of rows) {
      const key = JSON.stringify(primaryKeys[table].map((column) => (row as Record<string, unknown>)[column as string]))
      let keys = seen.get(table)
      if (keys === undefined) seen.set(table, (keys = new Set()))
      if (keys.has(key)) duplicates.push(`${table} ${key}`)
      keys.add(key)
    }
    expect(duplicates).toEqual([])
  })

  it('counts in stats.rowsByTable exactly the rows it emitted', () => {
    const counted = Object.fromEntries(tableNames.map((table) => [table, rows.filter((r) => r.table === table).length]))
    expect(flatten.stats.rowsByTable).toEqual(counted)
    expect(flatten.stats.dataRows).toBe(10)
    // image 36 + text 7 + document 7 + conversational 7 + video 27 + dicom 9 + unknown-kind 20 + frames-edge-cases
    // 35 + 13 (per-fixture tests list each).
    expect(rows.length).toBe(161)
  })
})

// Synthetic warehouse rows for the sink tests, built from tableColumns() (never a hand-kept column list) and
// checked with each table's zod schema, so they are exactly what transforms may emit. Values are chosen to break
// writers: empty and long strings, tabs and newlines, quotes and backslashes, emoji and RTL text, int32
// extremes, denormal and huge doubles, pre-1970 and far-future instants, JSON text (including the JSON text
// `null`, which is not SQL NULL).
import { type Batch, type ColumnType, type Position, type TableName, type TableRow, tableColumns, tableSchemas } from '@labelpipe/core'

const pools: { readonly [T in ColumnType]: readonly unknown[] } = {
  text: [
    'plain',
    '',
    'tab\there',
    'line\nbreak\r\nand more',
    'quote " and \\ backslash',
    'emoji 🎉 family 👩‍👩‍👧 flag 🇫🇷',
    'RTL שלום עולם مرحبا بالعالم',
    'café naïve façade',
    'CJK 漢字かなカナ',
    'nul \u0000 inside',
    'zero\u200bwidth and \u2028 separator',
    'x'.repeat(300),
    `cl${'0123456789abcdef'.repeat(2)}`,
  ],
  json: [
    '{"a":1}',
    '[1,2,{"b":"🎉"}]',
    '"just a string"',
    'null',
    '{"nested":{"x":[1.5,-2e10,true,null]},"tab":"a\\tb"}',
    '{"poly":[{"x":0.5,"y":1},{"x":640,"y":480}]}',
  ],
  int: [0, 1, -1, 2147483647, -2147483648, 42, 65535],
  bigint: [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 1234567890123, 4294967296, -4294967297],
  double: [0, 1.5, -2.25, 1e308, 5e-324, -1e-300, Math.PI, 0.1 + 0.2, 123456789.125],
  bool: [true, false],
  timestamptz: [
    0,
    Date.UTC(2024, 0, 1, 12, 30, 45, 678),
    -1,
    Date.UTC(1900, 5, 15),
    Date.UTC(2262, 3, 11, 23, 47, 16, 854),
    8.64e15,
    -8.64e15,
  ],
}

/** A small deterministic generator (mulberry32): the same rows on every run and machine. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` rows of `table`, parsed by its zod schema (so keys are in column order), with ~20% nulls where allowed. */
export function tableRows(table: TableName, count: number, seed = 1): TableRow['row'][] {
  const next = random(seed)
  const columns = tableColumns(table)
  const rows: TableRow['row'][] = []
  for (let i = 0; i < count; i++) {
    const row: Record<string, unknown> = {}
    for (const column of columns) {
      const pool = pools[column.type]
      row[column.name] = !column.notNull && next() < 0.2 ? null : pool[Math.floor(next() * pool.length)]
    }
    // Every pool value at least once per column, in order, for the first rows.
    for (const column of columns) {
      const pool = pools[column.type]
      if (i < pool.length) row[column.name] = pool[i]
    }
    row._load_id = 'L1'
    row._source = 'v2'
    rows.push(tableSchemas[table].parse(row) as TableRow['row'])
  }
  return rows
}

const at = (line: number): Position => ({ file: 'synthetic.ndjson', line, byteOffset: line * 100 })

/** Rows of several tables interleaved the way a transform emits them, cut into batches. */
export function interleavedBatches(rowsByTable: Partial<Record<TableName, TableRow['row'][]>>, batchSize = 64): Batch<TableRow>[] {
  const queues = Object.entries(rowsByTable).map(([table, rows]) => ({ table: table as TableName, rows: rows ?? [], next: 0 }))
  const located: { value: TableRow; at: Position }[] = []
  for (let line = 1; queues.some((q) => q.next < q.rows.length); line++) {
    for (const queue of queues) {
      const row = queue.rows[queue.next]
      if (row === undefined) continue
      queue.next++
      located.push({ value: { table: queue.table, row } as TableRow, at: at(line) })
    }
  }
  const batches: Batch<TableRow>[] = []
  for (let i = 0; i < located.length; i += batchSize) batches.push(located.slice(i, i + batchSize))
  return batches
}

/**
 * What a row reads back as from NDJSON (`JSON.parse` of its line): timestamptz as ISO-8601 UTC, everything
 * else as is. Parquet readers' values are normalized to the same form before comparing.
 */
export function expectedJson(table: TableName, row: TableRow['row']): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const column of tableColumns(table)) {
    const value = (row as Record<string, unknown>)[column.name]
    out[column.name] = column.type === 'timestamptz' && value !== null ? new Date(value as number).toISOString() : value
  }
  return out
}

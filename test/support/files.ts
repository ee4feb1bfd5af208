import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'

/** Every file under `dir`, as paths relative to it, sorted. Empty when `dir` does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort()
}

export async function readNdjson(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8')
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/**
 * Reads a Parquet file with hyparquet, an independent pure-JS reader, `rowsPerRead` rows at a time.
 * Values are normalized to what the NDJSON sink writes: timestamps as ISO-8601 UTC, INT64 as numbers.
 */
export async function* readParquetRows(file: string, rowsPerRead = 50_000): AsyncGenerator<Record<string, unknown>[]> {
  const buffer = await asyncBufferFromFile(file)
  const metadata = await parquetMetadataAsync(buffer)
  const total = Number(metadata.num_rows)
  for (let rowStart = 0; rowStart < total; rowStart += rowsPerRead) {
    const rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd: Math.min(total, rowStart + rowsPerRead) })
    yield rows.map(normalizeParquetRow)
  }
}

function normalizeParquetRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) out[key] = value.toISOString()
    else if (typeof value === 'bigint') out[key] = Number(value)
    else out[key] = value ?? null
  }
  return out
}

/**
 * Every row of an NDJSON dataset as its text, per table, sorted: runs that split an export differently (worker
 * threads, shards) must produce the same multiset of rows, whatever files they are in.
 */
export async function sortedTableLines(root: string): Promise<Record<string, string[]>> {
  const byTable: Record<string, string[]> = {}
  for (const file of await listFiles(root)) {
    // <table>/<part> or, partitioned, <table>/<column>=<value>/<part>
    const path = file.split('/')
    const [table, name] = [path[0], path.at(-1)]
    if (table === undefined || name === undefined || path.length < 2 || table.startsWith('_') || !name.endsWith('.ndjson')) continue
    const text = await readFile(join(root, file), 'utf8')
    ;(byTable[table] ??= []).push(...text.split('\n').filter((line) => line !== ''))
  }
  for (const lines of Object.values(byTable)) lines.sort()
  return byTable
}

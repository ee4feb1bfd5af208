// Independent read-back for the sink tests: NDJSON with JSON.parse (and zlib), Parquet with hyparquet, a reader
// that shares no code with either writer. Values are normalized to what JSON.parse gives for the NDJSON line.

import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { type TableName, tableColumns } from '@labelpipe/core'
import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'

export async function readNdjsonRows(path: string): Promise<Record<string, unknown>[]> {
  const bytes = await readFile(path)
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')
  if (text === '') return []
  if (!text.endsWith('\n')) throw new Error(`${path} does not end with a newline`)
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

export async function readParquetMetadata(path: string): Promise<FileMetaData> {
  return parquetMetadataAsync(await asyncBufferFromFile(path))
}

export async function readParquetRows(path: string, table: TableName): Promise<Record<string, unknown>[]> {
  const file = await asyncBufferFromFile(path)
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[]
  const columns = tableColumns(table)
  return rows.map((row) => {
    const out: Record<string, unknown> = {}
    for (const { name, type } of columns) {
      const value = row[name]
      if (value instanceof Date) out[name] = type === 'timestamptz' ? value.toISOString() : value
      else if (typeof value === 'bigint') out[name] = Number(value)
      else out[name] = value
    }
    return out
  })
}

/** Rows of a committed file of either format, normalized to the NDJSON form. */
export function readRows(path: string, table: TableName): Promise<Record<string, unknown>[]> {
  return path.endsWith('.parquet') ? readParquetRows(path, table) : readNdjsonRows(path)
}

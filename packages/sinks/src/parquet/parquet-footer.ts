import { SinkError, type TableName } from '@labelpipe/core'
import type { PartFile } from '../part-file.js'
import { decodeStructField } from './thrift-compact.js'

// parquet-wasm's streaming writer drops the error of a failed batch write (`let _ = writer.write(..)` in its
// writer_async.rs) and still writes a valid footer, so a lost row group would look like success. Before a file
// is published we read its footer back and compare FileMetaData.num_rows with the rows we handed over: a few
// hundred bytes read per file. The same check runs for parquetjs-lite.

/** Throws SinkError unless `file` ends in a Parquet footer whose row count is `expectedRows`. */
export async function checkParquetFooter(file: PartFile, table: TableName, expectedRows: number): Promise<void> {
  const size = file.bytes
  const corrupt = (what: string) => new SinkError(`${table}: ${file.tempPath} is not a complete Parquet file: ${what}`)
  if (size < 12) throw corrupt(`${size} bytes`)
  const tail = await file.read(size - 8, 8)
  if (tail.toString('latin1', 4, 8) !== 'PAR1') throw corrupt('no PAR1 magic at the end')
  const footerLength = tail.readUInt32LE(0)
  if (footerLength > size - 12) throw corrupt(`footer length ${footerLength} exceeds the file`)
  let rows: number
  try {
    rows = fileMetaDataRows(await file.read(size - 8 - footerLength, footerLength))
  } catch (error) {
    if (error instanceof SinkError) throw error
    throw corrupt(`unreadable footer (${error instanceof Error ? error.message : String(error)})`)
  }
  if (rows !== expectedRows) {
    throw new SinkError(
      `${table}: ${file.tempPath} holds ${rows} rows but ${expectedRows} were written to it: the Parquet encoder lost rows`,
    )
  }
}

/** FileMetaData.num_rows (field 3, i64) of a footer. */
export function fileMetaDataRows(footer: Uint8Array): number {
  const rows = decodeStructField(footer, 3)
  if (rows === undefined) throw new RangeError('FileMetaData has no num_rows')
  if (typeof rows !== 'bigint') throw new RangeError('FileMetaData.num_rows is not an i64')
  return Number(rows)
}

import * as arrow from 'apache-arrow'
import { Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm/node'
import { describe, expect, it } from 'vitest'
import { fileMetaDataRows } from './parquet-footer.js'

function parquetFile(rows: number, rowGroupRows: number): Uint8Array {
  const ids = Array.from({ length: rows }, (_, i) => `id-${i}`)
  const table = arrow.tableFromArrays({ id: ids, n: Int32Array.from({ length: rows }, (_, i) => i) })
  const properties = new WriterPropertiesBuilder().setMaxRowGroupSize(rowGroupRows).build()
  return writeParquet(Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), properties)
}

function footerOf(file: Uint8Array): Uint8Array {
  const length = new DataView(file.buffer, file.byteOffset + file.length - 8, 4).getUint32(0, true)
  return file.subarray(file.length - 8 - length, file.length - 8)
}

describe('fileMetaDataRows', () => {
  it.each([
    [0, 10],
    [1, 10],
    [1000, 64],
    [70_000, 5000],
  ])('reads num_rows of a %i-row file past its schema and key-value metadata', (rows, rowGroupRows) => {
    expect(fileMetaDataRows(footerOf(parquetFile(rows, rowGroupRows)))).toBe(rows)
  })

  it('rejects a truncated footer instead of guessing', () => {
    const footer = footerOf(parquetFile(100, 10))
    expect(() => fileMetaDataRows(footer.subarray(0, 20))).toThrow(RangeError)
  })
})

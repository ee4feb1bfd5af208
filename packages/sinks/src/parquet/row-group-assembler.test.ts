import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SinkError } from '@labelpipe/core'
import * as arrow from 'apache-arrow'
import { readParquet, Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PartFile } from '../part-file.js'
import { fileMetaDataRows } from './parquet-footer.js'
import { RowGroupAssembler } from './row-group-assembler.js'
import { decodeStruct, i32Field, i64Field, listField, structField, type ThriftStruct } from './thrift-compact.js'

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'labelpipe-assembler-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A one-row-group file of rows [from, from + rows), as encodeRowGroup gets it from parquet-wasm. */
function groupFile(from: number, rows: number): Uint8Array {
  const table = arrow.tableFromArrays({
    id: Array.from({ length: rows }, (_, i) => `row-${from + i}`),
    n: Int32Array.from({ length: rows }, (_, i) => from + i),
  })
  // Small pages, so each column chunk has several and the offset indexes list several page locations.
  const properties = new WriterPropertiesBuilder().setDataPageSizeLimit(512).setDictionaryEnabled(true).setMaxRowGroupSize(rows).build()
  return writeParquet(Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), properties)
}

function footer(file: Uint8Array): ThriftStruct {
  const length = Buffer.from(file).readUInt32LE(file.length - 8)
  return decodeStruct(file.subarray(file.length - 8 - length, file.length - 8)).struct
}

describe('RowGroupAssembler', () => {
  it('splices one-group files into one Parquet file that arrow-rs reads back whole', async () => {
    const file = new PartFile(root, 't', 'part.parquet', 'objects')
    const assembler = new RowGroupAssembler(file, 'objects')
    const sizes = [1000, 1, 2500, 300]
    let from = 0
    for (const rows of sizes) {
      await assembler.append(groupFile(from, rows), rows)
      from += rows
    }
    await assembler.finish()
    await file.seal()
    await file.publish()
    const bytes = new Uint8Array(await readFile(file.path))

    const metadata = footer(bytes)
    expect(fileMetaDataRows(bytes.subarray(bytes.length - 8 - Buffer.from(bytes).readUInt32LE(bytes.length - 8), bytes.length - 8))).toBe(
      from,
    )
    const groups = listField(metadata, 4).items as ThriftStruct[]
    expect(groups.map((group) => i64Field(group, 3))).toEqual(sizes)
    expect(groups.map((group) => i32Field(group, 7))).toEqual([0, 1, 2, 3])

    // Every offset index must point at this file's pages: its first page is the chunk's first data page, and
    // its pages end where the chunk ends.
    for (const group of groups) {
      for (const chunk of listField(group, 1).items as ThriftStruct[]) {
        const meta = structField(chunk, 3)
        const start = i64Field(meta, 11) ?? (i64Field(meta, 9) as number)
        const end = start + (i64Field(meta, 7) as number)
        const at = i64Field(chunk, 4) as number
        const index = decodeStruct(bytes.subarray(at, at + (i32Field(chunk, 5) as number))).struct
        const pages = listField(index, 1).items as ThriftStruct[]
        expect(i64Field(pages[0] as ThriftStruct, 1)).toBe(i64Field(meta, 9))
        const last = pages[pages.length - 1] as ThriftStruct
        expect((i64Field(last, 1) as number) + (i32Field(last, 2) as number)).toBe(end)
      }
    }

    const table = readParquet(bytes)
    const read = arrow.tableFromIPC(table.intoIPCStream())
    expect(read.numRows).toBe(from)
    expect(read.getChild('n')?.toArray()).toEqual(Int32Array.from({ length: from }, (_, i) => i))
    expect(read.getChild('id')?.get(3800)).toBe('row-3800')
  })

  it('refuses a group file whose row count is not the rows handed over (parquet-wasm lost rows)', async () => {
    const assembler = new RowGroupAssembler(new PartFile(root, 't', 'part.parquet', 'labels'), 'labels')
    await expect(assembler.append(groupFile(0, 10), 11)).rejects.toThrow(/wrote 10 rows of a row group of 11/)
  })

  it('refuses bytes that are not a Parquet file', async () => {
    const assembler = new RowGroupAssembler(new PartFile(root, 't', 'part.parquet', 'labels'), 'labels')
    await expect(assembler.append(new Uint8Array(40), 1)).rejects.toBeInstanceOf(SinkError)
  })
})

import * as arrow from 'apache-arrow'
import { Table, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm/node'
import { describe, expect, it } from 'vitest'
import {
  decodeStruct,
  decodeStructField,
  encodeStruct,
  field,
  i64Field,
  setField,
  type ThriftStruct,
  ThriftType,
} from './thrift-compact.js'

function footerOf(file: Uint8Array): Uint8Array {
  const length = new DataView(file.buffer, file.byteOffset + file.length - 8, 4).getUint32(0, true)
  return file.subarray(file.length - 8 - length, file.length - 8)
}

function parquetFile(rows: number, rowGroupRows: number): Uint8Array {
  const table = arrow.tableFromArrays({
    id: Array.from({ length: rows }, (_, i) => `id-${i}`),
    n: Float64Array.from({ length: rows }, (_, i) => i / 3),
    flag: Array.from({ length: rows }, (_, i) => i % 2 === 0),
  })
  const properties = new WriterPropertiesBuilder().setMaxRowGroupSize(rowGroupRows).build()
  return writeParquet(Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), properties)
}

describe('thrift compact codec', () => {
  it.each([
    [10, 10],
    [5000, 700],
  ])('decodes and re-encodes an arrow-rs footer (%i rows) byte for byte', (rows, rowGroupRows) => {
    const footer = footerOf(parquetFile(rows, rowGroupRows))
    const { struct, end } = decodeStruct(footer)
    expect(end).toBe(footer.length)
    expect(i64Field(struct, 3)).toBe(rows)
    expect(Buffer.from(encodeStruct(struct)).equals(Buffer.from(footer))).toBe(true)
  })

  it('round-trips every type, long field deltas, negative and 64-bit integers, and big lists', () => {
    const inner: ThriftStruct = {
      kind: 'struct',
      fields: [
        { id: 1, type: ThriftType.I32, value: -7 },
        { id: 2, type: ThriftType.True, value: true },
        { id: 200, type: ThriftType.Binary, value: new Uint8Array([9, 8]) },
      ],
    }
    const struct: ThriftStruct = {
      kind: 'struct',
      fields: [
        { id: 1, type: ThriftType.True, value: true },
        { id: 2, type: ThriftType.False, value: false },
        { id: 3, type: ThriftType.Byte, value: 200 },
        { id: 4, type: ThriftType.I16, value: -300 },
        { id: 5, type: ThriftType.I32, value: 2 ** 31 - 1 },
        { id: 6, type: ThriftType.I64, value: -(2n ** 63n) },
        { id: 7, type: ThriftType.I64, value: 2n ** 63n - 1n },
        { id: 8, type: ThriftType.Double, value: -1.5e-300 },
        { id: 9, type: ThriftType.Binary, value: new Uint8Array([0, 255, 1]) },
        {
          id: 40,
          type: ThriftType.List,
          value: {
            kind: 'list',
            type: ThriftType.List,
            elementType: ThriftType.I64,
            items: Array.from({ length: 20 }, (_, i) => BigInt(i) * 1_000_000_007n),
          },
        },
        { id: 41, type: ThriftType.List, value: { kind: 'list', type: ThriftType.List, elementType: ThriftType.True, items: [1, 2, 1] } },
        {
          id: 42,
          type: ThriftType.List,
          value: { kind: 'list', type: ThriftType.List, elementType: ThriftType.Struct, items: [inner, inner] },
        },
        { id: 300, type: ThriftType.Struct, value: inner },
        { id: 301, type: ThriftType.I32, value: 5 },
      ],
    }
    const bytes = encodeStruct(struct)
    const { struct: decoded } = decodeStruct(bytes)
    expect(decoded).toEqual(struct)
    // One field alone, every field before it stepped over.
    for (const f of struct.fields) expect(decodeStructField(bytes, f.id)).toEqual(f.value)
    expect(decodeStructField(bytes, 302)).toBeUndefined()
    expect(Buffer.from(encodeStruct(decoded)).equals(Buffer.from(bytes))).toBe(true)
  })

  it('sets fields in id order and rejects truncated input', () => {
    const struct: ThriftStruct = { kind: 'struct', fields: [{ id: 2, type: ThriftType.I32, value: 1 }] }
    setField(struct, 7, ThriftType.I16, 3)
    setField(struct, 1, ThriftType.I64, 5n)
    setField(struct, 2, ThriftType.I32, 9)
    expect(struct.fields.map((f) => f.id)).toEqual([1, 2, 7])
    expect(field(struct, 2)?.value).toBe(9)
    const bytes = encodeStruct(struct)
    expect(() => decodeStruct(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError)
    expect(() => decodeStructField(bytes.subarray(0, bytes.length - 1), 8)).toThrow(RangeError)
  })
})

import { SinkError, type TableName } from '@labelpipe/core'
import type { PartFile } from '../part-file.js'

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
    throw new SinkError(`${table}: ${file.tempPath} holds ${rows} rows but ${expectedRows} were written to it: the Parquet encoder lost rows`)
  }
}

// Thrift compact protocol types (parquet.thrift is encoded with TCompactProtocol).
const T = {
  True: 1,
  False: 2,
  Byte: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  Double: 7,
  Binary: 8,
  List: 9,
  Set: 10,
  Map: 11,
  Struct: 12,
} as const

/** FileMetaData.num_rows (field 3, i64), skipping `version` and the `schema` list before it. */
export function fileMetaDataRows(footer: Uint8Array): number {
  const reader = new CompactReader(footer)
  let fieldId = 0
  for (;;) {
    const header = reader.byte()
    if (header === 0) throw new RangeError('FileMetaData has no num_rows')
    const type = header & 0x0f
    const delta = header >> 4
    fieldId = delta === 0 ? zigzag(reader.varint()) : fieldId + delta
    if (fieldId === 3 && type === T.I64) return zigzag(reader.varint())
    reader.skip(type)
  }
}

class CompactReader {
  readonly #bytes: Uint8Array
  #at = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }

  byte(): number {
    if (this.#at >= this.#bytes.length) throw new RangeError('truncated thrift data')
    return this.#bytes[this.#at++] as number
  }

  varint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      const byte = this.byte()
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
    throw new RangeError('varint longer than 10 bytes')
  }

  advance(count: number): void {
    if (this.#at + count > this.#bytes.length) throw new RangeError('truncated thrift data')
    this.#at += count
  }

  skip(type: number): void {
    switch (type) {
      case T.True:
      case T.False:
        return
      case T.Byte:
        return this.advance(1)
      case T.I16:
      case T.I32:
      case T.I64:
        this.varint()
        return
      case T.Double:
        return this.advance(8)
      case T.Binary:
        return this.advance(this.varint())
      case T.List:
      case T.Set: {
        const header = this.byte()
        const size = header >> 4 === 15 ? this.varint() : header >> 4
        for (let i = 0; i < size; i++) this.#skipElement(header & 0x0f)
        return
      }
      case T.Map: {
        const size = this.varint()
        if (size === 0) return
        const types = this.byte()
        for (let i = 0; i < size; i++) {
          this.#skipElement(types >> 4)
          this.#skipElement(types & 0x0f)
        }
        return
      }
      case T.Struct:
        for (let header = this.byte(); header !== 0; header = this.byte()) {
          if (header >> 4 === 0) this.varint()
          this.skip(header & 0x0f)
        }
        return
      default:
        throw new RangeError(`unknown thrift type ${type}`)
    }
  }

  /** Inside lists and maps a bool is a whole byte, not folded into a field header. */
  #skipElement(type: number): void {
    if (type === T.True || type === T.False) this.advance(1)
    else this.skip(type)
  }
}

function zigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2
}

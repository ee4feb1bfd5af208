import { SinkError, type TableName } from '@labelpipe/core'
import type { PartFile } from '../part-file.js'
import {
  decodeStruct,
  encodeStruct,
  field,
  i32Field,
  i64Field,
  listField,
  setField,
  structField,
  type ThriftEncoded,
  type ThriftStruct,
  ThriftType,
} from './thrift-compact.js'

// parquet-wasm can only write whole files, and a writer kept open for a whole table holds a row group's worth of
// memory per table even between row groups (arrow-rs AsyncArrowWriter keeps its output Vec's capacity: "reuse
// the buffer"), in one wasm linear memory that never shrinks. So each row group is written as a file of its own
// by a short-lived writer, and this class splices those files into one Parquet file:
//
//   file of one row group:  PAR1 │ column chunks │ column indexes │ offset indexes │ footer │ len │ PAR1
//                                 └─────── copied at `end`, every offset inside moved by end - 4 ───────┘
//   part file:              PAR1 │ group 0 … │ group 1 … │ … │ footer(all row groups) │ len │ PAR1
//
// Column chunks and column indexes hold no file offsets and are copied byte for byte; the footer's offsets and
// each offset index's page locations are moved (parquet.thrift field ids below). The result is what one
// writer would have written, except that each group's page indexes sit right after the group instead of all
// at the end, which the format allows (readers follow offset_index_offset / column_index_offset).

const FileMetaData = { numRows: 3, rowGroups: 4 } as const
const RowGroup = { columns: 1, numRows: 3, fileOffset: 5, ordinal: 7 } as const
const ColumnChunk = {
  fileOffset: 2,
  metaData: 3,
  offsetIndexOffset: 4,
  offsetIndexLength: 5,
  columnIndexOffset: 6,
  columnIndexLength: 7,
} as const
const ColumnMetaData = {
  totalCompressedSize: 7,
  dataPageOffset: 9,
  indexPageOffset: 10,
  dictionaryPageOffset: 11,
  bloomFilterOffset: 14,
} as const
const OffsetIndex = { pageLocations: 1 } as const
const PageLocation = { offset: 1 } as const

const magic = new Uint8Array([0x50, 0x41, 0x52, 0x31]) // PAR1

export class RowGroupAssembler {
  readonly #file: PartFile
  readonly #table: TableName
  /** The first file's FileMetaData: schema, key/value metadata (the Arrow schema), created_by. */
  #template: ThriftStruct | undefined
  readonly #rowGroups: ThriftEncoded[] = []
  #rows = 0
  /** Bytes written to the part file so far. */
  #end = 0

  constructor(file: PartFile, table: TableName) {
    this.#file = file
    this.#table = table
  }

  get rows(): number {
    return this.#rows
  }

  /**
   * Appends the row groups of `parquet`, a whole Parquet file, to the part file. Throws SinkError when it is not
   * a Parquet file or does not hold exactly `expectedRows` rows (parquet-wasm drops the error of a failed batch
   * write and still writes a valid footer: writer_async.rs `let _ = writer.write(..)`).
   */
  async append(parquet: Uint8Array, expectedRows: number): Promise<void> {
    const { metadata, footerStart } = this.#parse(parquet)
    const groups = listField(metadata, FileMetaData.rowGroups).items as ThriftStruct[]
    const rows = i64Field(metadata, FileMetaData.numRows) ?? 0
    if (rows !== expectedRows) {
      throw new SinkError(
        `${this.#table}: parquet-wasm wrote ${rows} rows of a row group of ${expectedRows}: the Parquet encoder lost rows`,
      )
    }

    // Column chunks: from after the leading magic to the end of the last chunk.
    let dataEnd = magic.length
    for (const group of groups) {
      for (const chunk of listField(group, RowGroup.columns).items as ThriftStruct[]) {
        const meta = structField(chunk, ColumnChunk.metaData)
        if (field(meta, ColumnMetaData.bloomFilterOffset) !== undefined) throw this.#corrupt('a bloom filter (never enabled by this sink)')
        const dictionary = i64Field(meta, ColumnMetaData.dictionaryPageOffset)
        const data = i64Field(meta, ColumnMetaData.dataPageOffset) ?? 0
        const start = dictionary === undefined ? data : Math.min(dictionary, data)
        dataEnd = Math.max(dataEnd, start + (i64Field(meta, ColumnMetaData.totalCompressedSize) ?? 0))
      }
    }
    if (dataEnd > footerStart) throw this.#corrupt('column chunks run into the footer')

    if (this.#end === 0) await this.#write(magic)
    const shift = this.#end - magic.length
    await this.#write(parquet.subarray(magic.length, dataEnd))

    // Page indexes: column indexes copied as they are, offset indexes re-encoded with moved page offsets.
    const columnIndexes: Uint8Array[] = []
    const offsetIndexes: Uint8Array[] = []
    let indexAt = this.#end
    const indexed: { chunk: ThriftStruct; offsetIndex: Uint8Array | undefined }[] = []
    for (const group of groups) {
      for (const chunk of listField(group, RowGroup.columns).items as ThriftStruct[]) {
        const columnIndex = this.#slice(parquet, chunk, ColumnChunk.columnIndexOffset, ColumnChunk.columnIndexLength, dataEnd, footerStart)
        if (columnIndex !== undefined) {
          setField(chunk, ColumnChunk.columnIndexOffset, ThriftType.I64, BigInt(indexAt))
          columnIndexes.push(columnIndex)
          indexAt += columnIndex.length
        }
        const offsetIndex = this.#slice(parquet, chunk, ColumnChunk.offsetIndexOffset, ColumnChunk.offsetIndexLength, dataEnd, footerStart)
        indexed.push({ chunk, offsetIndex: offsetIndex === undefined ? undefined : movePageLocations(offsetIndex, shift) })
      }
    }
    for (const { chunk, offsetIndex } of indexed) {
      if (offsetIndex === undefined) continue
      setField(chunk, ColumnChunk.offsetIndexOffset, ThriftType.I64, BigInt(indexAt))
      setField(chunk, ColumnChunk.offsetIndexLength, ThriftType.I32, offsetIndex.length)
      offsetIndexes.push(offsetIndex)
      indexAt += offsetIndex.length
    }
    if (indexAt > this.#end) await this.#write(Buffer.concat([...columnIndexes, ...offsetIndexes]))

    for (const group of groups) {
      for (const chunk of listField(group, RowGroup.columns).items as ThriftStruct[]) {
        const meta = structField(chunk, ColumnChunk.metaData)
        for (const id of [ColumnMetaData.dataPageOffset, ColumnMetaData.indexPageOffset, ColumnMetaData.dictionaryPageOffset])
          moveOffset(meta, id, shift)
        // arrow-rs writes the deprecated ColumnChunk.file_offset as 0; a real offset would be moved too.
        if ((i64Field(chunk, ColumnChunk.fileOffset) ?? 0) > 0) moveOffset(chunk, ColumnChunk.fileOffset, shift)
      }
      moveOffset(group, RowGroup.fileOffset, shift)
      setField(group, RowGroup.ordinal, ThriftType.I16, this.#rowGroups.length)
      this.#rowGroups.push({ kind: 'encoded', bytes: encodeStruct(group) })
    }
    this.#rows += rows
    this.#template ??= metadata
  }

  /** Writes the footer listing every row group; the file is then complete (not yet synced). */
  async finish(): Promise<void> {
    const metadata = this.#template
    if (metadata === undefined) throw new SinkError(`${this.#table}: no row group was written to ${this.#file.tempPath}`)
    setField(metadata, FileMetaData.numRows, ThriftType.I64, BigInt(this.#rows))
    setField(metadata, FileMetaData.rowGroups, ThriftType.List, {
      kind: 'list',
      type: ThriftType.List,
      elementType: ThriftType.Struct,
      items: this.#rowGroups,
    })
    const footer = encodeStruct(metadata)
    const tail = Buffer.alloc(footer.length + 8)
    tail.set(footer)
    tail.writeUInt32LE(footer.length, footer.length)
    tail.set(magic, footer.length + 4)
    await this.#write(tail)
  }

  #parse(parquet: Uint8Array): { metadata: ThriftStruct; footerStart: number } {
    const size = parquet.length
    if (size < 12) throw this.#corrupt(`${size} bytes`)
    const view = Buffer.from(parquet.buffer, parquet.byteOffset, size)
    if (!view.subarray(0, 4).equals(magic) || !view.subarray(size - 4).equals(magic)) throw this.#corrupt('no PAR1 magic')
    const footerLength = view.readUInt32LE(size - 8)
    if (footerLength > size - 12) throw this.#corrupt(`footer length ${footerLength} exceeds the file`)
    const footerStart = size - 8 - footerLength
    try {
      return { metadata: decodeStruct(parquet.subarray(footerStart, size - 8)).struct, footerStart }
    } catch (error) {
      throw this.#corrupt(`unreadable footer (${error instanceof Error ? error.message : String(error)})`)
    }
  }

  /** The bytes a chunk's (offset, length) fields point at, checked to lie between the chunks and the footer. */
  #slice(parquet: Uint8Array, chunk: ThriftStruct, offsetId: number, lengthId: number, from: number, to: number): Uint8Array | undefined {
    const offset = i64Field(chunk, offsetId)
    const length = i32Field(chunk, lengthId)
    if (offset === undefined || length === undefined) return undefined
    if (offset < from || offset + length > to) throw this.#corrupt(`a page index at ${offset} (+${length}) outside ${from}..${to}`)
    return parquet.subarray(offset, offset + length)
  }

  async #write(bytes: Uint8Array): Promise<void> {
    await this.#file.write(bytes)
    this.#end += bytes.length
  }

  #corrupt(what: string): SinkError {
    return new SinkError(`${this.#table}: parquet-wasm returned a row group that is not a Parquet file: ${what}`)
  }
}

function moveOffset(struct: ThriftStruct, id: number, shift: number): void {
  const value = field(struct, id)
  if (value === undefined) return
  if (typeof value.value !== 'bigint') throw new RangeError(`thrift field ${id} is not an i64`)
  value.value += BigInt(shift)
}

/** OffsetIndex.page_locations[*].offset moved by `shift`, re-encoded (its length may change: varints). */
function movePageLocations(offsetIndex: Uint8Array, shift: number): Uint8Array {
  const { struct } = decodeStruct(offsetIndex)
  for (const location of listField(struct, OffsetIndex.pageLocations).items as ThriftStruct[])
    moveOffset(location, PageLocation.offset, shift)
  return encodeStruct(struct)
}

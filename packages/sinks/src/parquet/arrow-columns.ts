import type * as Arrow from 'apache-arrow'
import type { CheckedColumn } from '../column-values.js'

// Rows are buffered column-wise, straight into the typed arrays Arrow wants, so a flush is one memcpy-like
// pass per column instead of apache-arrow's per-value builders (vectorFromArray). Buffers are reused across
// flushes: the Arrow data built from them is serialized to IPC (a copy) before the next row is appended.

export type ArrowModule = typeof Arrow

/** One column's buffered values; `append` takes a value already checked against the column type, or null. */
export interface ColumnBuffer {
  readonly bytes: number
  append(value: unknown): void
  /** Arrow data for everything appended since the last call, then empties the buffer. */
  take(arrow: ArrowModule, type: Arrow.DataType): Arrow.Data
}

export function arrowType(arrow: ArrowModule, column: CheckedColumn): Arrow.DataType {
  switch (column.type) {
    case 'text':
    case 'json':
      return new arrow.Utf8()
    case 'int':
      return new arrow.Int32()
    case 'bigint':
      return new arrow.Int64()
    case 'double':
      return new arrow.Float64()
    case 'bool':
      return new arrow.Bool()
    case 'timestamptz':
      // With a time zone, arrow-rs writes TIMESTAMP(isAdjustedToUTC=true, MILLIS): an instant, as schema.md asks.
      return new arrow.TimestampMillisecond('UTC')
  }
}

/**
 * `rows`: the values a buffer holds between takes, allocated up front. Sized exactly, the per-value arrays never
 * grow by doubling (measured: doubling from 1,024 left 5.4 MiB of Int32Array offsets for 8,192-row slices, half
 * of it unused).
 */
export function columnBuffer(column: CheckedColumn, rows = 1024): ColumnBuffer {
  switch (column.type) {
    case 'text':
    case 'json':
      return new Utf8Buffer(rows)
    case 'int':
      return new FixedBuffer(Int32Array, rows)
    case 'double':
      return new FixedBuffer(Float64Array, rows)
    case 'bigint':
    case 'timestamptz':
      return new Int64Buffer(rows)
    case 'bool':
      return new BoolBuffer(rows)
  }
}

/** Which values are present, a byte each while buffering (a plain store per value), packed to Arrow's bitmap on take. */
class Validity {
  #present: Uint8Array
  #nulls = 0

  constructor(rows: number) {
    this.#present = new Uint8Array(rows)
  }

  mark(index: number, present: boolean): void {
    if (index >= this.#present.length) this.#present = growTyped(this.#present, Uint8Array, index + 1)
    this.#present[index] = present ? 1 : 0
    if (!present) this.#nulls++
  }

  /** Arrow's validity bitmap for `length` values (none when nothing is null), then reset. */
  take(length: number): { nullCount: number; nullBitmap: Uint8Array | undefined } {
    const nullCount = this.#nulls
    this.#nulls = 0
    if (nullCount === 0) return { nullCount, nullBitmap: undefined }
    return { nullCount, nullBitmap: packBits(this.#present, length) }
  }
}

function packBits(bytes: Uint8Array, length: number): Uint8Array {
  const bits = new Uint8Array((length + 7) >> 3)
  for (let i = 0; i < length; i++) if (bytes[i] === 1) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7))
  return bits
}

/** Values per native UTF-8 encode: amortizes the call into C++ without holding strings for long. */
const textRun = 256

/**
 * Text is encoded to UTF-8 as it arrives, a run of values at a time (join + one Buffer.write), so the JS
 * strings die young. Holding a slice's strings until the flush made them survive scavenges: GC was the
 * largest cost of the sink (measured: ~1 s of scavenges per 200k `objects` rows).
 */
class Utf8Buffer implements ColumnBuffer {
  readonly #validity: Validity
  #run: (string | null)[] = []
  #runChars = 0
  #offsets: Int32Array
  #data: Buffer = Buffer.allocUnsafe(1 << 16)
  #end = 0
  #length = 0

  constructor(rows: number) {
    this.#validity = new Validity(rows)
    this.#offsets = new Int32Array(rows + 1)
  }

  get bytes(): number {
    return this.#end + this.#runChars + 4 * (this.#length + this.#run.length)
  }

  append(value: unknown): void {
    this.#run.push(value as string | null)
    if (value !== null) this.#runChars += (value as string).length
    if (this.#run.length === textRun) this.#encodeRun()
  }

  take(arrow: ArrowModule, type: Arrow.DataType): Arrow.Data {
    this.#encodeRun()
    const length = this.#length
    this.#length = 0
    const end = this.#end
    this.#end = 0
    // Arrow Utf8 offsets are int32; a slice is bounded by sliceRows and maxBufferedBytes, far below 2 GiB.
    if (end > 0x7fffffff) throw new RangeError('more than 2 GiB of text in one column slice')
    return arrow.makeData({
      type: type as Arrow.Utf8,
      length,
      ...this.#validity.take(length),
      valueOffsets: this.#offsets.subarray(0, length + 1),
      data: this.#data.subarray(0, end),
    })
  }

  #encodeRun(): void {
    const run = this.#run
    const count = run.length
    if (count === 0) return
    const first = this.#length
    if (first + count + 1 > this.#offsets.length) this.#offsets = growTyped(this.#offsets, Int32Array, first + count + 1)
    this.#reserve(this.#runChars * 3)
    const data = this.#data
    const offsets = this.#offsets
    const validity = this.#validity
    // join() renders null as ''. When every byte written is one UTF-16 unit (all ASCII), value lengths are
    // byte lengths; otherwise each value is written on its own, which also keeps a lone surrogate at the end of
    // one value from pairing with one at the start of the next.
    const joined = run.join('')
    let end = this.#end
    const ascii = data.write(joined, end, 'utf8') === joined.length
    for (let i = 0; i < count; i++) {
      const value = run[i] as string | null
      if (value === null) validity.mark(first + i, false)
      else {
        validity.mark(first + i, true)
        end += ascii ? value.length : data.write(value, end, 'utf8')
      }
      offsets[first + i + 1] = end
    }
    this.#end = end
    this.#length = first + count
    run.length = 0
    this.#runChars = 0
  }

  #reserve(bytes: number): void {
    if (this.#end + bytes <= this.#data.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#end + bytes, this.#data.length * 2))
    this.#data.copy(next, 0, 0, this.#end)
    this.#data = next
  }
}

type FixedArray = Int32Array | Float64Array | Uint8Array

class FixedBuffer implements ColumnBuffer {
  readonly #validity: Validity
  readonly #make: new (
    length: number,
  ) => FixedArray
  #values: FixedArray
  #length = 0

  constructor(make: new (length: number) => FixedArray, rows: number) {
    this.#validity = new Validity(rows)
    this.#make = make
    this.#values = new make(rows)
  }

  get bytes(): number {
    return 8 * this.#length
  }

  append(value: unknown): void {
    const i = this.#length++
    if (i >= this.#values.length) this.#values = growTyped(this.#values, this.#make, i + 1)
    this.#validity.mark(i, value !== null)
    this.#values[i] = value === null ? 0 : (value as number)
  }

  take(arrow: ArrowModule, type: Arrow.DataType): Arrow.Data {
    const length = this.#length
    this.#length = 0
    return arrow.makeData({
      type: type as Arrow.Int32,
      length,
      ...this.#validity.take(length),
      data: this.#values.subarray(0, length) as Int32Array,
    })
  }
}

/** int64 and timestamp values as little-endian int32 pairs: no BigInt allocated per value. */
class Int64Buffer implements ColumnBuffer {
  readonly #validity: Validity
  #words: Int32Array
  #length = 0

  constructor(rows: number) {
    this.#validity = new Validity(rows)
    this.#words = new Int32Array(2 * rows)
  }

  get bytes(): number {
    return 8 * this.#length
  }

  append(value: unknown): void {
    const i = this.#length++
    if (2 * i + 1 >= this.#words.length) this.#words = growTyped(this.#words, Int32Array, 2 * i + 2)
    this.#validity.mark(i, value !== null)
    const n = value === null ? 0 : (value as number)
    // Exact for safe integers: hi is floor(n / 2^32), lo the non-negative rest, stored as its int32 bit pattern.
    const hi = Math.floor(n / 4294967296)
    this.#words[2 * i] = n - hi * 4294967296
    this.#words[2 * i + 1] = hi
  }

  take(arrow: ArrowModule, type: Arrow.DataType): Arrow.Data {
    const length = this.#length
    this.#length = 0
    const data = new BigInt64Array(this.#words.buffer, 0, length)
    return arrow.makeData({ type: type as Arrow.Int64, length, ...this.#validity.take(length), data })
  }
}

class BoolBuffer implements ColumnBuffer {
  readonly #validity: Validity
  #values: Uint8Array
  #length = 0

  constructor(rows: number) {
    this.#validity = new Validity(rows)
    this.#values = new Uint8Array(rows)
  }

  get bytes(): number {
    return this.#length
  }

  append(value: unknown): void {
    const i = this.#length++
    if (i >= this.#values.length) this.#values = growTyped(this.#values, Uint8Array, i + 1)
    this.#validity.mark(i, value !== null)
    this.#values[i] = value === true ? 1 : 0
  }

  take(arrow: ArrowModule, type: Arrow.DataType): Arrow.Data {
    const length = this.#length
    this.#length = 0
    return arrow.makeData({ type: type as Arrow.Bool, length, ...this.#validity.take(length), data: packBits(this.#values, length) })
  }
}

/** The Arrow record batch of everything buffered, in schema order, leaving the buffers empty. */
export function takeRecordBatch(
  arrow: ArrowModule,
  schema: Arrow.Schema,
  buffers: readonly ColumnBuffer[],
  length: number,
): Arrow.RecordBatch {
  const children = buffers.map((buffer, i) => buffer.take(arrow, (schema.fields[i] as Arrow.Field).type))
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children })
  return new arrow.RecordBatch(schema, data)
}

function growTyped<T extends FixedArray>(values: T, make: new (length: number) => T, atLeast: number): T {
  const next = new make(Math.max(atLeast, values.length * 2))
  next.set(values as never)
  return next
}

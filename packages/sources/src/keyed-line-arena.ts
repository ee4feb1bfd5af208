/**
 * Keyed UTF-8 lines packed into a few large Buffers, the in-memory side of an external sort: append until
 * `full`, take the lines in key order, `clear` and refill the same Buffers.
 *
 * Why an arena and not a Buffer per line: a 688 MB spread v1 export grouped under a 256 MiB budget peaked at
 * 460 MB RSS with one `Buffer.from(line)` per label (labels of ~2 KB share Node's 8 KiB pool slabs, whose
 * tails are lost, and every spill frees ~100k backing stores that malloc keeps), and at 1.76 GB with the
 * lines as strings (V8 grows its heap limit to a multiple of a buffer that only grows). Here the bytes
 * counted against the budget are the bytes allocated, they are allocated once, and the per-line cost on the
 * V8 heap is its key and three numbers.
 */
export class KeyedLineArena {
  readonly #chunkBytes: number
  readonly #budget: number
  readonly #chunks: Buffer[] = []
  /** Lines too long for a chunk, each in its own Buffer; freed by clear(). */
  readonly #oversized: Buffer[] = []
  #chunk = -1
  #used = 0
  #oversizedBytes = 0
  #keyBytes = 0
  #keys: string[] = []
  /** Per line: its Buffer (a chunk index, or -1 - index into #oversized), start and byte length. */
  #where: number[] = []
  #start: number[] = []
  #length: number[] = []

  /**
   * @param budget bytes of Buffers (and of keys, counted at 2 bytes a character plus 40 for the entry) after
   *   which `full` is true.
   * @param chunkBytes size of each arena Buffer; a line longer than that gets a Buffer of its own.
   */
  constructor(budget: number, chunkBytes = Math.min(8 * 1024 * 1024, Math.max(64 * 1024, Math.floor(budget / 16)))) {
    this.#budget = budget
    this.#chunkBytes = chunkBytes
  }

  get size(): number {
    return this.#keys.length
  }

  /** Bytes in use: the chunks filled so far (counted in full), the oversized lines, and the keys' estimate. */
  get bytes(): number {
    return (this.#chunk + 1) * this.#chunkBytes + this.#oversizedBytes + this.#keyBytes
  }

  /** True once the bytes held reach the budget: spill, then clear. */
  get full(): boolean {
    return this.bytes >= this.#budget
  }

  append(key: string, line: string): void {
    // A UTF-8 encoding is at most 3 bytes per UTF-16 unit: when that fits, write without measuring first.
    const room = this.#chunk === -1 ? 0 : this.#chunkBytes - this.#used
    let length = line.length * 3 <= room ? -1 : Buffer.byteLength(line)
    if (length > this.#chunkBytes) {
      const own = Buffer.from(line)
      this.#oversized.push(own)
      this.#oversizedBytes += own.length
      this.#push(key, -this.#oversized.length, 0, own.length)
      return
    }
    if (this.#chunk === -1 || length > room) this.#nextChunk()
    const chunk = this.#chunks[this.#chunk] as Buffer
    length = chunk.write(line, this.#used)
    this.#push(key, this.#chunk, this.#used, length)
    this.#used += length
  }

  /** Line `i`'s bytes: a view into the arena, valid until clear(). */
  line(i: number): Buffer {
    const where = this.#where[i] as number
    const start = this.#start[i] as number
    const buffer = where >= 0 ? (this.#chunks[where] as Buffer) : (this.#oversized[-where - 1] as Buffer)
    return buffer.subarray(start, start + (this.#length[i] as number))
  }

  key(i: number): string {
    return this.#keys[i] as string
  }

  /** Line indexes in key order; equal keys keep their append order (the tie is broken by index). */
  sortedOrder(): Uint32Array {
    const keys = this.#keys
    const order = new Uint32Array(keys.length)
    for (let i = 0; i < order.length; i++) order[i] = i
    return order.sort((a, b) => {
      const ka = keys[a] as string
      const kb = keys[b] as string
      return ka < kb ? -1 : ka > kb ? 1 : a - b
    })
  }

  /** Forgets every line; keeps the chunks for the next run (allocated once: no malloc churn between spills). */
  clear(): void {
    this.#chunk = -1
    this.#used = 0
    this.#oversized.length = 0
    this.#oversizedBytes = 0
    this.#keys = []
    this.#where = []
    this.#start = []
    this.#length = []
    this.#keyBytes = 0
  }

  /** Forgets every line and lets the chunks go, for the garbage collector to return to the system. */
  release(): void {
    this.clear()
    this.#chunks.length = 0
  }

  #push(key: string, where: number, start: number, length: number): void {
    this.#keys.push(key)
    this.#where.push(where)
    this.#start.push(start)
    this.#length.push(length)
    this.#keyBytes += 2 * key.length + 40
  }

  #nextChunk(): void {
    this.#chunk++
    this.#used = 0
    // allocUnsafeSlow: a Buffer of its own, outside Node's shared pool; every byte is written before it is read.
    if (this.#chunk === this.#chunks.length) this.#chunks.push(Buffer.allocUnsafeSlow(this.#chunkBytes))
  }
}

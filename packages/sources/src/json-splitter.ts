/** A path to a container whose members are split out: object keys, `*` for any key, `#` for any array index. */
export type SplitPattern = readonly string[]

/** What the splitter reports, in input order. Buffers are views valid only during the call: copy to keep. */
export interface JsonSplitHandler {
  /** Bytes of the text with the members of every target container removed (the container itself stays, empty). */
  headerBytes(bytes: Buffer): void
  /** A container whose path matches a pattern opened; its members follow, then `targetClose`. */
  targetOpen(path: readonly (string | number)[], byteOffset: number): void
  /** One member of the open target begins at `byteOffset` (absolute): its object key or array index. */
  memberStart(key: string | number, byteOffset: number): void
  /** The member value's bytes, in one or more pieces. */
  memberBytes(bytes: Buffer): void
  memberEnd(): void
  /** The open target closed; `byteOffset` is its closing bracket's. */
  targetClose(byteOffset: number): void
}

/** Thrown for text that is not one well-formed JSON value; `byteOffset` is absolute. */
export class JsonSplitError extends Error {
  readonly byteOffset: number
  constructor(message: string, byteOffset: number) {
    super(`${message} (at byte ${byteOffset})`)
    this.byteOffset = byteOffset
  }
}

// Container states: what the next significant byte may be.
const objectKeyOrClose = 0
const objectKey = 1
const objectColon = 2
const objectValue = 3
const objectCommaOrClose = 4
const arrayValueOrClose = 5
const arrayValue = 6
const arrayCommaOrClose = 7
const rootValue = 8
const rootDone = 9

// Lexer modes.
const structure = 0
const inString = 1
const inScalar = 2
const captureContainer = 3
const captureString = 4
const captureScalar = 5

const quote = 0x22
const backslash = 0x5c
const openObject = 0x7b
const closeObject = 0x7d
const openArray = 0x5b
const closeArray = 0x5d
const comma = 0x2c
const colon = 0x3a

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

function endsScalar(byte: number): boolean {
  return byte === comma || byte === closeObject || byte === closeArray || isWhitespace(byte)
}

/**
 * Splits one JSON value, fed in chunks, into a header and the members of the containers at given paths,
 * without ever holding the whole text: the byte scanner behind the giant-line path of `readV2Export` (a
 * long video's frames map inside one v2 line) and of the v1 label array (the root array's elements).
 *
 * It checks the structure (brackets, colons, commas, strings and their escapes); scalars and the grammar
 * inside a member are left to the JSON.parse that follows (of the header, of each member), so the splitter
 * stays a byte loop: most bytes are inside members, where only strings and bracket depth are tracked.
 * Targets do not nest: a member of a target is captured whole, whatever it holds.
 */
export class JsonSplitter {
  readonly #patterns: readonly SplitPattern[]
  readonly #keyDepth: number
  readonly #handler: JsonSplitHandler
  #offset: number
  // Per open container, index = depth - 1: its state, the key or index of its current member, target flag.
  readonly #states: number[] = []
  readonly #path: (string | number)[] = []
  #rootState = rootValue
  #targetDepth = -1
  #mode = structure
  #escape = false
  #stringIsKey = false
  #keyParts: Buffer[] = []
  #keyHasEscape = false
  #stringStart = 0
  #captureDepth = 0

  /** `startOffset` is the absolute offset of the first byte fed, for positions in errors and callbacks. */
  constructor(patterns: readonly SplitPattern[], handler: JsonSplitHandler, startOffset = 0) {
    this.#patterns = patterns
    this.#keyDepth = Math.max(0, ...patterns.map((pattern) => pattern.length))
    this.#handler = handler
    this.#offset = startOffset
  }

  /** Absolute offset of the next byte to be fed. */
  get offset(): number {
    return this.#offset
  }

  write(chunk: Buffer): void {
    const length = chunk.length
    let headerFrom = this.#targetDepth === -1 ? 0 : -1
    let i = 0
    if (this.#mode === inString && this.#stringIsKey) this.#stringStart = 0
    while (i < length) {
      const mode = this.#mode
      if (mode === captureContainer) {
        i = this.#skipContainer(chunk, i)
        continue
      }
      if (mode === captureString) {
        i = this.#skipString(chunk, i)
        continue
      }
      if (mode === captureScalar) {
        i = this.#skipScalar(chunk, i)
        continue
      }
      const byte = chunk[i] as number
      if (mode === inString) {
        if (this.#escape) this.#escape = false
        else if (byte === backslash) {
          this.#escape = true
          this.#keyHasEscape = true
        } else if (byte === quote) {
          this.#mode = structure
          if (this.#stringIsKey) this.#endKey(chunk, i)
          else this.#afterValue()
        } else if (byte < 0x20) {
          throw new JsonSplitError('control character inside a string', this.#offset + i)
        }
        i++
        continue
      }
      if (mode === inScalar) {
        if (!endsScalar(byte)) {
          i++
          continue
        }
        this.#mode = structure
        this.#afterValue()
      }
      if (isWhitespace(byte)) {
        i++
        continue
      }
      const depth = this.#states.length
      const state = depth === 0 ? this.#rootState : (this.#states[depth - 1] as number)
      if (state === arrayValueOrClose && byte === closeArray) {
        if (this.#close(i)) headerFrom = i
        i++
        continue
      }
      switch (state) {
        case objectKeyOrClose:
        case objectKey:
          if (byte === quote) {
            this.#mode = inString
            this.#stringIsKey = true
            this.#keyHasEscape = false
            this.#keyParts = []
            this.#stringStart = i + 1
          } else if (byte === closeObject && state === objectKeyOrClose) {
            if (this.#close(i)) headerFrom = i
          } else throw this.#unexpected(byte, i, state === objectKey ? 'a key after ","' : 'a key or "}"')
          break
        case objectColon:
          if (byte !== colon) throw this.#unexpected(byte, i, '":" after the key')
          this.#states[depth - 1] = objectValue
          break
        case objectCommaOrClose:
        case arrayCommaOrClose:
          if (byte === comma) {
            if (state === objectCommaOrClose) this.#states[depth - 1] = objectKey
            else {
              this.#states[depth - 1] = arrayValue
              this.#path[depth - 1] = (this.#path[depth - 1] as number) + 1
            }
          } else if (byte === (state === objectCommaOrClose ? closeObject : closeArray)) {
            if (this.#close(i)) headerFrom = i
          } else throw this.#unexpected(byte, i, state === objectCommaOrClose ? '"," or "}"' : '"," or "]"')
          break
        case arrayValueOrClose:
        case objectValue:
        case arrayValue:
        case rootValue:
          if (byte === closeArray || byte === closeObject || byte === comma || byte === colon) {
            throw this.#unexpected(byte, i, 'a value')
          }
          if (this.#targetDepth !== -1 && depth === this.#targetDepth) {
            i = this.#startMember(i, byte)
            continue
          }
          if (byte === openObject || byte === openArray) {
            if (this.#open(byte, i)) {
              if (headerFrom !== -1 && i + 1 > headerFrom) this.#handler.headerBytes(chunk.subarray(headerFrom, i + 1))
              headerFrom = -1
            }
          } else if (byte === quote) {
            this.#mode = inString
            this.#stringIsKey = false
          } else {
            this.#mode = inScalar
          }
          break
        case rootDone:
          throw this.#unexpected(byte, i, 'nothing after the JSON value')
      }
      i++
    }
    if (this.#skipFrom !== -1) {
      // A member began in this chunk's last byte(s) and no skip loop ran over them yet.
      if (this.#skipFrom < length) this.#handler.memberBytes(chunk.subarray(this.#skipFrom))
      this.#skipFrom = -1
    }
    if (this.#mode === inString && this.#stringIsKey && this.#stringStart < length) {
      this.#keyParts.push(Buffer.from(chunk.subarray(this.#stringStart)))
    }
    if (headerFrom !== -1 && headerFrom < length) this.#handler.headerBytes(chunk.subarray(headerFrom))
    this.#offset += length
  }

  /** Call after the last chunk: throws if the text ended inside a value. */
  end(): void {
    if (this.#mode === inScalar && this.#states.length === 0) {
      this.#mode = structure
      this.#afterValue()
    }
    if (this.#rootState === rootDone && this.#mode === structure) return
    if (this.#rootState === rootValue && this.#states.length === 0 && this.#mode === structure) {
      throw new JsonSplitError('no JSON value', this.#offset)
    }
    const inside = this.#mode === inString || this.#mode === captureString ? 'a string' : this.#innermost()
    throw new JsonSplitError(`the text ends inside ${inside}`, this.#offset)
  }

  #innermost(): string {
    const state = this.#states.at(-1)
    return state === undefined || state <= objectCommaOrClose ? 'an object' : 'an array'
  }

  /** Pushes a container; true when it is a target (header bytes stop after its opening bracket). */
  #open(byte: number, i: number): boolean {
    const depth = this.#states.length
    this.#states.push(byte === openObject ? objectKeyOrClose : arrayValueOrClose)
    this.#path.push(byte === openObject ? '' : 0)
    if (!this.#matches(depth)) return false
    this.#targetDepth = depth + 1
    this.#handler.targetOpen(this.#path.slice(0, depth), this.#offset + i)
    return true
  }

  /** Pops a container; true when it was the target (header bytes resume at its closing bracket). */
  #close(i: number): boolean {
    const wasTarget = this.#states.length === this.#targetDepth
    this.#states.pop()
    this.#path.pop()
    if (wasTarget) {
      this.#targetDepth = -1
      this.#handler.targetClose(this.#offset + i)
    }
    this.#afterValue()
    return wasTarget
  }

  /** Does the container just pushed (its key path is `#path[0..depth)`) match a pattern? */
  #matches(depth: number): boolean {
    for (const pattern of this.#patterns) {
      if (pattern.length !== depth) continue
      let match = true
      for (let d = 0; d < depth && match; d++) {
        const want = pattern[d] as string
        const got = this.#path[d] as string | number
        match = want === '#' ? typeof got === 'number' : typeof got === 'string' && (want === '*' || want === got)
      }
      if (match) return true
    }
    return false
  }

  #afterValue(): void {
    const depth = this.#states.length
    if (depth === 0) this.#rootState = rootDone
    else {
      const state = this.#states[depth - 1] as number
      this.#states[depth - 1] = state <= objectCommaOrClose ? objectCommaOrClose : arrayCommaOrClose
    }
  }

  #endKey(chunk: Buffer, end: number): void {
    const depth = this.#states.length
    this.#states[depth - 1] = objectColon
    // Keys are decoded only where a pattern or a target member needs them.
    if (depth > this.#keyDepth && depth !== this.#targetDepth) {
      this.#path[depth - 1] = ''
      return
    }
    const last = chunk.subarray(this.#stringStart, end)
    const raw = this.#keyParts.length === 0 ? last : Buffer.concat([...this.#keyParts, last])
    this.#keyParts = []
    const text = raw.toString('utf8')
    if (!this.#keyHasEscape) {
      this.#path[depth - 1] = text
      return
    }
    try {
      this.#path[depth - 1] = JSON.parse(`"${text}"`) as string
    } catch {
      throw new JsonSplitError('invalid escape in a key', this.#offset + end - raw.length)
    }
  }

  /** Enters the capture mode for the member value starting at `i`; returns where the byte loop goes on. */
  #startMember(i: number, byte: number): number {
    const depth = this.#states.length
    this.#handler.memberStart(this.#path[depth - 1] as string | number, this.#offset + i)
    this.#escape = false
    this.#inCapturedString = false
    this.#skipFrom = i
    if (byte === openObject || byte === openArray) {
      this.#mode = captureContainer
      this.#captureDepth = 0
      return i
    }
    if (byte === quote) {
      this.#mode = captureString
      return i + 1
    }
    this.#mode = captureScalar
    return i
  }

  // Start of the member bytes not yet handed over, within the current chunk.
  #skipFrom = -1

  #skipContainer(chunk: Buffer, from: number): number {
    const start = this.#skipFrom === -1 ? from : this.#skipFrom
    this.#skipFrom = -1
    let depth = this.#captureDepth
    // 0 outside a string, 1 inside, 2 inside right after a backslash.
    let string = this.#inCapturedString ? (this.#escape ? 2 : 1) : 0
    const length = chunk.length
    let i = from
    for (; i < length; i++) {
      const byte = chunk[i] as number
      if (string !== 0) {
        if (string === 2) string = 1
        else if (byte === backslash) string = 2
        else if (byte === quote) string = 0
        continue
      }
      if (byte === quote) string = 1
      else if (byte === openObject || byte === openArray) depth++
      else if (byte === closeObject || byte === closeArray) {
        if (--depth === 0) {
          this.#handler.memberBytes(chunk.subarray(start, i + 1))
          this.#endMember()
          return i + 1
        }
      }
    }
    this.#captureDepth = depth
    this.#inCapturedString = string !== 0
    this.#escape = string === 2
    if (start < length) this.#handler.memberBytes(chunk.subarray(start))
    return length
  }

  #inCapturedString = false

  #skipString(chunk: Buffer, from: number): number {
    const start = this.#skipFrom === -1 ? from : this.#skipFrom
    this.#skipFrom = -1
    const length = chunk.length
    let escaped = this.#escape
    for (let i = from; i < length; i++) {
      const byte = chunk[i] as number
      if (escaped) escaped = false
      else if (byte === backslash) escaped = true
      else if (byte === quote) {
        this.#handler.memberBytes(chunk.subarray(start, i + 1))
        this.#endMember()
        return i + 1
      }
    }
    this.#escape = escaped
    if (start < length) this.#handler.memberBytes(chunk.subarray(start))
    return length
  }

  #skipScalar(chunk: Buffer, from: number): number {
    const start = this.#skipFrom === -1 ? from : this.#skipFrom
    this.#skipFrom = -1
    const length = chunk.length
    for (let i = from; i < length; i++) {
      if (endsScalar(chunk[i] as number)) {
        if (i > start) this.#handler.memberBytes(chunk.subarray(start, i))
        this.#endMember()
        return i
      }
    }
    if (start < length) this.#handler.memberBytes(chunk.subarray(start))
    return length
  }

  #endMember(): void {
    this.#mode = structure
    this.#escape = false
    this.#inCapturedString = false
    this.#handler.memberEnd()
    this.#afterValue()
  }

  #unexpected(byte: number, i: number, expected: string): JsonSplitError {
    const got = byte >= 0x20 && byte < 0x7f ? `"${String.fromCharCode(byte)}"` : `byte 0x${byte.toString(16).padStart(2, '0')}`
    return new JsonSplitError(`expected ${expected}, got ${got}`, this.#offset + i)
  }
}

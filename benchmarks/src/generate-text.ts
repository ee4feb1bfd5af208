// Text helpers of the generator: the output buffer and the few formatters on its hot path.

/**
 * JSON text of `value` as a "binary string": one char per UTF-8 byte (U+0000-U+00FF). Every non-ASCII
 * text of the export goes through here once, when the World is built; everything else the writers produce
 * (ids, numbers, URLs, keys) is ASCII. The output text therefore stays a V8 one-byte string, and
 * Buffer.from(text, 'latin1') is a copy. Measured on Node 20: concatenating and UTF-8-encoding 64 KB chunks
 * ran at ~1.1 GB/s for one-byte strings and ~0.26 GB/s once a single '–' made the rope two-byte, which
 * every chunk would contain (project names, free texts).
 */
export function jsonBytes(value: string): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('latin1')
}

/**
 * Collects the export's text (a binary string, see jsonBytes) into chunks of about `chunkSize` bytes.
 * Appending is plain string concatenation: V8 builds a rope, flattened once per chunk by Buffer.from. Bytes
 * are chars, so sizes are exact without encoding anything.
 */
export class ChunkBuffer {
  readonly #chunkSize: number
  #pending = ''
  #flushedBytes = 0
  #ready: Buffer[] = []

  constructor(chunkSize: number) {
    this.#chunkSize = chunkSize
  }

  write(text: string): void {
    this.#pending += text
    if (this.#pending.length >= this.#chunkSize) this.#flush()
  }

  get hasReady(): boolean {
    return this.#ready.length > 0
  }

  /** Hands over the finished chunks; the caller yields them. */
  take(): Buffer[] {
    const ready = this.#ready
    this.#ready = []
    return ready
  }

  /** Flushes what is left; call once at the end. */
  end(): Buffer[] {
    if (this.#pending.length > 0) this.#flush()
    return this.take()
  }

  /** Bytes written so far (finished and pending). */
  get bytes(): number {
    return this.#flushedBytes + this.#pending.length
  }

  #flush(): void {
    const chunk = Buffer.from(this.#pending, 'latin1')
    this.#pending = ''
    this.#flushedBytes += chunk.length
    this.#ready.push(chunk)
  }
}

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'))
const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))
const DAY_MS = 86_400_000
/** `YYYY-MM-DDT` by day number; an export spans at most a few thousand days. */
const datePrefixes = new Map<number, string>()

/**
 * `2024-03-05T10:11:12.345+00:00`, the offset form Labelbox writes. Date#toISOString took 12% of the
 * generator's profile; the date part is cached per day and the time is table lookups. `epochMs` is an integer.
 */
export function isoUtc(epochMs: number): string {
  const day = Math.floor(epochMs / DAY_MS)
  let date = datePrefixes.get(day)
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 11)
    if (datePrefixes.size > 100_000) datePrefixes.clear()
    datePrefixes.set(day, date)
  }
  let rest = epochMs - day * DAY_MS
  const ms = rest % 1000
  rest = (rest - ms) / 1000
  const s = rest % 60
  rest = (rest - s) / 60
  const m = rest % 60
  return `${date}${PAD2[(rest - m) / 60]}:${PAD2[m]}:${PAD2[s]}.${PAD3[ms]}+00:00`
}

/** The same instant written in local time with its offset (`+02:00`, `-05:00`, `+05:30`). */
export function isoWithOffset(epochMs: number, offsetMinutes: number): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 23)
  const abs = Math.abs(offsetMinutes)
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  const mm = String(abs % 60).padStart(2, '0')
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`
}

/** Rounds to 3 decimals, as the SDK's exports show coordinates (147.692). */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000
}

const FRACTIONS3: readonly string[] = Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`,
)

/**
 * A non-negative coordinate rounded to 3 decimals, the same text as `String(round3(value))` without the
 * float printing (the image writer's hottest call); negative input is clamped to 0.
 */
export function coord3(value: number): string {
  if (!(value > 0)) return '0'
  const thousandths = Math.round(value * 1000)
  const fraction = thousandths % 1000
  return `${(thousandths - fraction) / 1000}${FRACTIONS3[fraction]}`
}

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineScanner, type ScannedLine } from './line-scanner.js'

/** Every line batched by default (`batchLinesFrom` 0), so short test lines exercise json-text.ts too. */
function scanAll(bytes: Buffer, cuts: number[], maxLineLength = 1 << 20, batchLinesFrom = 0) {
  const scanner = new LineScanner(maxLineLength, undefined, undefined, batchLinesFrom)
  const lines: ScannedLine[] = []
  let from = 0
  for (const cut of [...cuts.sort((a, b) => a - b), bytes.length]) {
    lines.push(...scanner.scan(bytes.subarray(from, cut)))
    from = cut
  }
  lines.push(...scanner.end())
  return {
    lines: lines.map(plain),
    texts: lines.map((line) => line.text),
    bad: lines.flatMap((line) => (line.bad === undefined ? [] : [line.bad])),
  }
}

function parseOutcome(text: string): unknown {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return 'invalid'
  }
}

/** A line's fields as a plain object (a good line's `text` is a getter). */
function plain({ json, text, line, byteOffset, byteLength, bad }: ScannedLine) {
  return { json, text, line, byteOffset, byteLength, bad }
}

describe('LineScanner', () => {
  it('splits valid input into its lines, each with its line number and byte position', () => {
    const input = Buffer.from('{"a":"é"}\n\n{"b":"😀"}\r\nlast')
    const { lines } = scanAll(input, [3, 12, 13])
    expect(lines).toEqual([
      { json: '{"a":"\\u00e9"}', text: '{"a":"é"}', line: 1, byteOffset: 0, byteLength: 10, bad: undefined },
      { json: '', text: '', line: 2, byteOffset: 11, byteLength: 0, bad: undefined },
      { json: '{"b":"\\ud83d\\ude00"}\r', text: '{"b":"😀"}\r', line: 3, byteOffset: 12, byteLength: 13, bad: undefined },
      { json: 'last', text: 'last', line: 4, byteOffset: 26, byteLength: 4, bad: undefined },
    ])
  })

  it('starts counting at its origin', () => {
    const scanner = new LineScanner(100, { line: 41, byteOffset: 5000 })
    expect(scanner.scan(Buffer.from('a\nbc\n')).map(({ line, byteOffset }) => [line, byteOffset])).toEqual([
      [41, 5000],
      [42, 5002],
    ])
    expect(scanner.end()).toEqual([])
  })

  it('names the line and the exact byte of invalid UTF-8', () => {
    const input = Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xff]), Buffer.from('"}\n{"c":3}\n')])
    const { bad } = scanAll(input, [])
    expect(bad).toEqual([{ line: 2, byteOffset: 8, byteLength: 9, problem: 'invalid-utf8', badByteOffset: 14 }])
  })

  it('flags a multi-byte character cut off at the end of input', () => {
    const input = Buffer.concat([Buffer.from('{"a":1}\n"'), Buffer.from([0xe2, 0x82])])
    const { bad } = scanAll(input, [9])
    expect(bad).toEqual([{ line: 2, byteOffset: 8, byteLength: 3, problem: 'invalid-utf8', badByteOffset: 9 }])
  })

  it('truncates a line past maxLineLength to exactly the limit and keeps the next lines', () => {
    const input = Buffer.from(`${'x'.repeat(50)}\nshort\n${'y'.repeat(30)}`)
    const { texts, bad } = scanAll(input, [7, 20, 51, 60], 10)
    expect(texts).toEqual(['x'.repeat(10), 'short', 'y'.repeat(10)])
    expect(bad).toEqual([
      { line: 1, byteOffset: 0, byteLength: 50, problem: 'too-long', badByteOffset: -1 },
      { line: 3, byteOffset: 57, byteLength: 30, problem: 'too-long', badByteOffset: -1 },
    ])
  })

  // Any cut, inside multi-byte characters too, must give the same lines as no cut at all.
  it('gives the same lines and bad lines wherever the chunks are cut', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => Buffer.from(s)),
      fc.constant(Buffer.from('\n')),
      fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from([0xc3])),
    )
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        (pieces, rawCuts, max) => {
          const input = Buffer.concat(pieces)
          const cuts = rawCuts.map((c) => (input.length === 0 ? 0 : c % input.length))
          const whole = scanAll(input, [], max)
          const chunked = scanAll(input, cuts, max)
          expect(chunked.lines).toEqual(whole.lines)
          // Not batched, a good line's json is its text.
          const perLine = scanAll(input, cuts, max, Number.POSITIVE_INFINITY)
          expect(perLine.lines).toEqual(whole.lines.map((line) => ({ ...line, json: line.bad === undefined ? line.text : undefined })))
          // Valid lines are exactly the input's, in order, wherever their positions say.
          for (const line of whole.lines.filter((l) => l.bad === undefined)) {
            expect(line.text).toBe(input.subarray(line.byteOffset, line.byteOffset + line.byteLength).toString())
            // Its JSON text is ASCII and parses as its text does (json-text.test.ts has the property itself).
            expect(line.json).toMatch(/^\p{ASCII}*$/u)
            expect(parseOutcome(line.json as string)).toEqual(
              parseOutcome(line.text.replace(/^\ufeff/, line.byteOffset === 0 ? '' : '\ufeff')),
            )
          }
          // Every line reported invalid really is: re-decoding it strictly throws.
          for (const bad of whole.bad.filter((b) => b.problem === 'invalid-utf8')) {
            const line = input.subarray(bad.byteOffset, bad.byteOffset + bad.byteLength)
            expect(() => new TextDecoder('utf-8', { fatal: true }).decode(line)).toThrow()
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('LineScanner streaming of long lines', () => {
  /** A LineStream that keeps what it was fed, and fails on a `!`. */
  function recordingStreams() {
    const opened: { line: number; byteOffset: number; bytes: Buffer[]; destroyed: boolean }[] = []
    return {
      opened,
      streaming: {
        over: 8,
        open: (line: number, byteOffset: number) => {
          const stream = { line, byteOffset, bytes: [] as Buffer[], destroyed: false }
          opened.push(stream)
          return {
            write: (bytes: Buffer) => {
              if (bytes.includes(0x21)) throw new Error('bang')
              stream.bytes.push(Buffer.from(bytes))
            },
            end: () => Buffer.concat(stream.bytes).toString(),
            destroy: () => {
              stream.destroyed = true
            },
          }
        },
      },
    }
  }

  it('hands every line over `over` bytes to a stream, whole, whatever the chunking (property)', () => {
    const line = fc.oneof(fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'é', '{') }), fc.string({ minLength: 9, maxLength: 30 }))
    fc.assert(
      fc.property(
        fc.array(
          line.map((text) => text.replace(/[\n!]/g, '')),
          { maxLength: 8 },
        ),
        fc.array(fc.nat(200)),
        (lines, cuts) => {
          const input = Buffer.from(lines.map((text) => `${text}\n`).join(''))
          const { opened, streaming } = recordingStreams()
          const scanner = new LineScanner(1 << 20, { line: 1, byteOffset: 0 }, streaming)
          const scanned: ScannedLine[] = []
          let from = 0
          for (const cut of [...cuts.map((c) => Math.min(c, input.length)).sort((a, b) => a - b), input.length]) {
            scanned.push(...scanner.scan(input.subarray(from, cut)))
            from = cut
          }
          scanned.push(...scanner.end())
          const long = lines.map((text, i) => [i + 1, text] as const).filter(([, text]) => Buffer.byteLength(text) > 8)
          expect(opened.map((stream) => stream.line)).toEqual(long.map(([line]) => line))
          for (const [line, text] of long) {
            const taken = scanned[line - 1]?.bad
            expect(taken?.problem).toBe('streamed')
            expect(taken?.streamed).toEqual({ ok: true, value: text })
          }
          // Every line is still there, a streamed one's text cut to its first `over` bytes.
          expect(scanned.map((line) => line.text)).toEqual(
            lines.map((text) => {
              const bytes = Buffer.from(text)
              return (bytes.length > 8 ? bytes.subarray(0, 8) : bytes).toString()
            }),
          )
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reports a stream that throws as the line result, and skips the rest of that line', () => {
    const { opened, streaming } = recordingStreams()
    const scanner = new LineScanner(1 << 20, { line: 1, byteOffset: 0 }, streaming)
    const lines = [...scanner.scan(Buffer.from('0123456789!abc')), ...scanner.scan(Buffer.from('defghij\nok\n')), ...scanner.end()]
    expect(lines[0]?.bad).toMatchObject({ problem: 'streamed', byteOffset: 0, byteLength: 21, streamed: { ok: false } })
    expect(opened[0]?.destroyed).toBe(true)
    expect(plain(lines[1] as ScannedLine)).toEqual({ json: 'ok', text: 'ok', line: 2, byteOffset: 22, byteLength: 2, bad: undefined })
  })

  it('lets maxLineLength and invalid UTF-8 win over streaming, and frees the stream', () => {
    const { opened, streaming } = recordingStreams()
    const scanner = new LineScanner(12, { line: 1, byteOffset: 0 }, streaming)
    const lines = [
      ...scanner.scan(Buffer.concat([Buffer.from('0123456789\n0123456789'), Buffer.from([0xff]), Buffer.from('\n0123456789')])),
      ...scanner.scan(Buffer.from('abcdef\n')),
      ...scanner.end(),
    ]
    expect(lines.map((line) => line.bad?.problem)).toEqual(['streamed', 'invalid-utf8', 'too-long'])
    // A too-long line that was streaming keeps the text it had: its first `over` bytes.
    expect(lines[2]?.text).toBe('01234567')
    expect(opened.map((stream) => stream.destroyed)).toEqual([false, true, true])
  })

  it('keeps the first `over` bytes of a too-long line that would have streamed, however the reads are cut', () => {
    for (const cut of [3, 7, 9, 11, 14, 20]) {
      const { streaming } = recordingStreams()
      const scanner = new LineScanner(12, { line: 1, byteOffset: 0 }, streaming)
      const input = Buffer.from('0123456789abcdefgh\nok\n')
      const lines = [...scanner.scan(input.subarray(0, cut)), ...scanner.scan(input.subarray(cut)), ...scanner.end()]
      expect(lines.map((line) => [line.bad?.problem, line.text])).toEqual([
        ['too-long', '01234567'],
        [undefined, 'ok'],
      ])
    }
  })

  it('frees an unfinished stream on destroy', () => {
    const { opened, streaming } = recordingStreams()
    const scanner = new LineScanner(1 << 20, { line: 1, byteOffset: 0 }, streaming)
    scanner.scan(Buffer.from('0123456789abcdef'))
    scanner.destroy()
    expect(opened[0]?.destroyed).toBe(true)
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineScanner } from './line-scanner.js'

function scanAll(bytes: Buffer, cuts: number[], maxLineLength = 1 << 20) {
  const scanner = new LineScanner(maxLineLength)
  const forwarded: Buffer[] = []
  let from = 0
  for (const cut of [...cuts.sort((a, b) => a - b), bytes.length]) {
    forwarded.push(...scanner.scan(bytes.subarray(from, cut)))
    from = cut
  }
  scanner.end()
  const bad = []
  for (let line = 1; line <= bytes.length + 1; line++) {
    const found = scanner.takeBadLine(line)
    if (found) bad.push(found)
  }
  return { forwarded: Buffer.concat(forwarded), bad }
}

describe('LineScanner', () => {
  it('forwards valid input unchanged and reports nothing', () => {
    const input = Buffer.from('{"a":"é"}\n{"b":"😀"}\n')
    const { forwarded, bad } = scanAll(input, [3, 12])
    expect(forwarded.equals(input)).toBe(true)
    expect(bad).toEqual([])
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
    const { forwarded, bad } = scanAll(input, [7, 20, 51, 60], 10)
    expect(forwarded.toString()).toBe(`${'x'.repeat(10)}\nshort\n${'y'.repeat(10)}`)
    expect(bad).toEqual([
      { line: 1, byteOffset: 0, byteLength: 50, problem: 'too-long', badByteOffset: -1 },
      { line: 3, byteOffset: 57, byteLength: 30, problem: 'too-long', badByteOffset: -1 },
    ])
  })

  // split2's own tests cut input at every boundary; here any cut, inside multi-byte characters too, must
  // give the same result as no cut at all.
  it('gives the same forwarded bytes and bad lines wherever the chunks are cut', () => {
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
          expect(chunked.forwarded.equals(whole.forwarded)).toBe(true)
          expect(chunked.bad).toEqual(whole.bad)
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

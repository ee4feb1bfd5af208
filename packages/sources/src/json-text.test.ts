import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JsonTextBatch } from './json-text.js'

/** The JSON text of each line, added to one batch as given (a Buffer, or the views of a line cut into pieces). */
function jsonTexts(lines: readonly (Buffer | Buffer[])[], atInputStart = false): (string | undefined)[] {
  const batch = new JsonTextBatch()
  const spans = lines.map((line, i) => batch.add(line, atInputStart && i === 0))
  const text = batch.take()
  return spans.map((span) => (span === undefined ? undefined : text.slice(span.start, span.end)))
}

type Outcome = { ok: true; value: unknown } | { ok: false }

function parsed(text: string): Outcome {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

describe('JsonTextBatch', () => {
  it('writes every non-ASCII character as a \\u escape, two for one beyond U+FFFF', () => {
    const [json] = jsonTexts([Buffer.from('{"é":"a😀\u2028b"}')])
    expect(json).toBe('{"\\u00e9":"a\\ud83d\\ude00\\u2028b"}')
    expect(JSON.parse(json as string)).toEqual({ é: 'a😀\u2028b' })
  })

  it('keeps ASCII lines as they are and places each line at its own span', () => {
    expect(jsonTexts([Buffer.from('{"a":1}'), Buffer.from(''), Buffer.from('[1,"é"]')])).toEqual(['{"a":1}', '', '[1,"\\u00e9"]'])
  })

  it('leaves out a byte order mark only at the start of the input', () => {
    const line = Buffer.from('\ufeff{"a":1}')
    expect(jsonTexts([line, line], true)).toEqual(['{"a":1}', '\\ufeff{"a":1}'])
    expect(jsonTexts([[line.subarray(0, 2), line.subarray(2)]], true)).toEqual(['{"a":1}'])
  })

  it('refuses a non-ASCII character after an unescaped backslash, and takes one after an escaped backslash', () => {
    // "\é" is invalid JSON; its escape "\\u00e9" would be valid, so that line is left to its UTF-8 text.
    expect(jsonTexts([Buffer.from('{"a":"\\é"}'), Buffer.from('{"a":"\\\\é"}'), Buffer.from('{"a":"\\\\\\é"}')])).toEqual([
      undefined,
      '{"a":"\\\\\\u00e9"}',
      undefined,
    ])
  })

  it('joins a character cut between two views of one line', () => {
    const bytes = Buffer.from('["😀é"]')
    for (let cut = 1; cut < bytes.length; cut++) {
      const [json] = jsonTexts([[bytes.subarray(0, cut), bytes.subarray(cut)]])
      expect(JSON.parse(json as string)).toEqual(['😀é'])
    }
  })

  it('gives the same text for batches under and over the size decoded as one external string', () => {
    const line = Buffer.from(JSON.stringify({ text: `${'x'.repeat(5000)}é`, n: 1 }))
    for (const count of [1, 20, 300]) {
      const texts = jsonTexts(Array.from({ length: count }, () => line))
      expect(texts.every((text) => text !== undefined && JSON.parse(text).text === `${'x'.repeat(5000)}é`)).toBe(true)
    }
  })

  it('grows for a line longer than its buffer, at three times the bytes of a line of two-byte characters', () => {
    const batch = new JsonTextBatch()
    const line = Buffer.from(JSON.stringify(['é'.repeat(1 << 20)]))
    const span = batch.add(line)
    const text = batch.take()
    expect(span?.end).toBe(2 + 2 + 6 * (1 << 20))
    expect(JSON.parse(text.slice(span?.start, span?.end))).toEqual(['é'.repeat(1 << 20)])
    // The grown buffer was let go; the next batch still works.
    expect(jsonTexts([Buffer.from('"ü"')])).toEqual(['"\\u00fc"'])
    const next = batch.add(Buffer.from('"ü"'))
    expect(batch.take().slice(next?.start, next?.end)).toBe('"\\u00fc"')
  })

  it('leaves a line over 64 MiB to its UTF-8 text: escaped, it could pass the longest string V8 makes', () => {
    const batch = new JsonTextBatch()
    const long = Buffer.alloc(64 * 1024 * 1024 + 1, 0x61)
    expect(batch.add(long)).toBeUndefined()
    expect(batch.add([long.subarray(0, 10), long.subarray(10)])).toBeUndefined()
    expect(batch.add(long.subarray(1))).toEqual({ start: 0, end: 64 * 1024 * 1024 })
  })

  it('parses to the value of the UTF-8 text, and fails where the text fails (property)', () => {
    const unit = fc.constantFrom(
      '\\',
      '"',
      'u',
      '0',
      'e',
      '9',
      'a',
      '{',
      '}',
      '[',
      ']',
      ':',
      ',',
      ' ',
      'é',
      '😀',
      '\u2028',
      '\ufeff',
      '\u00a0',
      'ü',
    )
    const line = fc.oneof(
      fc.string({ unit, maxLength: 24 }),
      // Mostly inside a JSON string, where escapes are read: "\é", "\u0é", "\\é" and the like.
      fc.string({ unit, maxLength: 10 }).map((text) => `{"k":"${text}"}`),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => JSON.stringify({ [text]: text })),
    )
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (texts) => {
        const jsons = jsonTexts(texts.map((text) => Buffer.from(text)))
        texts.forEach((text, i) => {
          const json = jsons[i]
          if (json === undefined) return
          expect(json).toMatch(/^\p{ASCII}*$/u)
          expect(parsed(json)).toEqual(parsed(text))
        })
      }),
      { numRuns: 2000 },
    )
  })
})

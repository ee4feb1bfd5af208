import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import type { DeadLetter, LabelpipeError } from '@labelpipe/core'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ByteRange, openRange, rangeableFileBytes, rangeCut, splitIntoRanges } from './byte-range.js'
import { InputBytes } from './input-bytes.js'
import { readV2Export } from './read-v2-export.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-range-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function fileOf(text: string | Buffer): Promise<string> {
  const file = join(dir, 'export.ndjson')
  await writeFile(file, text)
  return file
}

/** The bytes a range reader owns, with where they start. */
async function owned(file: string, range: ByteRange): Promise<{ text: string; line: number; byteOffset: number }> {
  const input = new InputBytes(file, file, range)
  const { line, byteOffset } = await input.origin()
  const chunks: Buffer[] = []
  for await (const chunk of input.chunks()) chunks.push(chunk)
  return { text: Buffer.concat(chunks).toString('latin1'), line, byteOffset }
}

const row = (id: string) => `{"data_row":{"id":"${id}","row_data":"https://x/${id}.jpg"}}`

describe('byte ranges', () => {
  // "aa\nbbbb\ncc\n": lines start at bytes 0, 3 and 8.
  const text = 'aa\nbbbb\ncc\n'

  it.each([
    ['a boundary exactly at a line start', 3, { first: 'aa\n', second: 'bbbb\ncc\n', line: 2, byteOffset: 3 }],
    ['a boundary inside a line', 5, { first: 'aa\nbbbb\n', second: 'cc\n', line: 3, byteOffset: 8 }],
    ['a boundary at a newline', 7, { first: 'aa\nbbbb\n', second: 'cc\n', line: 3, byteOffset: 8 }],
    ['a boundary one past a newline', 8, { first: 'aa\nbbbb\n', second: 'cc\n', line: 3, byteOffset: 8 }],
    ['a boundary at the end of the file', 11, { first: text, second: '', line: 4, byteOffset: 11 }],
  ])('%s: each line goes to the range it starts in', async (_, cut, expected) => {
    const file = await fileOf(text)
    const first = await owned(file, { start: 0, end: cut })
    const second = await owned(file, { start: cut, end: text.length })
    expect(first).toEqual({ text: expected.first, line: 1, byteOffset: 0 })
    expect(second).toEqual({ text: expected.second, line: expected.line, byteOffset: expected.byteOffset })
  })

  it('splits CRLF lines between \\r and \\n without losing or doubling a line', async () => {
    const file = await fileOf('aa\r\nbb\r\ncc')
    expect((await owned(file, { start: 0, end: 3 })).text).toBe('aa\r\n')
    expect(await owned(file, { start: 3, end: 10 })).toEqual({ text: 'bb\r\ncc', line: 2, byteOffset: 4 })
  })

  it('owns nothing in an empty range or a range inside one line, and reads the last line without a newline', async () => {
    const file = await fileOf('aaaaaaaaaa\nbb')
    expect((await owned(file, { start: 4, end: 4 })).text).toBe('')
    expect((await owned(file, { start: 0, end: 0 })).text).toBe('')
    expect((await owned(file, { start: 2, end: 9 })).text).toBe('')
    expect(await owned(file, { start: 2, end: 13 })).toEqual({ text: 'bb', line: 2, byteOffset: 11 })
    expect((await owned(file, { start: 13, end: 13 })).text).toBe('')
  })

  it('tiles any file: ranges at random boundaries read every line once, each at its absolute line and byte', async () => {
    const line = fc.stringMatching(/^[ab\r]{0,12}$/)
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 12 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (lines, trailing, cuts) => {
          const content = lines.join('\n') + (trailing && lines.length > 0 ? '\n' : '')
          const file = await fileOf(content)
          const bounds = [0, ...cuts.map((c) => c % (content.length + 1)).sort((a, b) => a - b), content.length]
          let joined = ''
          for (let i = 0; i + 1 < bounds.length; i++) {
            const part = await owned(file, { start: bounds[i] as number, end: bounds[i + 1] as number })
            if (part.text !== '') {
              expect(part.byteOffset).toBe(joined.length)
              expect(part.line).toBe(joined.split('\n').length)
            }
            joined += part.text
          }
          expect(joined).toBe(content)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('cuts a chunk after the first newline at or after end - 1', () => {
    const chunk = Buffer.from('ab\ncd\nef')
    expect(rangeCut(chunk, 100, 103)).toBe(3)
    expect(rangeCut(chunk, 100, 104)).toBe(6)
    expect(rangeCut(chunk, 100, 107)).toBe(-1)
    expect(rangeCut(chunk, 100, 50)).toBe(3)
  })

  it('splits a range into equal parts that tile it', () => {
    expect(splitIntoRanges({ start: 0, end: 10 }, 3)).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 10 },
    ])
    expect(splitIntoRanges({ start: 5, end: 7 }, 4)).toEqual([
      { start: 5, end: 5 },
      { start: 5, end: 6 },
      { start: 6, end: 6 },
      { start: 6, end: 7 },
    ])
  })

  it('rejects gzip, which has no line starts to split at', async () => {
    const file = await fileOf(gzipSync(`${row('a')}\n`))
    await expect(openRange(file, { start: 0, end: 10 })).rejects.toMatchObject({ code: 'LP_INVALID_OPTION' })
    await expect(rangeableFileBytes(file)).rejects.toThrow(/gzip-compressed/)
    await expect(rangeableFileBytes(join(dir, 'missing'))).rejects.toMatchObject({ code: 'LP_INPUT' })
  })
})

describe('readV2Export with a range', () => {
  it('keeps absolute line numbers and byte offsets in records, errors and dead letters, and reports progress over the range', async () => {
    const lines = [row('a'), row('b'), 'not json', row('c'), '{"data_row":{}}', row('d')]
    const file = await fileOf(`${lines.join('\n')}\n`)
    const start = Buffer.byteLength(`${lines.slice(0, 2).join('\n')}\n`) - 3 // inside line 2: line 3 is the first owned
    const size = Buffer.byteLength(`${lines.join('\n')}\n`)
    const letters: DeadLetter[] = []
    const reader = readV2Export(file, { range: { start, end: size }, maxErrors: 5, deadLetters: (l) => void letters.push(l) })
    const seen: [string, number, number][] = []
    for await (const batch of reader) for (const { value, at } of batch) seen.push([value.data_row.id, at.line, at.byteOffset])
    const offsetOf = (i: number) => Buffer.byteLength(`${lines.slice(0, i).join('\n')}\n`)
    expect(seen).toEqual([
      ['c', 4, offsetOf(3)],
      ['d', 6, offsetOf(5)],
    ])
    expect(letters.map((l) => [l.line, l.byteOffset, l.code])).toEqual([
      [3, offsetOf(2), 'LP_EXPORT_FORMAT'],
      [5, offsetOf(4), 'LP_EXPORT_FORMAT'],
    ])
    expect(reader.stats).toEqual({ lines: 4, blankLines: 0, records: 2, deadLetters: 2 })
    expect(reader.progress()).toEqual({ bytesRead: size - start, totalBytes: size - start })

    const strict = readV2Export(file, { range: { start, end: size } })
    let error: LabelpipeError | undefined
    try {
      for await (const _ of strict) void _
    } catch (caught) {
      error = caught as LabelpipeError
    }
    expect(error).toMatchObject({ code: 'LP_EXPORT_FORMAT', line: 3, byteOffset: offsetOf(2) })
    expect(error?.message).toContain(`line 3 (byte ${offsetOf(2)})`)
  })

  it('names invalid UTF-8 found by the LineScanner by its absolute line and byte', async () => {
    const head = `${row('a')}\n${row('b')}\n`
    const file = await fileOf(Buffer.concat([Buffer.from(`${head}{"x":"`), Buffer.from([0xff]), Buffer.from('"}\n')]))
    const reader = readV2Export(file, { range: { start: head.length - 1, end: head.length + 20 } })
    await expect(
      (async () => {
        for await (const _ of reader) void _
      })(),
    ).rejects.toMatchObject({
      code: 'LP_INVALID_UTF8',
      line: 3,
      byteOffset: head.length,
      message: expect.stringContaining(`at byte ${head.length + 6}`),
    })
  })

  it('counts maxErrors across readers that share a counter', async () => {
    const file = await fileOf(`not json\n${row('a')}\nnot json\n`)
    const shared = new Int32Array(new SharedArrayBuffer(4))
    const letters: DeadLetter[] = []
    const options = { maxErrors: 1, deadLetters: (l: DeadLetter) => void letters.push(l), sharedErrorCount: shared }
    for await (const _ of readV2Export(file, { ...options, range: { start: 0, end: 5 } })) void _
    const second = readV2Export(file, { ...options, range: { start: 5, end: 100 } })
    await expect(
      (async () => {
        for await (const _ of second) void _
      })(),
    ).rejects.toMatchObject({ code: 'LP_TOO_MANY_ERRORS' })
    expect(letters.map((l) => l.line)).toEqual([1])
  })

  it('rejects a range over a stream, and a range that ends before it starts', () => {
    const stream = Readable.from([Buffer.from(row('a'))])
    expect(() => readV2Export(stream, { range: { start: 0, end: 1 } })).toThrow(/range: needs a file path/)
    expect(stream.destroyed).toBe(true)
    expect(() => readV2Export('x.ndjson', { range: { start: 5, end: 1 } })).toThrow(/start must not be after end/)
  })
})

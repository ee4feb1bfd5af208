import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import type { Batch, DeadLetter, LabelpipeError, V1Label } from '@labelpipe/core'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readV1Export } from './read-v1-export.js'

const label = (id: string, extra = '') =>
  `{"ID":"${id}","DataRow ID":"dr-${id}","Labeled Data":"https://x/${id}.jpg","Label":{"objects":[],"classifications":[]}${extra}}`

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-v1-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function collect(batches: AsyncIterable<Batch<V1Label>>) {
  const out: { id: string; line: number; byteOffset: number; arrayIndex: number | undefined }[] = []
  for await (const batch of batches)
    for (const { value, at } of batch) out.push({ id: value.ID, line: at.line, byteOffset: at.byteOffset, arrayIndex: at.arrayIndex })
  return out
}

async function failure(batches: AsyncIterable<Batch<V1Label>>, seen: string[] = []): Promise<LabelpipeError> {
  try {
    for await (const batch of batches) for (const { value } of batch) seen.push(value.ID)
  } catch (error) {
    return error as LabelpipeError
  }
  throw new Error('expected the read to fail')
}

function chunked(bytes: Buffer, cuts: readonly number[]): Readable {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const parts: Buffer[] = []
  let from = 0
  for (const point of points) {
    parts.push(bytes.subarray(from, point))
    from = point
  }
  parts.push(bytes.subarray(from))
  return Readable.from(parts.filter((part) => part.length > 0))
}

describe('readV1Export', () => {
  it('yields each label with its array index, the line and byte of its first byte (BOM, CRLF, multi-byte text)', async () => {
    const elements = [label('a'), label('b', ',"Project Name":"ünïcödé 😀"'), label('c')]
    const text = `\uFEFF[\r\n  ${elements[0]},\r\n  ${elements[1]},  ${elements[2]}\n]\n`
    const bytes = Buffer.from(text)
    const file = join(dir, 'export.json')
    await writeFile(file, bytes)
    const reader = readV1Export(file)
    const offsetOf = (element: string) => bytes.indexOf(Buffer.from(element))
    expect(await collect(reader)).toEqual([
      { id: 'a', line: 2, byteOffset: offsetOf(elements[0] as string), arrayIndex: 0 },
      { id: 'b', line: 3, byteOffset: offsetOf(elements[1] as string), arrayIndex: 1 },
      { id: 'c', line: 3, byteOffset: offsetOf(elements[2] as string), arrayIndex: 2 },
    ])
    expect(reader.stats).toEqual({ elements: 3, records: 3, deadLetters: 0 })
    expect(reader.progress()).toEqual({ bytesRead: bytes.length, totalBytes: bytes.length })
  })

  it('reads gzip by its magic number, a single label object, and an empty array', async () => {
    const gz = join(dir, 'export.json')
    await writeFile(gz, gzipSync(`[${label('a')},${label('b')}]`))
    expect((await collect(readV1Export(gz))).map((row) => row.id)).toEqual(['a', 'b'])
    const single = join(dir, 'single.json')
    await writeFile(single, `\n${label('s')}\n`)
    expect(await collect(readV1Export(single))).toEqual([{ id: 's', line: 2, byteOffset: 1, arrayIndex: 0 }])
    expect(await collect(readV1Export(Readable.from([Buffer.from(' [ ] ')])))).toEqual([])
  })

  it('gives the same labels and positions however the bytes are chunked (fast-check, cuts inside multi-byte characters)', async () => {
    const elements = [label('a', ',"Created By":"zoë@ex.com"'), label('b', ',"x":"\\"]},{["'), label('c', ',"y":"😀"')]
    const bytes = Buffer.from(`[\n${elements.join(',\n')}\n]`)
    const expected = await collect(readV1Export(Readable.from([bytes])))
    expect(expected.map((row) => row.id)).toEqual(['a', 'b', 'c'])
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(bytes.length), { maxLength: 12 }), async (cuts) => {
        expect(await collect(readV1Export(chunked(bytes, cuts)))).toEqual(expected)
      }),
      { numRuns: 150 },
    )
  })

  it('refuses an Export v2 file by content, naming the format, before reading a label', async () => {
    const v2 = '{"data_row":{"id":"d1","row_data":"https://x/1.jpg"},"projects":{}}\n{"data_row":{"id":"d2"}}\n'
    for (const bytes of [Buffer.from(v2), gzipSync(v2)]) {
      const error = await failure(readV1Export(Readable.from([bytes]), { name: 'export.json' }))
      expect(error.code).toBe('LP_UNSUPPORTED_FORMAT')
      expect(error.message).toMatch(/^export\.json line 1 \(byte 0\): this is an Export v2 file/)
    }
  })

  it('fails on a bad element with its array index, line, byte offset and field path', async () => {
    const text = `[${label('a')},\n${label('b').replace('"DataRow ID":"dr-b"', '"DataRow ID":7')}]`
    const error = await failure(readV1Export(Readable.from([Buffer.from(text)]), { name: 'v1.json' }))
    expect(error.code).toBe('LP_EXPORT_FORMAT')
    expect(error.message).toMatch(/^v1\.json line 2 \(byte \d+, array index 1\): DataRow ID: Invalid input: expected string/)
    expect(error.byteOffset).toBe(text.indexOf('{"ID":"b"'))
    const broken = `[${label('a')},${label('b').replace('"Label":', '"Label" ')}]`
    const syntax = await failure(readV1Export(Readable.from([Buffer.from(broken)]), { name: 'v1.json' }))
    expect(syntax.message).toMatch(/^v1\.json line 1 \(byte \d+, array index 1\): invalid JSON: Unexpected token/)
  })

  it('yields every complete element of a truncated array, then fails naming where it was cut', async () => {
    const text = `[${label('a')},${label('b')},${label('c')}`
    const seen: string[] = []
    const cut = await failure(readV1Export(Readable.from([Buffer.from(text.slice(0, -10))]), { batchSize: 1 }), seen)
    expect(seen).toEqual(['a', 'b'])
    expect(cut.message).toMatch(/array index 2\): the array is cut short inside this element .*: the 2 elements before it were read/)
    seen.length = 0
    const afterComma = await failure(readV1Export(Readable.from([Buffer.from(`[${label('a')},`)])), seen)
    expect(seen).toEqual(['a'])
    expect(afterComma.message).toMatch(/the array is cut short after 1 elements/)
  })

  it('dead-letters bad and truncated elements under maxErrors, and fails past it', async () => {
    const letters: DeadLetter[] = []
    const text = `[${label('a')},{"ID":1},${label('c')},${label('d').slice(0, 30)}`
    const reader = readV1Export(Readable.from([Buffer.from(text)]), { maxErrors: 2, deadLetters: (letter) => void letters.push(letter) })
    expect((await collect(reader)).map((row) => row.id)).toEqual(['a', 'c'])
    expect(reader.stats).toEqual({ elements: 4, records: 2, deadLetters: 2 })
    expect(letters.map(({ code, raw }) => ({ code, raw }))).toEqual([
      { code: 'LP_EXPORT_FORMAT', raw: '{"ID":1}' },
      { code: 'LP_EXPORT_FORMAT', raw: label('d').slice(0, 30) },
    ])
    expect(letters[1]?.reason).toMatch(/array index 3\): the array is cut short/)
    const strict = readV1Export(Readable.from([Buffer.from(text)]), { maxErrors: 1, deadLetters: () => {} })
    expect((await failure(strict)).code).toBe('LP_TOO_MANY_ERRORS')
  })

  it('refuses an element that is not UTF-8, naming its first bad byte, however the bytes are chunked', async () => {
    const head = Buffer.from(`[${label('a')},\n  `)
    const bad = Buffer.concat([Buffer.from('{"ID":"b","DataRow ID":"dr-ü'), Buffer.from([0xff]), Buffer.from(label('b').slice(25))])
    const bytes = Buffer.concat([head, bad, Buffer.from(`,${label('c')}]`)])
    const badByte = head.length + Buffer.byteLength('{"ID":"b","DataRow ID":"dr-ü')
    for (const cuts of [[], [badByte], [badByte - 1, badByte + 1], [head.length + 1]]) {
      const letters: DeadLetter[] = []
      const reader = readV1Export(chunked(bytes, cuts), {
        name: 'v1.json',
        maxErrors: 1,
        deadLetters: (letter) => void letters.push(letter),
      })
      expect((await collect(reader)).map((row) => row.id)).toEqual(['a', 'c'])
      expect(letters.map(({ code, line, byteOffset }) => ({ code, line, byteOffset }))).toEqual([
        { code: 'LP_INVALID_UTF8', line: 2, byteOffset: head.length },
      ])
      expect(letters[0]?.reason).toContain(`invalid UTF-8 at byte ${badByte}`)
    }
    const strict = await failure(readV1Export(chunked(bytes, []), { name: 'v1.json' }))
    expect(strict.message).toBe(`v1.json line 2 (byte ${head.length}, array index 1): invalid UTF-8 at byte ${badByte}`)
  })

  it('rejects an element over maxElementBytes by index, and reads on past it under maxErrors', async () => {
    const letters: DeadLetter[] = []
    const big = label('big', `,"pad":"${'x'.repeat(5000)}"`)
    const reader = readV1Export(Readable.from([Buffer.from(`[${label('a')},${big},${label('c')}]`)]), {
      maxElementBytes: 4096,
      maxErrors: 1,
      deadLetters: (letter) => void letters.push(letter),
    })
    expect((await collect(reader)).map((row) => row.id)).toEqual(['a', 'c'])
    expect(letters[0]?.reason).toMatch(/array index 1\): the element is \d+ bytes, more than maxElementBytes \(4096\)/)
  })

  it('fails on a broken array structure, an input that is not an array, and bad options', async () => {
    const seen: string[] = []
    const error = await failure(readV1Export(Readable.from([Buffer.from(`[${label('a')} x ${label('b')}]`)])), seen)
    expect(seen).toEqual(['a'])
    expect(error.message).toMatch(/array index 1\): invalid JSON array: expected "," or "]", got "x"/)
    expect((await failure(readV1Export(Readable.from([Buffer.from('"labels"')])))).message).toMatch(/expected a JSON array of labels/)
    expect(() => readV1Export('x.json', { maxErrors: 1 })).toThrow(/deadLetters: required when maxErrors > 0/)
    expect(() => readV1Export('x.json', { maxElementBytes: 0 })).toThrow(/invalid option maxElementBytes/)
  })
})

import { execFileSync } from 'node:child_process'
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import type { Batch, DeadLetter, LabelpipeError, V2DataRow } from '@labelpipe/core'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readV2Export } from './read-v2-export.js'

const row = (id: string, extra = '') => `{"data_row":{"id":"${id}","row_data":"https://x/${id}.jpg"}${extra}}`

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-v2-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function collect(batches: AsyncIterable<Batch<V2DataRow>>) {
  const out: { id: string; line: number; byteOffset: number }[] = []
  for await (const batch of batches)
    for (const { value, at } of batch) out.push({ id: value.data_row.id, line: at.line, byteOffset: at.byteOffset })
  return out
}

async function failure(batches: AsyncIterable<unknown>): Promise<LabelpipeError> {
  try {
    for await (const _ of batches) void _
  } catch (error) {
    return error as LabelpipeError
  }
  throw new Error('expected the read to fail')
}

describe('readV2Export', () => {
  it('yields located data rows with exact line numbers and byte offsets (CRLF, BOM, blank lines, multi-byte text)', async () => {
    const lines = [`\uFEFF${row('a')}`, row('b', ',"note":"ünïcödé 😀"'), '', `${row('c')}\r`, row('d')]
    const file = join(dir, 'export.json')
    await writeFile(file, lines.join('\n'))
    const reader = readV2Export(file)
    const rows = await collect(reader)
    const offsets = lines.map((_, i) => Buffer.byteLength(lines.slice(0, i).join('\n')) + (i > 0 ? 1 : 0))
    expect(rows).toEqual([
      { id: 'a', line: 1, byteOffset: 0 },
      { id: 'b', line: 2, byteOffset: offsets[1] },
      { id: 'c', line: 4, byteOffset: offsets[3] },
      { id: 'd', line: 5, byteOffset: offsets[4] },
    ])
    expect(reader.stats).toEqual({ lines: 5, blankLines: 1, records: 4, deadLetters: 0 })
    expect(reader.progress()).toEqual({ bytesRead: Buffer.byteLength(lines.join('\n')), totalBytes: Buffer.byteLength(lines.join('\n')) })
  })

  it('reads gzip by its magic number, whatever the file is called, and reports raw bytes read', async () => {
    const text = `${row('a')}\n${row('b')}\n`
    const gz = gzipSync(text)
    const file = join(dir, 'export.ndjson')
    await writeFile(file, gz)
    const reader = readV2Export(file)
    expect((await collect(reader)).map((r) => r.id)).toEqual(['a', 'b'])
    expect(reader.progress()).toEqual({ bytesRead: gz.length, totalBytes: gz.length })
  })

  it('reads a stream (stdin) under the name -', async () => {
    const reader = readV2Export(Readable.from([Buffer.from(`${row('a')}\n{"data_row":{}}\n`)]))
    const error = await failure(reader)
    expect(error.message).toBe(`- line 2 (byte ${row('a').length + 1}): data_row.id: Invalid input: expected string, received undefined`)
  })

  it('gives the same records and positions wherever the input is cut into chunks', async () => {
    const text = [row('a', ',"t":"é😀中"'), '', row('b'), `${row('c', ',"t":"\\n\\u00e9"')}\r`, row('d', ',"t":"ß"')].join('\n')
    const bytes = Buffer.from(text)
    const expected = await collect(readV2Export(Readable.from([bytes])))
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: bytes.length }), { maxLength: 12 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b)
        const chunks = [...points, bytes.length].map((end, i) => bytes.subarray(i === 0 ? 0 : (points[i - 1] as number), end))
        expect(await collect(readV2Export(Readable.from(chunks.filter((c) => c.length > 0))))).toEqual(expected)
      }),
      { numRuns: 200 },
    )
  })

  it('rejects an Export v1 file by content, before parsing any line', async () => {
    const file = join(dir, 'export.ndjson')
    await writeFile(file, '[{"ID":"l1","DataRow ID":"d1","Label":{}}]')
    const error = await failure(readV2Export(file))
    expect(error.code).toBe('LP_UNSUPPORTED_FORMAT')
    expect(error.message).toContain('Export v1')
  })

  it('checks the format where the file starts only, on its first 64 KiB: a range further in, or a long first line, is read as lines', async () => {
    // A line starting with `[`, and a 100 KB line with no data_row but a v1 key past 64 KiB: bad lines, not v1.
    const v1Looking = `{"note":"${'x'.repeat(70 * 1024)}","External ID":1}`
    const lines = [row('a'), '[1]', v1Looking, row('b')]
    const file = join(dir, 'export.ndjson')
    await writeFile(file, `${lines.join('\n')}\n`)
    const start = Buffer.byteLength(`${row('a')}\n`)
    for (const lineDecoding of ['batched', 'per-line'] as const) {
      const letters: DeadLetter[] = []
      const reader = readV2Export(file, {
        lineDecoding,
        range: { start, end: start + 5 },
        maxErrors: 5,
        deadLetters: (l) => void letters.push(l),
      })
      expect(await collect(reader)).toEqual([])
      expect(letters.map((letter) => [letter.line, letter.code])).toEqual([
        [2, 'LP_EXPORT_FORMAT'],
        [3, 'LP_EXPORT_FORMAT'],
      ])
      const whole: DeadLetter[] = []
      const all = readV2Export(file, { lineDecoding, maxErrors: 5, deadLetters: (l) => void whole.push(l) })
      expect((await collect(all)).map((r) => r.id)).toEqual(['a', 'b'])
      expect(whole.map((letter) => letter.line)).toEqual([2, 3])
    }
  })

  it('names file, line, byte and JSON position of invalid JSON at line 50,001', async () => {
    const good = row('x')
    const lines = Array.from({ length: 50_000 }, () => good)
    lines.push('{"data_row":{"id":"bad",}}', good)
    const file = join(dir, 'big.ndjson')
    await writeFile(file, lines.join('\n'))
    const lineStart = 50_000 * (good.length + 1)
    const error = await failure(readV2Export(file))
    expect(error.code).toBe('LP_EXPORT_FORMAT')
    expect(error.line).toBe(50_001)
    expect(error.byteOffset).toBe(lineStart)
    expect(error.message).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 50001 \\(byte ${lineStart}\\): invalid JSON: .* \\(at byte ${lineStart + 24}\\)$`,
      ),
    )
  })

  it('names the byte of a syntax error on a first line that starts with a byte order mark, past the mark', async () => {
    const file = join(dir, 'bom.ndjson')
    await writeFile(file, '\uFEFF{"data_row":{"id":"a"},x}\n')
    const error = await failure(readV2Export(file))
    expect([error.line, error.byteOffset]).toEqual([1, 0])
    // EF BB BF, then `{"data_row":{"id":"a"},` (23 bytes): the x is byte 26.
    expect(error.message).toMatch(/ \(at byte 26\)$/)
  })

  it('names the zod path of a field of the wrong type', async () => {
    const file = join(dir, 'e.ndjson')
    await writeFile(file, `${row('a', ',"projects":{"p1":{"labels":[{"id":"l1","annotations":{"frames":[]}}]}}')}\n`)
    const error = await failure(readV2Export(file))
    expect(error.message).toBe(
      `${file} line 1 (byte 0): projects.p1.labels[0].annotations.frames: Invalid input: expected record, received array`,
    )
  })

  it('drops a "__proto__" key, which zod does not check, from objects and records it validated', async () => {
    const file = join(dir, 'p.ndjson')
    const label = (annotations: string) => `,"projects":{"p1":{"labels":[{"id":"l1","annotations":${annotations}}]}}`
    await writeFile(
      file,
      `${row('a', `,"__proto__":1${label('{"frames":{}}')}`)}\n${row('b', label('{"segments":{"__proto__":{"not":"ranges"},"f1":[[1,2]]}}'))}\n`,
    )
    const rows: V2DataRow[] = []
    for await (const batch of readV2Export(file)) for (const { value } of batch) rows.push(value)
    const labelB = rows[1]?.projects?.p1?.labels?.[0]
    const segments = labelB?.annotations?.segments ?? {}
    expect([Object.hasOwn(rows[0] as object, '__proto__'), Object.hasOwn(segments, '__proto__')]).toEqual([false, false])
    expect(segments).toEqual({ f1: [[1, 2]] })
    expect(Object.getPrototypeOf(segments)).toBe(Object.prototype)
  })

  it('fails on a truncated last line, after reading the complete ones', async () => {
    const file = join(dir, 't.ndjson')
    await writeFile(file, `${row('a')}\n${row('b').slice(0, 20)}`)
    const reader = readV2Export(file, { batchSize: 1 })
    const seen: string[] = []
    const error = await failure(
      (async function* () {
        for await (const batch of reader) for (const r of batch) seen.push(r.value.data_row.id)
        yield
      })(),
    )
    expect(seen).toEqual(['a'])
    expect(error).toMatchObject({ code: 'LP_EXPORT_FORMAT', line: 2 })
  })

  it('reports invalid UTF-8 and over-long lines with their line and byte', async () => {
    const file = join(dir, 'u.ndjson')
    await writeFile(file, Buffer.concat([Buffer.from(`${row('a')}\n{"data_row":{"id":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}}\n')]))
    const error = await failure(readV2Export(file))
    const lineStart = row('a').length + 1
    expect(error).toMatchObject({ code: 'LP_INVALID_UTF8', line: 2, byteOffset: lineStart })
    expect(error.message).toContain(`invalid UTF-8 at byte ${lineStart + 19}`)

    await writeFile(file, `${row('a')}\n${row('b', `,"pad":"${'x'.repeat(500)}"`)}\n${row('c')}\n`)
    const tooLong = await failure(readV2Export(file, { maxLineLength: 200 }))
    expect(tooLong).toMatchObject({ code: 'LP_LINE_TOO_LONG', line: 2, byteOffset: lineStart })
  })

  it('dead-letters bad lines up to maxErrors, keeps every good row, then fails with TooManyErrors', async () => {
    const file = join(dir, 'd.ndjson')
    const badUtf8 = Buffer.concat([Buffer.from('{"data_row":{"id":"'), Buffer.from([0xff]), Buffer.from('"}}')])
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from(`${row('a')}\nnot json\n${row('b', `,"pad":"${'x'.repeat(300)}"`)}\n`),
        badUtf8,
        Buffer.from(`\n${row('c')}\n{"data_row":{"id":5}}\n${row('d')}`),
      ]),
    )
    const letters: DeadLetter[] = []
    const reader = readV2Export(file, { maxErrors: 4, maxLineLength: 200, deadLetters: (letter) => void letters.push(letter) })
    expect((await collect(reader)).map((r) => r.id)).toEqual(['a', 'c', 'd'])
    expect(letters.map((l) => [l.line, l.code])).toEqual([
      [2, 'LP_EXPORT_FORMAT'],
      [3, 'LP_LINE_TOO_LONG'],
      [4, 'LP_INVALID_UTF8'],
      [6, 'LP_EXPORT_FORMAT'],
    ])
    expect(letters[0]).toMatchObject({ file, byteOffset: row('a').length + 1, raw: 'not json' })
    expect(letters[2]?.raw).toBe('{"data_row":{"id":"\uFFFD"}}')
    expect(reader.stats).toEqual({ lines: 7, blankLines: 0, records: 3, deadLetters: 4 })

    const strict = await failure(readV2Export(file, { maxErrors: 3, maxLineLength: 200, deadLetters: () => {} }))
    expect(strict.code).toBe('LP_TOO_MANY_ERRORS')
    expect(strict.message).toContain('line 6')
  })

  it('reads the same records, dead letters, errors and stats whether lines are decoded batched, per line or auto', async () => {
    const long = 'é😀'.repeat(40_000) // 240 KB of non-ASCII: a line that spans 1 MiB reads
    const lines = [
      `\uFEFF${row('a', ',"t":"ü"')}`,
      row('b', `,"t":"${long}","u":"\\\\ü \\u00fc \u2028"`),
      '\uFEFF',
      '   ',
      '{"data_row":{"id":"\\ü"}}', // a backslash before a non-ASCII character: invalid JSON, dead-lettered as is
      `{"data_row":{"id":"c","row_data":"é"} "x"}`,
      row('d', `,"t":"${'x'.repeat(1_200_000)}"`),
      `{"data_row":{"id":"é"},"projects":{"p":{"labels":5}}}`,
      ...Array.from({ length: 3000 }, (_, i) => row(`r${i}`, i % 7 === 0 ? ',"t":"ça"' : '')),
    ]
    const file = join(dir, 'mixed.ndjson')
    await writeFile(file, lines.join('\n'))
    const read = async (lineDecoding: 'auto' | 'batched' | 'per-line') => {
      const letters: DeadLetter[] = []
      const reader = readV2Export(file, { lineDecoding, maxErrors: 10, deadLetters: (letter) => void letters.push(letter) })
      const rows: unknown[] = []
      for await (const batch of reader) for (const { value, at } of batch) rows.push({ value, at })
      return { rows, letters, stats: reader.stats }
    }
    const batched = await read('batched')
    expect(batched).toEqual(await read('per-line'))
    expect(batched).toEqual(await read('auto'))
    expect(batched.stats).toEqual({ lines: 3008, blankLines: 2, records: 3003, deadLetters: 3 })
    expect(batched.letters.map((letter) => [letter.line, letter.raw.slice(0, 30)])).toEqual([
      [5, '{"data_row":{"id":"\\ü"}}'],
      [6, '{"data_row":{"id":"c","row_dat'],
      [8, '{"data_row":{"id":"é"},"projec'],
    ])
    // The exact byte of the syntax error, counted in the line's UTF-8 bytes (é is 2).
    const at = (batched.letters[1]?.byteOffset as number) + Buffer.byteLength('{"data_row":{"id":"c","row_data":"é"} ')
    expect(batched.letters[1]?.reason).toMatch(new RegExp(`at position 38 \\(at byte ${at}\\)$`))
    expect((batched.rows[1] as { value: { t: string; u: string } }).value).toMatchObject({ t: long, u: '\\ü ü \u2028' })
  })

  it('reads a FIFO by its path, untouched before it is read (auto decoding samples only regular files)', async () => {
    const fifo = join(dir, 'export.fifo')
    execFileSync('mkfifo', [fifo])
    const rows = collect(readV2Export(fifo))
    // Opening for writing waits for the reader: the one the reader opens to read, as nothing else opened it.
    const writer = await open(fifo, 'w')
    await writer.write(`${row('a')}\n${row('b', `,"t":"${'é'.repeat(50_000)}"`)}\n`)
    await writer.close()
    expect((await rows).map((r) => r.id)).toEqual(['a', 'b'])
  })

  it('validates options before touching the input', async () => {
    const stream = Readable.from([Buffer.from('x')])
    expect(() => readV2Export(stream, { maxErrors: 2 })).toThrow(/invalid option deadLetters/)
    expect(stream.destroyed).toBe(true)
    expect(() => readV2Export('nope', { maxLineLength: -1 })).toThrow(/invalid option maxLineLength/)
  })

  it('reports a missing file and a truncated .gz as LP_INPUT', async () => {
    expect(await failure(readV2Export(join(dir, 'missing.ndjson')))).toMatchObject({ code: 'LP_INPUT' })
    const file = join(dir, 'cut.gz')
    const gz = gzipSync(`${row('a')}\n`.repeat(1000))
    await writeFile(file, gz.subarray(0, gz.length - 20))
    const error = await failure(readV2Export(file))
    expect(error.code).toBe('LP_INPUT')
    expect(error.message).toContain('truncated')
    expect(await readdir(dir)).toEqual(['cut.gz'])
  })
})

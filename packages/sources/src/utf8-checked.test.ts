import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { LabelpipeError } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { utf8Checked } from './utf8-checked.js'

/** What comes out of utf8Checked for `chunks`, or the error it fails with. */
async function through(chunks: readonly Buffer[]): Promise<Buffer | LabelpipeError> {
  const out: Buffer[] = []
  try {
    await pipeline(Readable.from(chunks), utf8Checked('f.ndjson'), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk)
    })
  } catch (error) {
    return error as LabelpipeError
  }
  return Buffer.concat(out)
}

/** `bytes` cut at every offset in turn, into two chunks. */
const cutsOf = (bytes: Buffer) => Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.subarray(0, i), bytes.subarray(i)])

describe('utf8Checked', () => {
  it('passes UTF-8 through unchanged, a multi-byte character cut between chunks included', async () => {
    const text = Buffer.from('{"a":"ü"}\n{"b":"😀€"}\n')
    for (const chunks of cutsOf(text)) expect(await through(chunks)).toEqual(text)
  })

  it('fails at the first byte that is not UTF-8 with its file, line and line start, wherever the chunks are cut', async () => {
    const good = Buffer.from('{"a":"ü"}\n{"b":1}\n')
    const bytes = Buffer.concat([good, Buffer.from('{"c":"x'), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from('"}\n')])
    for (const chunks of cutsOf(bytes)) {
      expect(await through(chunks)).toMatchObject({
        code: 'LP_INVALID_UTF8',
        file: 'f.ndjson',
        line: 3,
        byteOffset: good.length,
        message: `f.ndjson line 3 (byte ${good.length}): invalid UTF-8 at byte ${good.length + 7}`,
      })
    }
  })

  it('fails when the file ends inside a multi-byte character', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":1}\n"'), Buffer.from('😀').subarray(0, 2)])
    expect(await through([bytes])).toMatchObject({
      code: 'LP_INVALID_UTF8',
      line: 2,
      byteOffset: 8,
      message: expect.stringContaining('at byte 9'),
    })
  })
})

import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DeadLetter, SinkError } from '@labelpipe/core'
import { deadLetterFile, readDeadLetters } from '@labelpipe/sinks/ndjson'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'labelpipe-dead-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const letter = (line: number, raw = `{"broken":${line}`): DeadLetter => ({
  file: 'export.ndjson',
  line,
  byteOffset: line * 100,
  code: 'LP_EXPORT_FORMAT',
  reason: `line ${line}: expected object`,
  raw,
})

describe('deadLetterFile', () => {
  it('creates no file when no letter is written', async () => {
    const path = join(root, 'dead.ndjson')
    const letters = deadLetterFile(path)
    await letters.close()
    expect(existsSync(path)).toBe(false)
    expect(letters.count).toBe(0)
  })

  it('appends one NDJSON line per letter, with the DeadLetter keys in order', async () => {
    const path = join(root, 'dead.ndjson')
    await writeFile(path, '{"from":"an earlier run"}\n')
    const letters = deadLetterFile(path)
    const raws = ['plain', 'tab\tnew\nline', 'emoji 🎉 RTL שלום', '\ufffd invalid utf-8 shown as U+FFFD']
    for (const [i, raw] of raws.entries()) await letters.write(letter(i + 1, raw))
    await letters.close()
    expect(letters.count).toBe(4)
    const lines = (await readFile(path, 'utf8')).split('\n')
    expect(lines.at(-1)).toBe('')
    expect(lines[0]).toBe('{"from":"an earlier run"}')
    const parsed = lines.slice(1, -1).map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(parsed).toEqual(raws.map((raw, i) => letter(i + 1, raw)))
    for (const record of parsed) expect(Object.keys(record)).toEqual(['file', 'line', 'byteOffset', 'code', 'reason', 'raw'])
  })

  it('returns a promise that waits for drain when the file falls behind', async () => {
    const path = join(root, 'dead.ndjson')
    const letters = deadLetterFile(path)
    // One letter larger than the stream's 64 KiB buffer: write() says "wait", so the promise settles on
    // 'drain', which comes only once the bytes are handed to the file.
    const big = 'x'.repeat(80 * 1024)
    await letters.write(letter(1, big))
    expect((await readFile(path)).length).toBeGreaterThan(80 * 1024)
    await letters.close()
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(2)
  })

  it('creates missing folders on the first letter', async () => {
    const path = join(root, '_dead_letters', 'nested', 'run.ndjson')
    const letters = deadLetterFile(path)
    expect(existsSync(join(root, '_dead_letters'))).toBe(false)
    await letters.write(letter(1))
    await letters.close()
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(letter(1))
  })

  it('never throws synchronously: a path under a file rejects the write, every later one, and close()', async () => {
    await writeFile(join(root, 'a-file'), '')
    const letters = deadLetterFile(join(root, 'a-file', 'dead.ndjson'))
    let first: void | Promise<void> | undefined
    expect(() => {
      first = letters.write(letter(1))
    }).not.toThrow()
    const failure = await Promise.resolve(first).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(SinkError)
    expect((failure as Error).message).toMatch(/^dead letters: cannot write .*a-file.*(ENOTDIR|EEXIST)/)
    await expect(letters.write(letter(2))).rejects.toBe(failure)
    await expect(letters.close()).rejects.toBe(failure)
  })

  it('refuses letters after close()', async () => {
    const letters = deadLetterFile(join(root, 'dead.ndjson'))
    await letters.write(letter(1))
    await letters.close()
    await expect(letters.write(letter(2))).rejects.toThrow(/is closed/)
    await letters.close()
  })
})

describe('readDeadLetters', () => {
  const all = async (path: string) => {
    const letters: DeadLetter[] = []
    for await (const read of readDeadLetters(path)) letters.push(read)
    return letters
  }

  it('reads back, in order, what deadLetterFile wrote; no file is no letter', async () => {
    const path = join(root, 'dead.ndjson')
    expect(await all(path)).toEqual([])
    const written = [letter(1, 'tab\tnew\nline'), letter(2, 'emoji 🎉 RTL שלום'), letter(3, 'a NUL \u0000 too')]
    const file = deadLetterFile(path)
    for (const one of written) await file.write(one)
    await file.close()
    expect(await all(path)).toEqual(written)
  })

  it('names the file, line and field of a line that is not a dead letter', async () => {
    const path = join(root, 'dead.ndjson')
    await writeFile(path, `${JSON.stringify(letter(1))}\n${JSON.stringify({ ...letter(2), line: 'two' })}\nnot json\n`)
    await expect(all(path)).rejects.toThrow(
      `dead letters: ${path} line 2 is not a dead letter: line: Invalid input: expected number, received string`,
    )
    await writeFile(path, `${JSON.stringify(letter(1))}\nnot json\n`)
    await expect(all(path)).rejects.toThrow(new RegExp(`dead letters: ${path} line 2 is not JSON: Unexpected token`))
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyedLineArena } from './keyed-line-arena.js'

function linesInOrder(arena: KeyedLineArena): [string, string][] {
  return [...arena.sortedOrder()].map((i) => [arena.key(i), arena.line(i).toString('utf8')])
}

describe('KeyedLineArena', () => {
  it('gives every line back byte-exact in key order, equal keys in append order', () => {
    const arena = new KeyedLineArena(1 << 20, 64)
    const appended: [string, string][] = [
      ['b', 'first b'],
      ['a', 'émoji 🎉 and right-to-left שלום'],
      ['b', 'second b'],
      ['a', 'x'.repeat(200)], // longer than a 64-byte chunk: a Buffer of its own
      ['c', ''],
    ]
    for (const [key, line] of appended) arena.append(key, line)
    expect(arena.size).toBe(5)
    expect(linesInOrder(arena)).toEqual([appended[1], appended[3], appended[0], appended[2], appended[4]])
  })

  it('is full once the chunks in use and the keys reach the budget, and clear() reuses the chunks', () => {
    const arena = new KeyedLineArena(4096, 1024)
    let appended = 0
    while (!arena.full) {
      arena.append(`k${appended}`, 'y'.repeat(100))
      appended++
    }
    // A chunk of 1 KiB holds 10 lines of 100 bytes and counts in full once begun; each key adds ~44 bytes.
    expect(appended).toBeGreaterThan(15)
    expect(appended).toBeLessThanOrEqual(31)
    expect(arena.bytes).toBeGreaterThanOrEqual(4096)
    arena.clear()
    expect(arena.size).toBe(0)
    expect(arena.full).toBe(false)
    arena.append('z', 'after clear')
    expect(linesInOrder(arena)).toEqual([['z', 'after clear']])
  })

  it('holds any strings, any chunk size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 80 })), { maxLength: 60 }),
        fc.integer({ min: 1, max: 128 }),
        (entries, chunkBytes) => {
          const arena = new KeyedLineArena(1 << 20, chunkBytes)
          // Lone surrogates are replaced by U+FFFD in UTF-8, like any Buffer.from: compare with that.
          for (const [key, line] of entries) arena.append(key, line)
          const expected = entries
            .map(([key, line], i) => ({ key, line: Buffer.from(line).toString('utf8'), i }))
            .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
            .map(({ key, line }) => [key, line])
          expect(linesInOrder(arena)).toEqual(expected)
        },
      ),
      { seed: 4, numRuns: 300 },
    )
  })
})

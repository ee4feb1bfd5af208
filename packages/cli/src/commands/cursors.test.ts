import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readCursors } from './cursors.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-cursors-'))
  await mkdir(join(dir, '_manifests'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const manifest = (name: string, cursors: Record<string, string> | null) =>
  writeFile(join(dir, '_manifests', name), JSON.stringify({ load_id: name, status: 'committed', cursors }))
const cursorsOfFolder = () => readCursors([{ kind: 'ndjson', dir }], undefined)

describe('readCursors of a folder', () => {
  it('takes the latest cursor per project over the manifests, and none from a run that recorded none', async () => {
    await manifest('a.json', { p: '2024-01-01T00:00:00.000Z', q: '2024-03-01T00:00:00.000Z' })
    await manifest('b.json', { p: '2024-02-01T00:00:00.000Z' })
    await manifest('filtered.json', null)
    expect(await cursorsOfFolder()).toEqual({ p: '2024-02-01T00:00:00.000Z', q: '2024-03-01T00:00:00.000Z' })
  })

  it('counts the shards of a load only once every one of them has committed', async () => {
    await manifest('whole.json', { q: '2024-01-01T00:00:00.000Z' })
    await manifest('ld.shard-1-of-3.json', { p: '2024-05-01T00:00:00.000Z', q: '2024-06-01T00:00:00.000Z' })
    await manifest('ld.shard-3-of-3.json', { p: '2024-04-01T00:00:00.000Z' })
    // Shard 2's byte range is not loaded: the cursors of 1 and 3 would make a later run skip its older rows.
    expect(await cursorsOfFolder()).toEqual({ q: '2024-01-01T00:00:00.000Z' })
    // Another load's shards, and n = 2 of the same load id, are separate loads.
    await manifest('ld.shard-1-of-2.json', { p: '2024-07-01T00:00:00.000Z' })
    expect(await cursorsOfFolder()).toEqual({ q: '2024-01-01T00:00:00.000Z' })
    await manifest('ld.shard-2-of-3.json', { p: '2024-03-01T00:00:00.000Z' })
    expect(await cursorsOfFolder()).toEqual({ p: '2024-05-01T00:00:00.000Z', q: '2024-06-01T00:00:00.000Z' })
    // A shard that recorded none (a filtered run) leaves its whole load without a cursor.
    await manifest('ld.shard-2-of-2.json', null)
    expect(await cursorsOfFolder()).toEqual({ p: '2024-05-01T00:00:00.000Z', q: '2024-06-01T00:00:00.000Z' })
  })
})

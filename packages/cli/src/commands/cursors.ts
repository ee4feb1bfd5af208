import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SinkError } from '@labelpipe/core'
import type { Target } from '../args.js'

/**
 * `--incremental`: the cursors the previous runs reached, per project id, over every target: Postgres from
 * `load_state`, a folder from the `cursors` of its manifests (the latest per project). With several targets a
 * project takes its earliest cursor, and a project without one in any target has none, so no target misses a
 * data row another one has.
 */
export async function readCursors(targets: readonly Target[], pgSchema: string | undefined): Promise<Record<string, string>> {
  const perTarget: Record<string, string>[] = []
  for (const target of targets) {
    if (target.kind === 'postgres') {
      const { readLoadCursors } = await import('@labelpipe/sinks/postgres')
      perTarget.push(
        await readLoadCursors({ connectionString: target.connectionString, ...(pgSchema === undefined ? {} : { schema: pgSchema }) }),
      )
    } else perTarget.push(await manifestCursors(target.dir))
  }
  const [first, ...rest] = perTarget
  const cursors: Record<string, string> = {}
  for (const [project, cursor] of Object.entries(first ?? {})) {
    const all = [cursor, ...rest.map((other) => other[project])]
    if (all.every((value): value is string => value !== undefined)) cursors[project] = earliest(all)
  }
  return cursors
}

/** The latest cursor per project among `all` (the workers of one run). */
export function latestCursors(all: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const latest: Record<string, string> = {}
  for (const cursors of all) {
    for (const [project, cursor] of Object.entries(cursors)) {
      const known = latest[project]
      if (known === undefined || Date.parse(cursor) > Date.parse(known)) latest[project] = cursor
    }
  }
  return latest
}

function earliest(cursors: readonly string[]): string {
  return cursors.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a))
}

/** `<load id>.shard-<k>-of-<n>.json` (shardRunName): the manifest of one shard of a load. */
const shardManifestName = /^(.+)\.shard-(\d+)-of-(\d+)\.json$/

/**
 * The latest cursor per project over the manifests in `<dir>/_manifests` (none when the folder does not exist).
 * A shard loads one byte range of its export, so its cursor is the latest activity of that range only: the
 * shards of a load count once all n have committed, else a later run would skip the older rows of the others,
 * and not at all when one of them recorded none (a filtered run).
 */
async function manifestCursors(dir: string): Promise<Record<string, string>> {
  const folder = join(dir, '_manifests')
  let names: string[]
  try {
    names = (await readdir(folder)).filter((name) => name.endsWith('.json'))
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new SinkError(`--incremental: cannot list ${folder}: ${(cause as Error).message}`, { cause })
  }
  const all: Record<string, string>[] = []
  const shards = new Map<
    string,
    { readonly count: number; readonly committed: Set<number>; readonly cursors: Record<string, string>[]; partial: boolean }
  >()
  for (const name of names) {
    const path = join(folder, name)
    let manifest: { cursors?: unknown }
    try {
      manifest = JSON.parse(await readFile(path, 'utf8')) as { cursors?: unknown }
    } catch (cause) {
      throw new SinkError(`--incremental: cannot read the manifest ${path}: ${(cause as Error).message}`, { cause })
    }
    const cursors =
      manifest.cursors !== null && typeof manifest.cursors === 'object' ? (manifest.cursors as Record<string, string>) : undefined
    const shard = shardManifestName.exec(name)
    if (shard === null) {
      if (cursors !== undefined) all.push(cursors)
      continue
    }
    const count = Number(shard[3])
    const key = `${count} ${shard[1]}`
    const load = shards.get(key) ?? { count, committed: new Set<number>(), cursors: [], partial: false }
    shards.set(key, load)
    load.committed.add(Number(shard[2]))
    if (cursors === undefined) load.partial = true
    else load.cursors.push(cursors)
  }
  for (const load of shards.values()) if (load.committed.size === load.count && !load.partial) all.push(...load.cursors)
  return latestCursors(all)
}

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

/** The latest cursor per project over the manifests in `<dir>/_manifests` (none when the folder does not exist). */
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
  for (const name of names) {
    const path = join(folder, name)
    let manifest: { cursors?: unknown }
    try {
      manifest = JSON.parse(await readFile(path, 'utf8')) as { cursors?: unknown }
    } catch (cause) {
      throw new SinkError(`--incremental: cannot read the manifest ${path}: ${(cause as Error).message}`, { cause })
    }
    if (manifest.cursors !== null && typeof manifest.cursors === 'object') all.push(manifest.cursors as Record<string, string>)
  }
  return latestCursors(all)
}

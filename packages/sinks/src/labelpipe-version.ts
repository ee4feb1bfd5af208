import { readFile } from 'node:fs/promises'

let version: Promise<string> | undefined

/**
 * The version of @labelpipe/sinks (all labelpipe packages share one), read once from its package.json, for the
 * manifest's and `load_runs`' `labelpipe_version`. src/ and dist/ are both one folder below the package root.
 * A bundler that drops package.json must not fail a load over a version string: the run then says 'unknown'.
 */
export function labelpipeVersion(): Promise<string> {
  version ??= readFile(new URL('../package.json', import.meta.url), 'utf8')
    .then((text) => {
      const parsed = JSON.parse(text) as { version?: unknown }
      return typeof parsed.version === 'string' ? parsed.version : 'unknown'
    })
    .catch(() => 'unknown')
  return version
}

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = dirname(fileURLToPath(import.meta.url))

/** Every module specifier reachable from `entry` by static imports, following relative ones through src/. */
function staticImports(entry: string): Set<string> {
  const seen = new Set<string>()
  const external = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const [, specifier] of text.matchAll(/^(?:import|export)\s(?!type\s)[^'"]*?from\s+'([^']+)'/gm)) {
      if (specifier === undefined) continue
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else external.add(specifier)
    }
  }
  visit(join(src, entry))
  return external
}

describe('subpath exports', () => {
  it('@labelpipe/sinks/ndjson never loads Arrow, WebAssembly or parquetjs-lite', () => {
    const loaded = [...staticImports('ndjson/index.ts')]
    expect(loaded.filter((name) => /arrow|parquet/.test(name))).toEqual([])
    expect(loaded).toContain('@labelpipe/core')
  })

  it('@labelpipe/sinks/parquet loads its engines only on first use (dynamic import)', () => {
    const loaded = [...staticImports('parquet/index.ts')]
    expect(loaded.filter((name) => /arrow|parquet-wasm|parquetjs-lite/.test(name))).toEqual([])
    expect(loaded).toContain('@labelpipe/core')
  })
})

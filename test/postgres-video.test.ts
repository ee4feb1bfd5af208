// Issue 6: a generated video export with over a million frame_objects rows loads into Postgres with exact
// counts in every table (the generator's own stats, recounted by test/generator.test.ts), and no staging left.
// The export streams from the generator straight into the reader: no file.

import { generateV2Export } from '@labelpipe/benchmarks'
import { runPipeline, runStage, tableNames } from '@labelpipe/core'
import { postgresSink } from '@labelpipe/sinks/postgres'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PostgresServer, stagingTables, startPostgresServer, withClient } from './support/postgres-server.js'

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgresServer()
})
afterAll(async () => {
  await server?.stop()
})

describe('a million frame rows', () => {
  it('loads a generated video export with exact counts in every table', async () => {
    // ~443 frame_objects per 300-frame video data row.
    const export_ = generateV2Export({ media: 'video', dataRows: 2300, framesPerVideo: 300, seed: 12 })
    const loadId = 'video-1m'
    const sink = postgresSink({ connectionString: server.url, schema: 'video', loadId })
    await runPipeline({
      source: readV2Export(export_),
      transforms: [{ name: 'flattenDataRows', run: runStage(flattenDataRows({ loadId, source: 'v2' })) }],
      sink,
    })
    // Stats count tracks and frame-scoped answers apart; the flattener writes a track as one objects row and
    // every answer as a classifications row (test/frame-invariants.test.ts).
    const { tables, tracks, frameClassifications } = export_.stats
    const expected = { ...tables, objects: tables.objects + tracks, classifications: tables.classifications + frameClassifications }
    expect(expected.frame_objects).toBeGreaterThan(1_000_000)
    const counts = await withClient(server.url, async (client) => {
      const out: Record<string, number> = {}
      for (const table of tableNames)
        out[table] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM video.${table}`)).rows[0]?.n ?? -1
      return out
    })
    expect(counts).toEqual(expected)
    expect(sink.loadRun?.rows).toEqual(expected)
    expect(await stagingTables(server.url, 'video')).toEqual([])
  })
})

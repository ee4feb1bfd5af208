// `labelpipe load` and `convert` of an Export v1 whose video labels point to their frames by URL (issue 5): the
// frames are fetched over real HTTP on 127.0.0.1 with LABELBOX_API_KEY and give the rows of --frames-dir; the key
// is required only then, and never printed; retries are reported on stderr with the URL cut to origin and path.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeV1Export } from '@labelpipe/benchmarks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.js'
import { listFiles, readNdjson } from './support/files.js'
import { serveFramesDir, startServer, type TestServer } from './support/frames-server.js'

const apiKey = 'lb-test-key-0123456789abcdef'
let dir: string
let framesDir: string
let stats: Awaited<ReturnType<typeof writeV1Export>>
let server: TestServer
let failNext = 0
let input: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labelpipe-cli-v1-http-'))
  framesDir = join(dir, 'frames')
  const generated = join(dir, 'generated.json')
  stats = await writeV1Export(generated, { seed: 9, media: 'video', dataRows: 12, framesPerVideo: 40, spread: 6, framesDir })
  const serve = serveFramesDir(framesDir)
  server = await startServer((request, response, seen) => {
    if (failNext > 0) {
      failNext--
      response.writeHead(503, { 'retry-after': '0' }).end()
      return
    }
    if (seen.authorization !== `Bearer ${apiKey}`) {
      response.writeHead(401).end()
      return
    }
    return serve(request, response, seen)
  })
  // The generator's labels point at the Labelbox API; point them at the local server, with a signed-looking query.
  const text = await readFile(generated, 'utf8')
  input = join(dir, 'v1.json')
  await writeFile(input, text.replaceAll(/https:\/\/api\.labelbox\.com\/v1\/frames\/([^"]+)/g, `${server.origin}/frames/$1?token=s3cr3t`))
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

async function tables(out: string): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {}
  for (const file of await listFiles(out)) {
    if (!file.endsWith('.ndjson') || file.startsWith('_')) continue
    const table = file.split('/')[0] as string
    const read = (await readNdjson(join(out, file))) as Record<string, unknown>[]
    rows[table] = [...(rows[table] ?? []), ...read.map(({ _load_id, ...rest }) => rest)]
  }
  return rows
}

describe('Export v1 video frames over HTTP, from the CLI', () => {
  it('load fetches the frames with LABELBOX_API_KEY: the same tables as --frames-dir', async () => {
    const overHttp = await runCli(['load', input, '--to', `ndjson:${join(dir, 'http')}`, '--load-id', 'same'], {
      env: { LABELBOX_API_KEY: apiKey },
    })
    expect(overHttp.stderr).toBe('')
    expect(overHttp.code).toBe(0)
    expect(overHttp.stdout).toMatch(/frames over HTTP: [\d,]+ frames of \d+ labels/)
    const fromDir = await runCli(['load', input, '--to', `ndjson:${join(dir, 'dir')}`, '--load-id', 'same', '--frames-dir', framesDir])
    expect(fromDir.code).toBe(0)
    const http = await tables(join(dir, 'http'))
    expect(http).toEqual(await tables(join(dir, 'dir')))
    expect(http.frame_objects?.length).toBeGreaterThan(0)
    expect(server.requests.every((request) => request.authorization === `Bearer ${apiKey}`)).toBe(true)
  })

  it('convert retries a 503, reporting it on stderr without the query string or the key', async () => {
    failNext = 1
    const out = join(dir, 'v2.ndjson')
    const result = await runCli(['convert', input, '--out', out, '--frames-concurrency', '2'], { env: { LABELBOX_API_KEY: apiKey } })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/frames of label \S+ \(http:\/\/127\.0\.0\.1:\d+\/frames\/\S+\): HTTP 503; attempt 2 in/)
    expect(result.stderr).not.toContain('s3cr3t')
    expect(result.stderr).not.toContain(apiKey)
    const lines = (await readFile(out, 'utf8')).split('\n').filter((line) => line !== '')
    expect(lines).toHaveLength(stats.dataRows)
  })

  it('without LABELBOX_API_KEY: exit 2 naming it and the ways out, nothing written', async () => {
    const out = join(dir, 'no-key')
    const result = await runCli(['load', input, '--to', `ndjson:${out}`], { env: { LABELBOX_API_KEY: '' } })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('set LABELBOX_API_KEY to fetch them, give --frames-dir, or --skip-frames')
    expect(await listFiles(out).catch(() => [])).toEqual([])
  })

  it('a refused key fails with LP_HTTP_AUTH and exit 1; the key and the query string are never printed', async () => {
    const env = { LABELBOX_API_KEY: 'wrong-key-777' }
    const result = await runCli(['load', input, '--to', `ndjson:${join(dir, 'refused')}`], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/HTTP 401 Unauthorized: the API key was refused \(check LABELBOX_API_KEY\) \[LP_HTTP_AUTH/)
    // --verbose prints stacks and causes: still no secret.
    const verbose = await runCli(['load', input, '--to', `ndjson:${join(dir, 'refused')}`, '-v'], { env })
    for (const printed of [result, verbose].map((r) => `${r.stdout}${r.stderr}`)) {
      expect(printed).not.toContain('wrong-key-777')
      expect(printed).not.toContain('s3cr3t')
    }
  })

  it('--skip-frames converts without frames and says so; it cannot be combined with --frames-dir', async () => {
    const result = await runCli(['load', input, '--to', `ndjson:${join(dir, 'skipped')}`, '--skip-frames'], {
      env: { LABELBOX_API_KEY: '' },
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/warning: \d+ video labels were converted without their frames \(--skip-frames\)/)
    const both = await runCli(['load', input, '--to', `ndjson:${join(dir, 'both')}`, '--skip-frames', '--frames-dir', framesDir])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('--skip-frames')
  })
})

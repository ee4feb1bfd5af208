// `labelpipe webhook` end to end (issue 8): the built CLI listens on 127.0.0.1, takes a signed delivery into a
// real PostgreSQL, refuses a bad signature, and on SIGTERM drains and exits 0 with its summary; the secret comes
// from the variable --secret-env names, and a missing one is a usage error naming it.

import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { webhookSignature } from '@labelpipe/sinks/postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot, runCli, startCli } from './support/cli.js'
import { type PostgresServer, startPostgresServer, withClient } from './support/postgres-server.js'

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgresServer()
})
afterAll(async () => {
  await server?.stop()
})

const secret = 'whsec-test-4242'
const run = promisify(execFile)

describe('labelpipe webhook', () => {
  it('loads a signed delivery, refuses a bad signature, and drains on SIGTERM', async () => {
    const run = startCli(['webhook', '--to', server.url, '--secret-env', 'LB_HOOK_SECRET', '--port', '0', '--pg-schema', 'hooks'], {
      env: { LB_HOOK_SECRET: secret },
    })
    run.child.stdin?.end()
    let stdout = ''
    const listening = await new Promise<string>((resolve, reject) => {
      run.child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)
        if (match !== null) resolve(match[1] as string)
      })
      run.child.on('close', () => reject(new Error(`webhook exited before listening: ${stdout}`)))
    })
    expect(stdout).not.toContain(new URL(server.url).password)
    const line = (await readFile(join(repoRoot, 'examples/data/sample-v2.ndjson'), 'utf8')).split('\n')[0] as string
    const post = (signature: string, id: string) =>
      fetch(listening, {
        method: 'POST',
        body: line,
        headers: {
          'x-hub-signature': signature,
          'x-labelbox-id': id,
          'x-labelbox-event': 'LABEL_UPDATED',
          'content-type': 'application/json',
        },
      })
    expect((await post('sha1=0000000000000000000000000000000000000000', 'bad-1')).status).toBe(401)
    expect((await post(webhookSignature(secret, line), 'good-1')).status).toBe(200)
    const id = (JSON.parse(line) as { data_row: { id: string } }).data_row.id
    const rows = await withClient(server.url, (client) =>
      client.query<{ n: number }>('SELECT count(*)::int AS n FROM hooks.data_rows WHERE data_row_id = $1', [id]),
    )
    expect(rows.rows[0]?.n).toBe(1)
    run.child.kill('SIGTERM')
    const result = await run.done
    expect(result.code).toBe(0)
    expect(result.stderr).not.toContain(secret)
  }, 60_000)

  it('examples/webhook-receiver mounts the receiver and loads its signed delivery', async () => {
    const example = join(repoRoot, 'examples', 'dist', 'webhook-receiver.js')
    const { stdout } = await run(process.execPath, [example, 'example_hooks'], { env: { ...process.env, DATABASE_URL: server.url } })
    expect(stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/hooks\/labelbox: 200 /)
    expect(stdout).toContain('applied 1 deliveries into schema example_hooks')
  })

  it('refuses a missing secret variable by name, and a non-postgres target', async () => {
    const missing = await runCli(['webhook', '--to', server.url, '--secret-env', 'NOT_SET_ANYWHERE', '--port', '0'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('NOT_SET_ANYWHERE')
    const files = await runCli(['webhook', '--to', 'ndjson:out', '--secret-env', 'X'])
    expect(files.code).toBe(2)
    expect(files.stderr).toContain('webhook loads into PostgreSQL only')
  })
})

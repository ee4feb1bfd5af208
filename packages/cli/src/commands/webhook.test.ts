import { Readable, Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { WebhookConfig } from '../args.js'
import { formatBatchLine, runWebhook } from './webhook.js'

const sink = () => new Writable({ write: (_chunk, _encoding, callback) => callback() })

describe('labelpipe webhook', () => {
  it('a batch line names the load id, the outcomes that happened and the rows', () => {
    const rows = { data_rows: 2, labels: 1200 } as never
    const line = formatBatchLine({
      loadId: '20261125T080102123Z-3fa9c1',
      deliveries: 3,
      applied: 2,
      superseded: 0,
      stale: 0,
      deleted: 0,
      duplicates: 1,
      rejected: 0,
      rows,
      durationMs: 84.6,
    })
    expect(line).toBe('webhook 20261125T080102123Z-3fa9c1: 3 deliveries (2 applied, 1 duplicate), 1,202 rows, 85 ms')
  })

  it('refuses to start without the secret variable, before connecting anywhere', async () => {
    const config: WebhookConfig = {
      command: 'webhook',
      to: { kind: 'postgres', connectionString: 'postgres://nobody@127.0.0.1:1/none' },
      secretEnv: 'LABELBOX_WEBHOOK_SECRET',
      port: 0,
      host: '127.0.0.1',
      path: '/',
      maxBodyMb: 10,
      queueSize: 1000,
      batchSize: 200,
      quiet: true,
      verbose: false,
    }
    const io = { stdin: Readable.from([]), stdout: sink(), stderr: sink(), env: {}, signal: new AbortController().signal }
    await expect(runWebhook(config, io)).rejects.toThrow(
      "invalid option secret-env: the environment variable LABELBOX_WEBHOOK_SECRET is not set or is empty: it must hold the webhook's secret",
    )
  })
})

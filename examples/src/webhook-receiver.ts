// Mounts labelpipe's webhook receiver in your own node:http server, on /hooks/labelbox, then sends it one signed
// delivery (the first data row of the sample export) to show the round trip: 200 once the row is committed.
// Run: DATABASE_URL=postgres://user:password@host/db node examples/dist/webhook-receiver.js [schema]
// In production the secret comes from your Labelbox webhook settings, e.g. LABELBOX_WEBHOOK_SECRET.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { webhookReceiver, webhookSignature } from '@labelpipe/sinks/postgres'
import { flattenDataRows } from '@labelpipe/transforms'

const connectionString = process.env.DATABASE_URL
if (connectionString === undefined) throw new Error('set DATABASE_URL to a postgres:// URL')
const secret = process.env.LABELBOX_WEBHOOK_SECRET ?? 'example-secret'
const schema = process.argv[2] ?? 'labelbox'

const receiver = webhookReceiver({ connectionString, schema, secret, flatten: flattenDataRows })
await receiver.ready() // connects and creates the tables now: a bad URL fails here, not at the first delivery
const server = createServer((request, response) => {
  if (request.url === '/hooks/labelbox') receiver.handle(request, response)
  else response.writeHead(404).end()
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/labelbox`

// What Labelbox sends: the data row as an Export v2 line, signed with the webhook's secret.
const body = (await readFile(new URL('../data/sample-v2.ndjson', import.meta.url), 'utf8')).split('\n')[0] as string
const response = await fetch(url, {
  method: 'POST',
  body,
  headers: {
    'x-hub-signature': webhookSignature(secret, body),
    'x-labelbox-id': `example-${Date.now()}`,
    'x-labelbox-event': 'LABEL_UPDATED',
  },
})
console.log(`POST ${url}: ${response.status} ${await response.text()}`)
server.close()
await receiver.close() // admitted deliveries commit and are answered before it resolves
console.log(`applied ${receiver.stats.applied} deliveries into schema ${schema}`)

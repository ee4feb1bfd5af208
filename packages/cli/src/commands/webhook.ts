import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { InvalidOptionError, StageError } from '@labelpipe/core'
import type { WebhookBatchReport, WebhookReceiver, WebhookReceiverStats } from '@labelpipe/sinks/postgres'
import { flattenDataRows } from '@labelpipe/transforms'
import { describeTarget, type WebhookConfig } from '../args.js'
import { formatCount, formatTable } from '../format.js'
import type { CliIo } from '../io.js'

/** What a receiver did between start and stop. */
export interface WebhookSummary {
  /** Where it listened, `http://host:port/path`. */
  readonly url: string
  readonly stats: WebhookReceiverStats
}

// Bounds on a client: a slow or silent one cannot hold a queue slot (and close()'s drain) for longer than this.
const requestTimeoutMs = 60_000
const headersTimeoutMs = 20_000

/**
 * `labelpipe webhook`: a node:http server on --host:--port with the receiver of `@labelpipe/sinks/postgres` on
 * `POST --path` and `GET /healthz`. Prints where it listens, and one line per batch (unless --quiet), errors on
 * stderr. On io.signal (SIGINT/SIGTERM) it stops accepting, lets the admitted deliveries commit and be answered,
 * closes the server and resolves with the counters.
 */
export async function runWebhook(config: WebhookConfig, io: CliIo): Promise<WebhookSummary> {
  const secret = io.env[config.secretEnv]
  if (secret === undefined || secret === '') {
    throw new InvalidOptionError(
      'secret-env',
      `the environment variable ${config.secretEnv} is not set or is empty: it must hold the webhook's secret`,
    )
  }
  // Imported here: pg adds ~30 MB to a process that never needs it (load-sinks.ts), and main imports every command.
  const { webhookReceiver } = await import('@labelpipe/sinks/postgres')
  const receiver = webhookReceiver({
    connectionString: config.to.connectionString,
    ...(config.pgSchema === undefined ? {} : { schema: config.pgSchema }),
    secret,
    flatten: flattenDataRows,
    maxBodyBytes: config.maxBodyMb * 1024 * 1024,
    queueSize: config.queueSize,
    batchSize: config.batchSize,
    ...(config.quiet ? {} : { onBatch: (report: WebhookBatchReport) => io.stdout.write(`${formatBatchLine(report)}\n`) }),
    onError: (error) => io.stderr.write(`labelpipe webhook: ${error.message}\n`),
  })
  let server: Server | undefined
  let url = ''
  try {
    await receiver.ready()
    const route = routeRequests(config.path, receiver)
    server = createServer({ requestTimeout: requestTimeoutMs, headersTimeout: headersTimeoutMs }, route)
    const address = await listen(server, config.port, config.host)
    url = `http://${address}${config.path}`
    // Printed under --quiet too (its help: "no line per batch, no summary"): with --port 0 it is the only way to
    // learn the port.
    io.stdout.write(`labelpipe webhook: listening on ${url} -> ${describeTarget(config.to)} (schema ${config.pgSchema ?? 'labelbox'})\n`)
    await untilStopped(io.signal, server)
  } finally {
    await stop(server, receiver)
  }
  return { url, stats: receiver.stats }
}

function routeRequests(path: string, receiver: WebhookReceiver) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname
    if (pathname === path) {
      receiver.handle(request, response)
      return
    }
    if (pathname === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  }
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const failed = (cause: Error) => reject(new StageError('webhook server', cause))
    server.once('error', failed)
    server.listen(port, host, () => {
      server.off('error', failed)
      const address = server.address()
      resolve(
        typeof address === 'object' && address !== null
          ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
          : host,
      )
    })
  })
}

/** Resolves when the signal aborts; rejects if the server fails meanwhile. */
function untilStopped(signal: AbortSignal, server: Server): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      server.off('error', onError)
      resolve()
    }
    const onError = (cause: Error) => {
      signal.removeEventListener('abort', onAbort)
      reject(new StageError('webhook server', cause))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    server.once('error', onError)
  })
}

/**
 * Graceful stop: the listening socket closes (and idle keep-alive connections with it), the receiver answers 503
 * to anything new while its admitted deliveries commit, then the connections left are closed.
 */
async function stop(server: Server | undefined, receiver: WebhookReceiver): Promise<void> {
  const closed = server?.listening === true ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
  await receiver.close()
  server?.closeAllConnections()
  await closed
}

/** `webhook 20261125T080102123Z-3fa9c1: 37 deliveries (35 applied, 2 duplicate), 1,204 rows, 85 ms` */
export function formatBatchLine(report: WebhookBatchReport): string {
  const parts = (
    [
      ['applied', report.applied],
      ['superseded', report.superseded],
      ['stale', report.stale],
      ['deleted', report.deleted],
      ['duplicate', report.duplicates],
      ['rejected', report.rejected],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${formatCount(n)} ${name}`)
  const rows = report.rows === undefined ? 0 : Object.values(report.rows).reduce((sum, n) => sum + n, 0)
  const deliveries = `${formatCount(report.deliveries)} ${report.deliveries === 1 ? 'delivery' : 'deliveries'}`
  return `webhook ${report.loadId ?? '(replays only)'}: ${deliveries} (${parts.join(', ')}), ${formatCount(rows)} rows, ${Math.round(report.durationMs)} ms`
}

/** The counters printed when the receiver stops. */
export function formatWebhookSummary(summary: WebhookSummary): string {
  const { stats } = summary
  const rows: [string, string][] = [
    ['batches', formatCount(stats.batches)],
    ['applied', formatCount(stats.applied)],
    ['superseded', formatCount(stats.superseded)],
    ['stale', formatCount(stats.stale)],
    ['deleted', formatCount(stats.deleted)],
    ['duplicates', formatCount(stats.duplicates)],
    ['ignored (unknown event)', formatCount(stats.ignored)],
    ['401 unauthorized', formatCount(stats.unauthorized)],
    ['400 invalid', formatCount(stats.invalid)],
    ['413 too large', formatCount(stats.tooLarge)],
    ['503 busy', formatCount(stats.busy)],
    ['503 not committed', formatCount(stats.failed)],
  ]
  return `webhook ${summary.url} stopped after ${formatCount(stats.requests)} requests\n${formatTable(rows)}\n`
}

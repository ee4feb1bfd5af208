// A worker thread of a sharded load (sharded-load.ts): the load pipeline over one byte range of the export, its
// part files sealed but not committed. It talks to the coordinator only through worker-messages.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { type DeadLetter, fanOutSink, PipelineAbortedError, runPipeline, StageError } from '@labelpipe/core'
import { readV2Export } from '@labelpipe/sources'
import { fileTargets } from '../args.js'
import { dataRowStages } from './data-row-stages.js'
import { createFileSink } from './load-sinks.js'
import { type CoordinatorMessage, serializeError, type WorkerMessage, type WorkerResult, type WorkerTask } from './worker-messages.js'

const port = parentPort
if (port === null) throw new StageError('load worker', 'load-worker.js runs as a worker thread of a sharded load, not on its own')
const task = workerData as WorkerTask
const post = (message: WorkerMessage) => port.postMessage(message)
const controller = new AbortController()
/** The dead letter the coordinator is writing; the reader waits for it, so there is at most one. */
let letterInFlight: { resolve(): void; reject(error: Error): void } | undefined

const onMessage = (message: CoordinatorMessage) => {
  if (message.type === 'dead-letter-written') {
    letterInFlight?.resolve()
    letterInFlight = undefined
    return
  }
  const error = new PipelineAbortedError('the coordinator stopped the run')
  letterInFlight?.reject(error)
  controller.abort(error)
}
// The listener keeps the thread alive while it waits for the coordinator; removed at the end, it lets it exit.
port.on('message', onMessage)
try {
  post({ type: 'sealed', result: await loadRange(task) })
} catch (error) {
  post({ type: 'failed', error: serializeError(error, 'load worker') })
} finally {
  port.off('message', onMessage)
}

async function loadRange({ config, loadId, range, seq, sharedErrorCount, memory, cursors }: WorkerTask): Promise<WorkerResult> {
  const writeLetter = (letter: DeadLetter) =>
    new Promise<void>((resolve, reject) => {
      letterInFlight = { resolve, reject }
      post({ type: 'dead-letter', letter })
    })
  const reader = readV2Export(config.input, {
    range,
    sharedErrorCount,
    batchSize: memory.batchSize,
    lineDecoding: memory.lineDecoding,
    maxErrors: config.maxErrors,
    ...(config.maxErrors > 0 ? { deadLetters: writeLetter } : {}),
    ...(config.maxLineLength === undefined ? {} : { maxLineLength: config.maxLineLength }),
  })
  const { transforms, flatten, filter, filtering } = dataRowStages(config, loadId, 'v2', cursors)
  const fileSinks = fileTargets(config.to).map((target) =>
    createFileSink(target, config, loadId, undefined, {
      seq,
      commit: 'none',
      rowGroupRows: memory.rowGroupRows,
      maxBufferedBytes: memory.maxBufferedBytes,
    }),
  )
  // Each postgres target: this worker's own connection and COPY into the run's staging tables, which the
  // coordinator prepared and commits (preparePostgresLoad); the writer number is the worker's unique seq.
  const postgresTargets = config.to.filter((target) => target.kind === 'postgres')
  const postgres = postgresTargets.length > 0 ? await import('@labelpipe/sinks/postgres') : undefined
  const stagingSinks = postgresTargets.map((target) =>
    (postgres as typeof import('@labelpipe/sinks/postgres')).postgresStagingSink({
      connectionString: target.connectionString,
      loadId,
      writer: seq,
      ...(config.pgSchema === undefined ? {} : { schema: config.pgSchema }),
    }),
  )
  const progress = await runPipeline({
    source: reader,
    transforms,
    sink: fanOutSink([...fileSinks, ...stagingSinks]),
    signal: controller.signal,
    onProgress: (p) => {
      if (!p.done) post({ type: 'progress', progress: p })
    },
  })
  return {
    parts: fileSinks.map((sink) => sink.sealedParts ?? []),
    // Plain data for structured clone: the stats object is a class instance with null-prototype records.
    flattenStats: JSON.parse(JSON.stringify(flatten.stats)),
    filterStats: filtering ? JSON.parse(JSON.stringify(filter.stats)) : undefined,
    cursors: filter.cursors(),
    deadLetters: reader.stats.deadLetters,
    progress,
  }
}

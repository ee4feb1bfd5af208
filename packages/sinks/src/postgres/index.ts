export type { PostgresCommitTransaction, TableCounts } from './commit-transaction.js'
export { readLoadCursors } from './load-cursors.js'
export { PostgresSinkError } from './pg-session.js'
export type { PostgresCommitOptions, PostgresLoad, PostgresLoadResult } from './postgres-load.js'
export { preparePostgresLoad } from './postgres-load.js'
export type {
  PostgresLoadOptions,
  PostgresMode,
  PostgresSinkOptions,
  PostgresStagingSinkOptions,
  PostgresTargetOptions,
  ReadLoadCursorsOptions,
} from './postgres-options.js'
export type { PostgresSink } from './postgres-sink.js'
export { postgresSink } from './postgres-sink.js'
export type { PostgresStagingSink } from './staging-sink.js'
export { postgresStagingSink } from './staging-sink.js'
export type { DeliveryOutcome, WebhookFlatten } from './webhook-batch.js'
export type { WebhookEvent } from './webhook-delivery.js'
export { WebhookDeliveryError, webhookEvents, webhookSignature } from './webhook-delivery.js'
export type { WebhookReceiver } from './webhook-receiver.js'
export { webhookReceiver } from './webhook-receiver.js'
export type { WebhookBatchReport, WebhookReceiverOptions } from './webhook-receiver-options.js'
export type { WebhookReceiverStats } from './webhook-receiver-stats.js'

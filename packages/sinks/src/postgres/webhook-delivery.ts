import { isUtf8 } from 'node:buffer'
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import {
  compileValidator,
  LabelpipeError,
  type LabelpipeErrorCode,
  type LabelpipeErrorDetails,
  schemaFailure,
  type V2DataRow,
  v2DataRow,
} from '@labelpipe/core'

// One Labelbox webhook delivery, from headers and raw body to a validated v2 data row (docs/formats.md,
// "Webhooks (v2)"): `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body>`, `X-Labelbox-Id` (the delivery),
// `X-Labelbox-Event`, and as body one Export v2 line. Nothing here touches a socket or the database; the
// receiver (webhook-receiver.ts) decides when each step runs: the signature is checked on the raw bytes before
// any parse, so an unauthenticated body is never parsed.

/** The events of formats.md "Webhooks (v2)". */
export const webhookEvents = [
  'LABEL_CREATED',
  'LABEL_UPDATED',
  'LABEL_DELETED',
  'REVIEW_CREATED',
  'REVIEW_UPDATED',
  'REVIEW_DELETED',
  'WORKFLOW',
] as const

export type WebhookEvent = (typeof webhookEvents)[number]

const knownEvents: ReadonlySet<string> = new Set(webhookEvents)

export function isWebhookEvent(value: string): value is WebhookEvent {
  return knownEvents.has(value)
}

/**
 * A delivery id is a key in `webhook_deliveries` and appears in messages: visible ASCII, 1 to 200 characters.
 * Labelbox's are cuids; Node joins a repeated header with ", ", which the space rules out.
 */
const deliveryIdPattern = /^[\x21-\x7e]{1,200}$/
const eventPattern = /^[A-Z_]{1,64}$/
// GitHub-style header, as formats.md gives it: `sha1=` and 40 hex digits (a 20-byte SHA-1 HMAC).
const signaturePattern = /^sha1=([0-9a-fA-F]{40})$/

/**
 * Why a delivery got an answer other than 2xx, with the HTTP status it got. The message names the delivery
 * and event when they are known (`delivery ck9x… (LABEL_CREATED): …`) and never holds the body, a signature
 * or the secret.
 */
export class WebhookDeliveryError extends LabelpipeError {
  /** The HTTP status answered. */
  readonly status: number
  readonly deliveryId: string | undefined
  readonly event: string | undefined

  constructor(
    code: LabelpipeErrorCode,
    status: number,
    detail: string,
    details: LabelpipeErrorDetails & { readonly deliveryId?: string | undefined; readonly event?: string | undefined } = {},
  ) {
    super(code, detail, { path: details.path, cause: details.cause })
    this.message = `${describeDelivery(details.deliveryId, details.event)}: ${this.message}`
    this.status = status
    this.deliveryId = details.deliveryId
    this.event = details.event
  }
}

export function describeDelivery(deliveryId: string | undefined, event: string | undefined): string {
  if (deliveryId === undefined) return event === undefined ? 'request' : `request (${event})`
  return event === undefined ? `delivery ${deliveryId}` : `delivery ${deliveryId} (${event})`
}

/** The three headers of a delivery, checked for shape (the signature's value is checked against the body later). */
export interface DeliveryHeaders {
  readonly deliveryId: string
  /** As sent, upper case; may be an event this receiver does not know (answered 202, see the receiver). */
  readonly event: string
  /** The 20 bytes of the HMAC the sender claims. */
  readonly signature: Buffer
}

/**
 * Reads and checks the delivery headers; throws WebhookDeliveryError with status 401 for a missing or malformed
 * signature (no body need be read to refuse it) and 400 for a missing or malformed id or event.
 */
export function readDeliveryHeaders(headers: IncomingHttpHeaders): DeliveryHeaders {
  const deliveryId = single(headers['x-labelbox-id'])
  const event = single(headers['x-labelbox-event'])?.toUpperCase()
  const id = deliveryId !== undefined && deliveryIdPattern.test(deliveryId) ? deliveryId : undefined
  const named = event !== undefined && eventPattern.test(event) ? event : undefined
  const match = signaturePattern.exec(single(headers['x-hub-signature'])?.trim() ?? '')
  if (match === null) {
    // A header of any other length is refused here, without a comparison: timingSafeEqual needs equal lengths.
    throw new WebhookDeliveryError('LP_INPUT', 401, 'missing or malformed X-Hub-Signature (expected sha1=<40 hex digits>)', {
      deliveryId: id,
      event: named,
    })
  }
  if (id === undefined) {
    throw new WebhookDeliveryError('LP_INPUT', 400, 'missing or malformed X-Labelbox-Id (expected 1 to 200 visible ASCII characters)', {
      event: named,
    })
  }
  if (named === undefined) {
    throw new WebhookDeliveryError('LP_INPUT', 400, 'missing or malformed X-Labelbox-Event', { deliveryId: id })
  }
  return { deliveryId: id, event: named, signature: Buffer.from(match[1] as string, 'hex') }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/** The X-Hub-Signature value a sender computes for `body`: `sha1=` + hex HMAC-SHA1 with the secret. */
export function webhookSignature(secret: string | Buffer, body: Buffer | string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`
}

/**
 * True when `signature` (20 bytes, from readDeliveryHeaders) is the HMAC-SHA1 of the raw body with the secret.
 * The comparison takes the same time wherever the first differing byte is (crypto.timingSafeEqual), so response
 * times reveal nothing of the expected value.
 */
export function hasValidSignature(secret: string | Buffer, body: Buffer, signature: Buffer): boolean {
  const expected = createHmac('sha1', secret).update(body).digest()
  return signature.length === expected.length && timingSafeEqual(signature, expected)
}

const isV2DataRow = compileValidator(v2DataRow)
// V8 names the failing character in some of its JSON.parse messages ("... in JSON at position 42").
const jsonPosition = /at position (\d+)/

/**
 * The body as a validated Export v2 data row, by the readers' own schema (core `v2DataRow`, compiled predicate
 * first, zod for the path of a failure). Throws WebhookDeliveryError (400) naming the field path or the byte;
 * neither the body nor V8's parse message (which quotes the text) is ever part of it.
 */
export function parseDeliveryBody(body: Buffer, deliveryId: string, event: string): V2DataRow {
  const context = { deliveryId, event }
  if (!isUtf8(body)) throw new WebhookDeliveryError('LP_INVALID_UTF8', 400, 'the body is not valid UTF-8', context)
  const text = body.toString('utf8')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    const position = jsonPosition.exec(cause instanceof Error ? cause.message : '')
    const where = position === null ? '' : ` (at byte ${Buffer.byteLength(text.slice(0, Number(position[1])))})`
    throw new WebhookDeliveryError(
      'LP_EXPORT_FORMAT',
      400,
      `${text.trim() === '' ? 'the body is empty' : 'the body is not valid JSON'}${where}`,
      context,
    )
  }
  if (isV2DataRow(json)) return json
  const result = v2DataRow.safeParse(json)
  if (result.success) return result.data
  // The deepest field inside a union (segments, key_frame_feature_map), as the export readers report it.
  const { path, message } = schemaFailure(result.error, json)
  throw new WebhookDeliveryError('LP_EXPORT_FORMAT', 400, message, { ...context, path: path.length === 0 ? ['(body)'] : path })
}

/** `data_row.details.last_activity_at` in epoch ms; null when the export carried no details (or no such time). */
export function lastActivityMs(dataRow: V2DataRow): number | null {
  const value = dataRow.data_row.details?.last_activity_at
  if (value == null) return null
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : ms
}

/** The ids of every label in the payload, in every project (a LABEL_DELETED delivery deletes these). */
export function labelIdsOf(dataRow: V2DataRow): string[] {
  const ids: string[] = []
  const projects = dataRow.projects
  if (projects == null) return ids
  for (const projectId in projects) {
    for (const label of projects[projectId]?.labels ?? []) ids.push(label.id)
  }
  return ids
}

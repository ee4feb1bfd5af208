import { describe, expect, it } from 'vitest'
import {
  hasValidSignature,
  labelIdsOf,
  lastActivityMs,
  parseDeliveryBody,
  readDeliveryHeaders,
  WebhookDeliveryError,
  webhookSignature,
} from './webhook-delivery.js'

const signature = `sha1=${'0f'.repeat(20)}`
const headers = { 'x-labelbox-id': 'ck-1', 'x-labelbox-event': 'LABEL_CREATED', 'x-hub-signature': signature }

function refusal(run: () => unknown): WebhookDeliveryError {
  try {
    run()
  } catch (error) {
    if (error instanceof WebhookDeliveryError) return error
    throw error
  }
  throw new Error('expected a WebhookDeliveryError')
}

describe('readDeliveryHeaders', () => {
  it('reads the id, the event (upper case) and the 20 signature bytes', () => {
    const read = readDeliveryHeaders({
      ...headers,
      'x-labelbox-event': 'label_created',
      'x-hub-signature': signature.toUpperCase().replace('SHA1', 'sha1'),
    })
    expect(read.deliveryId).toBe('ck-1')
    expect(read.event).toBe('LABEL_CREATED')
    expect(read.signature.toString('hex')).toBe('0f'.repeat(20))
  })

  it('a missing, short, long or other-algorithm signature is 401 without comparing; the id and event still name the delivery', () => {
    for (const value of [
      undefined,
      'sha1=abcd',
      `sha1=${'a'.repeat(42)}`,
      `sha256=${'a'.repeat(64)}`,
      `${'a'.repeat(40)}`,
      `sha1=${'g'.repeat(40)}`,
    ]) {
      const error = refusal(() => readDeliveryHeaders({ ...headers, 'x-hub-signature': value }))
      expect(error).toMatchObject({ status: 401, code: 'LP_INPUT', deliveryId: 'ck-1', event: 'LABEL_CREATED' })
      expect(error.message).toBe('delivery ck-1 (LABEL_CREATED): missing or malformed X-Hub-Signature (expected sha1=<40 hex digits>)')
    }
  })

  it('a missing or malformed delivery id or event is 400', () => {
    expect(refusal(() => readDeliveryHeaders({ ...headers, 'x-labelbox-id': undefined }))).toMatchObject({ status: 400 })
    // A repeated header arrives joined with ", ": not one id.
    expect(refusal(() => readDeliveryHeaders({ ...headers, 'x-labelbox-id': ['a', 'b'] })).message).toMatch(
      /^request \(LABEL_CREATED\): missing or malformed X-Labelbox-Id/,
    )
    expect(refusal(() => readDeliveryHeaders({ ...headers, 'x-labelbox-id': 'x'.repeat(201) })).status).toBe(400)
    expect(refusal(() => readDeliveryHeaders({ ...headers, 'x-labelbox-event': undefined })).message).toBe(
      'delivery ck-1: missing or malformed X-Labelbox-Event',
    )
  })
})

describe('signatures', () => {
  it('webhookSignature is sha1= and the hex HMAC-SHA1 (RFC 2202-style vector)', () => {
    expect(webhookSignature('key', 'The quick brown fox jumps over the lazy dog')).toBe('sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9')
  })

  it('hasValidSignature accepts exactly the HMAC of these bytes with this secret, the secret as string or Buffer', () => {
    const body = Buffer.from('{"data_row":{"id":"dr-1"}}')
    const good = Buffer.from(webhookSignature('s3cret', body).slice(5), 'hex')
    expect(hasValidSignature('s3cret', body, good)).toBe(true)
    expect(hasValidSignature(Buffer.from('s3cret'), body, good)).toBe(true)
    expect(hasValidSignature('s3cret!', body, good)).toBe(false)
    expect(hasValidSignature('s3cret', Buffer.concat([body, Buffer.from(' ')]), good)).toBe(false)
    expect(hasValidSignature('s3cret', body, good.subarray(0, 19))).toBe(false)
  })
})

describe('parseDeliveryBody', () => {
  const parse = (text: string | Buffer) => () =>
    parseDeliveryBody(Buffer.isBuffer(text) ? text : Buffer.from(text), 'ck-2', 'LABEL_UPDATED')

  it('returns the validated data row', () => {
    const row = parseDeliveryBody(
      Buffer.from('{"data_row":{"id":"dr-1","details":{"last_activity_at":"2024-05-01T10:00:00.000Z"}}}'),
      'ck-2',
      'X',
    )
    expect(row.data_row.id).toBe('dr-1')
    expect(lastActivityMs(row)).toBe(Date.parse('2024-05-01T10:00:00.000Z'))
  })

  it('bad JSON names the byte where it broke when V8 says, and never quotes the body', () => {
    const error = refusal(parse('{"data_row": {"id": "private-text"}, ]'))
    expect(error).toMatchObject({ status: 400, code: 'LP_EXPORT_FORMAT' })
    // V8's message quotes the text: it is not kept, not even as the cause.
    expect(error.cause).toBeUndefined()
    expect(error.message).toMatch(/^delivery ck-2 \(LABEL_UPDATED\): the body is not valid JSON/)
    expect(error.message).not.toContain('private-text')
    const positioned = refusal(parse('{"a": 1,,}'))
    expect(positioned.message).toMatch(/not valid JSON( \(at byte \d+\))?$/)
  })

  it('a schema error names the field path; an empty body and invalid UTF-8 say so', () => {
    const error = refusal(parse('{"data_row": {"id": 7, "external_id": "private-text"}}'))
    expect(error.path).toEqual(['data_row', 'id'])
    expect(error.message).toMatch(/^delivery ck-2 \(LABEL_UPDATED\): data_row\.id: /)
    expect(error.message).not.toContain('private-text')
    expect(refusal(parse('[]')).message).toMatch(/^delivery ck-2 \(LABEL_UPDATED\): \(body\): /)
    expect(refusal(parse('  ')).message).toBe('delivery ck-2 (LABEL_UPDATED): the body is empty')
    expect(refusal(parse(Buffer.from([0x7b, 0xff, 0x7d])))).toMatchObject({ code: 'LP_INVALID_UTF8', status: 400 })
  })
})

describe('payload helpers', () => {
  it('lastActivityMs is null without details; labelIdsOf lists every project', () => {
    const row = parseDeliveryBody(
      Buffer.from('{"data_row":{"id":"d"},"projects":{"p1":{"labels":[{"id":"l1"},{"id":"l2"}]},"p2":{"labels":[{"id":"l3"}]},"p3":{}}}'),
      'ck-3',
      'LABEL_DELETED',
    )
    expect(lastActivityMs(row)).toBeNull()
    expect(labelIdsOf(row)).toEqual(['l1', 'l2', 'l3'])
  })
})

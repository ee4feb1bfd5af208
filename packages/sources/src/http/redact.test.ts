import { describe, expect, it } from 'vitest'
import { redactText, redactUrl } from './redact.js'

describe('redactUrl', () => {
  it('keeps origin and path; drops user info, query and fragment', () => {
    expect(redactUrl(new URL('https://user:pass@storage.example:8443/b/o%2Fframes.ndjson?X-Amz-Signature=abc&X-Amz-Credential=k#f'))).toBe(
      'https://storage.example:8443/b/o%2Fframes.ndjson',
    )
    expect(redactUrl(new URL('https://api.labelbox.com/v1/frames/ck1'))).toBe('https://api.labelbox.com/v1/frames/ck1')
  })
})

describe('redactText', () => {
  it('cuts the query of every URL in a message, and every occurrence of a secret', () => {
    const text = 'GET https://s.example/a?sig=1&exp=2 failed (see http://x.example/b#frag); key lbk_123 used, lbk_123 again'
    expect(redactText(text, ['lbk_123'])).toBe(
      'GET https://s.example/a failed (see http://x.example/b); key [redacted] used, [redacted] again',
    )
  })

  it('leaves a message without URL or secret as it is, and ignores an empty secret', () => {
    expect(redactText('UND_ERR_SOCKET: other side closed', ['', 'k3y'])).toBe('UND_ERR_SOCKET: other side closed')
  })
})

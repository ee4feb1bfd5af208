import { InvalidOptionError, type V1Label } from '@labelpipe/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { httpFramesResolver } from './http-frames-resolver.js'

// Option rules and label checks, before any connection; the HTTP behaviour is in test/http-frames.test.ts
// (real loopback servers).

afterEach(() => {
  vi.unstubAllEnvs()
})

const label = (frames: unknown) => ({ ID: 'ck1', 'DataRow ID': 'dr1', Label: { frames } }) as unknown as V1Label

describe('httpFramesResolver options', () => {
  it('without a key: InvalidOptionError telling the user to set LABELBOX_API_KEY', () => {
    vi.stubEnv('LABELBOX_API_KEY', '')
    expect(() => httpFramesResolver()).toThrow(InvalidOptionError)
    expect(() => httpFramesResolver()).toThrow(
      'invalid option apiKey: required to fetch frames over HTTP: set LABELBOX_API_KEY (or pass apiKey)',
    )
  })

  it('takes the key from LABELBOX_API_KEY by default', async () => {
    vi.stubEnv('LABELBOX_API_KEY', 'from-env')
    const resolver = httpFramesResolver()
    expect(resolver.stats).toEqual({ labels: 0, frames: 0, requests: 0, retries: 0, redirects: 0, skippedLabels: 0 })
    await resolver.close()
  })

  it('refuses a key with a space or a line break, and never prints any part of it', () => {
    for (const apiKey of ['secret-part\n', 'secret part', 'sécret']) {
      const error = (() => {
        try {
          httpFramesResolver({ apiKey })
        } catch (caught) {
          return caught as Error
        }
      })()
      expect(error?.message).toMatch(/^invalid option apiKey: must be printable ASCII/)
      expect(error?.message).not.toContain('cret')
    }
  })

  it('names the option and its rule', () => {
    expect(() => httpFramesResolver({ apiKey: 'k', concurrency: 0 })).toThrow(/^invalid option concurrency: /)
    expect(() => httpFramesResolver({ apiKey: 'k', maxAttempts: 1.5 })).toThrow(/^invalid option maxAttempts: /)
    expect(() => httpFramesResolver({ apiKey: 'k', random: 3 as unknown as () => number })).toThrow(
      'invalid option random: must be a function',
    )
  })
})

describe('httpFramesResolver labels', () => {
  it('a label whose frames are not an http(s) URL fails naming the label, not printing the value', async () => {
    const resolver = httpFramesResolver({ apiKey: 'k' })
    const signal = new AbortController().signal
    for (const [frames, detail] of [
      [42, 'expected the URL of its frames file'],
      ['not a url?token=abc', 'expected the URL of its frames file'],
      ['file:///etc/frames.ndjson?token=abc', 'expected an http or https URL, got file:'],
      [
        'http://frames.example.com/f/ck1?token=abc',
        'the frames URL is plain http to frames.example.com; the API key is sent over https only (or http to this machine)',
      ],
      ['http://10.0.0.7:8080/f/ck1?token=abc', 'the frames URL is plain http to 10.0.0.7:8080'],
    ] as const) {
      const at = { file: 'v1.json', line: 3, byteOffset: 40, arrayIndex: 1 }
      const pending = resolver.frames(label(frames), signal, at)[Symbol.asyncIterator]().next()
      await expect(pending).rejects.toThrow(`v1.json line 3 (byte 40, array index 1): Label.frames: label ck1: ${detail}`)
      await pending.catch((error: Error) => expect(error.message).not.toContain('token'))
    }
    await resolver.close()
  })
})

import { InvalidOptionError } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { webhookReceiver } from './webhook-receiver.js'

const flatten = () => () => []
const url = 'postgres://user:pw-not-shown@127.0.0.1:1/db'

describe('webhookReceiver options', () => {
  it('are checked in the factory, naming the option and never showing the secret or the URL', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { connectionString: url, flatten },
        /^invalid option secret: is required and must be a non-empty string or Buffer \(value not shown\)$/,
      ],
      [{ connectionString: url, flatten, secret: '' }, /^invalid option secret: /],
      [
        { connectionString: url, secret: 'shh-secret' },
        /^invalid option flatten: is required and must be a function: pass flattenDataRows/,
      ],
      [{ secret: 'shh-secret', flatten }, /^invalid option connectionString: exactly one of connectionString and pool is required$/],
      [{ connectionString: 'mysql://x', secret: 'shh-secret', flatten }, /^invalid option connectionString: must be a postgres:\/\//],
      [{ connectionString: url, secret: 'shh-secret', flatten, queueSize: 0 }, /^invalid option queueSize: must be an integer from 1 to/],
      [{ connectionString: url, secret: 'shh-secret', flatten, schema: 'Bad' }, /^invalid option schema: /],
      [{ connectionString: url, secret: 'shh-secret', flatten, loadId: 'x' }, /^invalid option loadId: is not an option/],
    ]
    for (const [options, message] of cases) {
      let thrown: unknown
      try {
        webhookReceiver(options as never)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError)
      expect((thrown as Error).message).toMatch(message)
      expect((thrown as Error).message).not.toMatch(/shh-secret|pw-not-shown/)
    }
  })

  it('valid options build a receiver that has connected to nothing yet', async () => {
    const receiver = webhookReceiver({ connectionString: url, secret: Buffer.from('k'), flatten })
    expect(receiver.stats).toMatchObject({ requests: 0, queued: 0, inFlight: 0, batches: 0 })
    await receiver.close()
  })
})

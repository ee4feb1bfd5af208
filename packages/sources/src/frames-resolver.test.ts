import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Batch, Located, V1Frame, V1Label, V1LabelGroup } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { type FramesResolver, resolveV1Frames } from './frames-resolver.js'

/** One fetch the test controls: finish it with frames, fail it, or see its signal. */
interface Fetch {
  readonly id: string
  readonly signal: AbortSignal
  finish(): void
  fail(error: Error): void
}

/** A resolver whose fetches end when the test (or `auto`) says; counts fetches at once. */
class ControlledResolver implements FramesResolver {
  readonly fetches: Fetch[] = []
  active = 0
  maxActive = 0
  readonly #auto: ((fetch: Fetch) => void) | undefined

  constructor(auto?: (fetch: Fetch) => void) {
    this.#auto = auto
  }

  async *frames(label: V1Label, signal: AbortSignal): AsyncGenerator<V1Frame> {
    this.maxActive = Math.max(this.maxActive, ++this.active)
    try {
      const frames = await new Promise<V1Frame[]>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        const fetch = { id: label.ID, signal, finish: () => resolve(framesOf(label.ID)), fail: reject }
        this.fetches.push(fetch)
        this.#auto?.(fetch)
      })
      yield* frames
    } finally {
      this.active--
    }
  }

  fetch(id: string): Fetch {
    const found = this.fetches.find((fetch) => fetch.id === id)
    if (found === undefined) throw new Error(`${id} was not fetched`)
    return found
  }
}

const framesOf = (id: string): V1Frame[] => [
  { frameNumber: 1, objects: [], classifications: [], of: id },
  { frameNumber: 2, objects: [], classifications: [], of: id },
]

const videoLabel = (id: string) => ({ ID: id, 'DataRow ID': `dr-${id}`, Label: { frames: `https://api.example/frames/${id}` } }) as V1Label
const imageLabel = (id: string) => ({ ID: id, 'DataRow ID': `dr-${id}`, Label: { objects: [] } }) as unknown as V1Label

/** Groups in batches of `batchSize`; `closed` turns true when the consumer has closed the input. */
function input(groups: readonly V1Label[][], batchSize: number) {
  const state = { closed: false }
  async function* batches(): AsyncGenerator<Batch<V1LabelGroup>> {
    try {
      for (let i = 0; i < groups.length; i += batchSize) {
        yield groups.slice(i, i + batchSize).map((labels, j) => ({
          value: { dataRowId: `row-${i + j}`, labels },
          at: { file: 'export.json', line: i + j + 1, byteOffset: 0 },
        }))
      }
    } finally {
      state.closed = true
    }
  }
  return { batches: batches(), state }
}

async function collect(batches: AsyncIterable<Batch<V1LabelGroup>>): Promise<Located<V1LabelGroup>[][]> {
  const out: Located<V1LabelGroup>[][] = []
  for await (const batch of batches) out.push([...batch])
  return out
}

/** Lets every pending promise and timer-free continuation run, so a stage that would start more fetches has. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await nextTurn()
}

const never = new AbortController().signal

describe('resolveV1Frames', () => {
  it('keeps input order while fetches finish in any order; labels without a frames URL pass unchanged', async () => {
    let seed = 12345
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    const resolver = new ControlledResolver((fetch) => {
      void (async () => {
        for (let turns = Math.floor(random() * 6); turns > 0; turns--) await nextTurn()
        fetch.finish()
      })()
    })
    const groups = Array.from({ length: 200 }, (_, i) => {
      if (i % 5 === 0) return [imageLabel(`img${i}`)]
      if (i % 7 === 0) return [videoLabel(`v${i}a`), imageLabel(`img${i}`), videoLabel(`v${i}b`)]
      return [videoLabel(`v${i}`)]
    })
    const { batches } = input(groups, 6)
    const out = await collect(resolveV1Frames(resolver, { concurrency: 4 }).run(batches, { signal: never }))
    // Batches may be cut where a fetch was still running, never joined: each lies within one input batch.
    const flat = out.flat()
    let first = 0
    for (const batch of out) {
      expect(Math.floor(first / 6)).toBe(Math.floor((first + batch.length - 1) / 6))
      first += batch.length
    }
    expect(flat.map((group) => group.value.dataRowId)).toEqual(groups.map((_, i) => `row-${i}`))
    expect(flat.map((group) => group.at.line)).toEqual(groups.map((_, i) => i + 1))
    flat.forEach((group, i) => {
      expect(group.value.labels).toHaveLength(groups[i]?.length as number)
      for (const [j, label] of group.value.labels.entries()) {
        const original = groups[i]?.[j] as V1Label
        if (original.ID.startsWith('img')) expect(label).toBe(original)
        else expect(label).toEqual({ ...original, Label: { ...(original.Label as object), frames: framesOf(original.ID) } })
      }
    })
    expect(resolver.maxActive).toBe(4)
  })

  it('fetches at most `concurrency` labels at once and starts at most 2 x concurrency ahead of the output', async () => {
    const resolver = new ControlledResolver()
    const { batches } = input(
      Array.from({ length: 40 }, (_, i) => [videoLabel(`v${i}`)]),
      128,
    )
    const out = collect(resolveV1Frames(resolver, { concurrency: 3 }).run(batches, { signal: never }))
    await settle()
    expect(resolver.fetches.map((fetch) => fetch.id)).toEqual(['v0', 'v1', 'v2'])
    // The head hangs; the others finish: their slots go to later labels, up to the window of 6.
    for (const id of ['v1', 'v2', 'v3', 'v4']) {
      resolver.fetch(id).finish()
      await settle()
    }
    expect(resolver.fetches.map((fetch) => fetch.id)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
    expect(resolver.active).toBe(2)
    // The head done, v0-v4 go out and the window moves on: v6 and v7 take the two free slots, v8-v10 wait for one.
    resolver.fetch('v0').finish()
    await settle()
    expect(resolver.fetches.map((fetch) => fetch.id)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'])
    for (let i = 5; i < 40; i++) {
      await settle()
      resolver.fetch(`v${i}`).finish()
    }
    expect((await out).flat()).toHaveLength(40)
    expect(resolver.maxActive).toBe(3)
  })

  it('input without video labels keeps its batches', async () => {
    const { batches } = input(
      Array.from({ length: 10 }, (_, i) => [imageLabel(`img${i}`)]),
      4,
    )
    const out = await collect(resolveV1Frames(new ControlledResolver()).run(batches, { signal: never }))
    expect(out.map((batch) => batch.length)).toEqual([4, 4, 2])
  })

  it('a data row with more video labels than the window is fetched whole', async () => {
    const resolver = new ControlledResolver((fetch) => fetch.finish())
    const row = Array.from({ length: 9 }, (_, i) => videoLabel(`v${i}`))
    const { batches } = input([[videoLabel('first')], row, [videoLabel('last')]], 2)
    const out = (await collect(resolveV1Frames(resolver, { concurrency: 1 }).run(batches, { signal: never }))).flat()
    expect(out.map((group) => group.value.labels.length)).toEqual([1, 9, 1])
    expect(resolver.maxActive).toBe(1)
  })

  it('the first failure fails the stage at once and cancels every other fetch; the input is closed', async () => {
    const resolver = new ControlledResolver()
    const { batches, state } = input(
      Array.from({ length: 10 }, (_, i) => [videoLabel(`v${i}`)]),
      4,
    )
    const out = collect(resolveV1Frames(resolver, { concurrency: 4 }).run(batches, { signal: never }))
    await settle()
    const failure = new Error('HTTP 401 for v2')
    resolver.fetch('v2').fail(failure)
    await expect(out).rejects.toBe(failure)
    expect(resolver.fetch('v0').signal.aborted).toBe(true)
    expect(resolver.active).toBe(0)
    expect(state.closed).toBe(true)
  })

  it('the pipeline signal cancels the fetches in flight', async () => {
    const resolver = new ControlledResolver()
    const controller = new AbortController()
    const { batches, state } = input(
      Array.from({ length: 10 }, (_, i) => [videoLabel(`v${i}`)]),
      4,
    )
    const out = collect(resolveV1Frames(resolver).run(batches, { signal: controller.signal }))
    await settle()
    const reason = new Error('aborted by the user')
    controller.abort(reason)
    await expect(out).rejects.toBe(reason)
    expect(resolver.fetches.every((fetch) => fetch.signal.aborted)).toBe(true)
    expect(resolver.active).toBe(0)
    expect(state.closed).toBe(true)
  })

  it('a consumer that stops early cancels the fetches and closes the input', async () => {
    const resolver = new ControlledResolver((fetch) => {
      if (fetch.id === 'v0') fetch.finish()
    })
    const { batches, state } = input(
      Array.from({ length: 10 }, (_, i) => [videoLabel(`v${i}`)]),
      1,
    )
    for await (const batch of resolveV1Frames(resolver, { concurrency: 2 }).run(batches, { signal: never })) {
      expect(batch[0]?.value.dataRowId).toBe('row-0')
      break
    }
    expect(resolver.active).toBe(0)
    expect(resolver.fetch('v1').signal.aborted).toBe(true)
    expect(state.closed).toBe(true)
  })

  it('refuses a concurrency that is not a positive integer', () => {
    const resolver = new ControlledResolver()
    expect(() => resolveV1Frames(resolver, { concurrency: 0 })).toThrow(/^invalid option concurrency: /)
    expect(() => resolveV1Frames(resolver, { concurrency: 2.5 })).toThrow(/^invalid option concurrency: /)
  })
})

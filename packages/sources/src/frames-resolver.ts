import {
  type Batch,
  InvalidOptionError,
  type Located,
  type PipelineStage,
  type Position,
  type V1Frame,
  type V1Label,
  type V1LabelContent,
  type V1LabelGroup,
} from '@labelpipe/core'
import { z } from 'zod'

/**
 * Where the frames of a raw v1 video label come from: its `Label` is `{"frames": "<URL>"}` (formats.md
 * "v1 video frames NDJSON"). `frames` yields the label's labeled frames in file order; yielding none is the
 * "skipped" answer (HTTP 204: a skipped label has no frames). Errors are LabelpipeErrors that name where
 * (file and line, or the URL without its query). framesDirResolver reads local files; httpFramesResolver
 * (`@labelpipe/sources/http`) fetches them with the API key. A resolver that retries a failed download must
 * not yield any frame of a label before the label is complete: a frame once yielded cannot be taken back.
 */
export interface FramesResolver {
  /** `at`: where the label's data row starts in the export, for an error about the label itself (its frames URL). */
  frames(label: V1Label, signal: AbortSignal, at: Position): AsyncIterable<V1Frame>
}

/** The options of resolveV1Frames. */
export interface ResolveV1FramesOptions {
  /**
   * Labels whose frames are fetched at once. Default 8, httpFramesResolver's default number of connections. At
   * most 2 × concurrency labels are held between the start of their fetch and their output (fetching, or fetched
   * and waiting for an earlier one), or one data row's labels if it has more.
   */
  readonly concurrency?: number
}

const optionsSchema = z.object({ concurrency: z.number().int().min(1).max(1024).default(8) })

// Groups read ahead of the output while it waits for a label's frames, to find the next labels to fetch. Groups
// without video labels cost their label metadata only (a few KB each); this bounds them when the input has long
// runs of such groups between two video labels.
const readAheadGroups = 1024

//   groups (in order) ─▶ waiting ─(window has room: start its labels' fetches)─▶ started ─(head done)─▶ out ─▶ batch
//                                                        └─ at most `concurrency` fetching at once (Slots)
// Output batches are the input batches, cut early where the next group is still fetching: what is done goes out
// before the stage waits, so the window (labels started and not yet yielded) only holds what must wait.

/**
 * A pipeline stage that fetches the frames of each raw video label (`Label.frames` a string) through
 * `resolver` and puts them back as `Label.frames: [...]`, the inlined form v1LabelsToDataRows reads (as
 * video_export.json holds it). Other labels pass unchanged. Up to `concurrency` labels are fetched at once and
 * groups come out in input order. The first failure of any fetch fails the stage at once and cancels the others
 * (a 401 needs no waiting for a slow label before it); the signal cancels every fetch and backoff too.
 */
export function resolveV1Frames(resolver: FramesResolver, options: ResolveV1FramesOptions = {}): PipelineStage<V1LabelGroup, V1LabelGroup> {
  const parsed = optionsSchema.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new InvalidOptionError(issue?.path.join('.') ?? 'options', issue?.message ?? 'invalid')
  }
  const { concurrency } = parsed.data
  return {
    name: 'resolveV1Frames',
    run: (batches: AsyncIterable<Batch<V1LabelGroup>>, { signal }: { signal: AbortSignal }) =>
      resolveInOrder(batches, resolver, concurrency, signal),
  }
}

interface PendingGroup {
  readonly located: Located<V1LabelGroup>
  /** Its raw video labels: what the window counts. */
  readonly labels: number
  readonly lastOfBatch: boolean
  resolved?: Promise<Located<V1LabelGroup>>
  /** Set once `resolved` has settled, either way. */
  settled?: boolean
}

async function* resolveInOrder(
  batches: AsyncIterable<Batch<V1LabelGroup>>,
  resolver: FramesResolver,
  concurrency: number,
  outer: AbortSignal,
): AsyncGenerator<Batch<V1LabelGroup>> {
  const window = 2 * concurrency
  const stop = new AbortController()
  const signal = AbortSignal.any([outer, stop.signal])
  const slots = new Slots(concurrency)
  const input = batches[Symbol.asyncIterator]()
  const waiting: PendingGroup[] = []
  const started: PendingGroup[] = []
  const inFlight = new Set<Promise<void>>()
  let failure: { readonly error: unknown } | undefined
  let held = 0
  let inputDone = false
  let out: Located<V1LabelGroup>[] = []
  let outLabels = 0

  const start = (group: PendingGroup) => {
    const resolved = resolveGroup(group.located, resolver, slots, signal)
    group.resolved = resolved
    held += group.labels
    const settled: Promise<void> = resolved.then(
      () => {
        group.settled = true
        inFlight.delete(settled)
      },
      (error: unknown) => {
        group.settled = true
        inFlight.delete(settled)
        // Fail fast: the first failure cancels every other fetch, and is the error the stage throws.
        failure ??= { error }
        stop.abort(error)
      },
    )
    inFlight.add(settled)
  }

  try {
    for (;;) {
      for (;;) {
        const next = waiting[0]
        if (next !== undefined) {
          if (next.labels > 0 && held >= window) break
          waiting.shift()
          if (next.labels > 0) start(next)
          started.push(next)
        } else {
          if (inputDone || started.length >= readAheadGroups) break
          const read = await input.next()
          if (read.done === true) inputDone = true
          else for (const [i, located] of read.value.entries()) waiting.push(pendingGroup(located, i === read.value.length - 1))
        }
      }
      const head = started[0]
      // Yield what is done before waiting: fetched frames never wait for a slower later label, and leave the window.
      if (head === undefined || (head.resolved !== undefined && head.settled !== true && out.length > 0)) {
        // Nothing started and nothing to yield: the window is empty, so the loop above has read the input to its end.
        if (out.length === 0) return
        yield out
        held -= outLabels
        out = []
        outLabels = 0
        continue
      }
      started.shift()
      if (head.resolved === undefined) out.push(head.located)
      else {
        try {
          out.push(await head.resolved)
        } catch (error) {
          throw failure === undefined ? error : failure.error
        }
        outLabels += head.labels
      }
      if (head.lastOfBatch) {
        yield out
        held -= outLabels
        out = []
        outLabels = 0
      }
    }
  } finally {
    // On failure, abort or an early return: cancel what is still fetching and wait for it to let go of its
    // sockets and files, so nothing of this stage outlives it; then close the input.
    stop.abort()
    await Promise.all(inFlight)
    await input.return?.()
  }
}

function pendingGroup(located: Located<V1LabelGroup>, lastOfBatch: boolean): PendingGroup {
  let labels = 0
  for (const label of located.value.labels) if (hasFramesUrl(label)) labels++
  return { located, labels, lastOfBatch }
}

async function resolveGroup(
  located: Located<V1LabelGroup>,
  resolver: FramesResolver,
  slots: Slots,
  signal: AbortSignal,
): Promise<Located<V1LabelGroup>> {
  const labels = await Promise.all(
    located.value.labels.map((label) => (hasFramesUrl(label) ? slots.run(() => withFrames(label, resolver, signal, located.at)) : label)),
  )
  return { value: { dataRowId: located.value.dataRowId, labels }, at: located.at }
}

function hasFramesUrl(label: V1Label): boolean {
  const content = label.Label
  return !Array.isArray(content) && typeof (content as V1LabelContent).frames === 'string'
}

async function withFrames(label: V1Label, resolver: FramesResolver, signal: AbortSignal, at: Position): Promise<V1Label> {
  signal.throwIfAborted()
  const frames: V1Frame[] = []
  for await (const frame of resolver.frames(label, signal, at)) frames.push(frame)
  return { ...label, Label: { ...(label.Label as V1LabelContent), frames } }
}

/** A counting semaphore, first come first served: labels started earlier get a free slot first. */
class Slots {
  #free: number
  readonly #waiters: (() => void)[] = []

  constructor(size: number) {
    this.#free = size
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => this.#waiters.push(resolve))
    try {
      return await task()
    } finally {
      const next = this.#waiters.shift()
      if (next === undefined) this.#free++
      else next()
    }
  }
}

import type { GenerateContext } from './generate-context.js'
import type { OptionDef, QuestionDef, ToolDef } from './generate-ontology.js'
import { Prng } from './prng.js'

// One video/DICOM feature (a track) across frames.
//
// A Track has 1-3 maximal runs of frames (segments; runs never touch, so they are the maximal runs
// formats.md derives from v1), key frames every 5-30 frames inside a run, always at both ends, and a
// geometry interpolated linearly between key frames. key_frame_feature_map maps frame -> bool: true for
// drawn key frames; the first frame of a later run is written as false, as in the SDK's video export test
// ({"13": true, "18": false, "19": true}). Key frames are drawn from a per-run seed so the map, written
// after the frames, replays them without storing them.

export interface Segment {
  readonly start: number
  readonly end: number
  readonly keySeed: number
}

const MIN_KEY_GAP = 5
const MAX_KEY_GAP = 30
/** The frame-object classification: `[{"feature_id":…,<question>,"radio_answer":{"feature_id":…,` + option + `,"classifications":[]}}]`. */
export const answerJson = (head: string, option: OptionDef): string => `${head}${option.json},"classifications":[]}}]`

/** One decimal, written `146.0` as the Python-serialised exports do; integer arithmetic avoids slow float printing. */
function fmt1(value: number): string {
  const tenths = Math.round(value * 10)
  const rest = tenths % 10
  return `${(tenths - rest) / 10}.${rest}`
}

export class Track {
  readonly featureId: string
  readonly segments: readonly Segment[]
  readonly #tool: ToolDef
  readonly #prefix: string
  readonly #maskUrl: string
  readonly #rng: Prng
  readonly #width: number
  readonly #height: number
  readonly #question: QuestionDef | undefined
  readonly #answerHead: string
  #answer = '[]'
  #cursor = 0
  #keys = new Prng(0)
  #prevKey = 0
  #nextKey = 0
  #from: Float64Array
  #to: Float64Array
  #started = false

  constructor(
    ctx: GenerateContext,
    tool: ToolDef,
    frameQuestion: QuestionDef | undefined,
    width: number,
    height: number,
    projectId: string,
    epochMs: number,
  ) {
    const { rng, ids } = ctx
    this.featureId = ids.next(epochMs)
    this.segments = planSegments(rng, ctx.framesPerVideo)
    this.#tool = tool
    this.#prefix = `"${this.featureId}":{"feature_id":"${this.featureId}",${tool.json},"classifications":`
    this.#maskUrl = `"mask":{"url":"https://api.labelbox.com/api/v1/projects/${projectId}/annotations/${this.featureId}/index/`
    this.#rng = rng.fork()
    this.#width = width
    this.#height = height
    this.#question = frameQuestion
    this.#answerHead = frameQuestion
      ? `[{"feature_id":"${ids.next(epochMs)}",${frameQuestion.json},"radio_answer":{"feature_id":"${ids.next(epochMs)}",`
      : ''
    const size = tool.geometry === 'bbox' ? 4 : tool.geometry === 'point' ? 2 : tool.geometry === 'line' ? 2 * this.#rng.between(3, 5) : 0
    this.#from = new Float64Array(size)
    this.#to = new Float64Array(size)
  }

  /** The segment covering frame n or later; undefined once past the last one. */
  segmentFrom(n: number): Segment | undefined {
    let segment = this.segments[this.#cursor]
    while (segment !== undefined && segment.end < n) segment = this.segments[++this.#cursor]
    return segment
  }

  /** This track's object in frame n (n inside the current segment); counts the frame answer. */
  frameObject(ctx: GenerateContext, n: number, segment: Segment): string {
    if (n === segment.start) {
      // A later run starts where the previous one ended (`from` holds its last key frame).
      this.#keys = new Prng(segment.keySeed)
      if (!this.#started) {
        this.#place()
        this.#from.set(this.#to)
        this.#started = true
      }
      this.#key(n, segment.end)
    } else if (n === this.#nextKey) {
      const swap = this.#from
      this.#from = this.#to
      this.#to = swap
      this.#key(n, segment.end)
    }
    if (this.#question !== undefined) ctx.frameAnswers++
    const t = this.#nextKey === this.#prevKey ? 0 : (n - this.#prevKey) / (this.#nextKey - this.#prevKey)
    return `${this.#prefix}${this.#answer},${this.#geometry(n, t)}}`
  }

  /** Writes `"<frame>":bool,…` for every key frame, yielding finished chunks as it goes; returns the count. */
  *keyFrames(ctx: GenerateContext): Generator<Buffer, number> {
    const { out } = ctx
    let count = 0
    for (const [index, segment] of this.segments.entries()) {
      const keys = new Prng(segment.keySeed)
      let frame = segment.start
      out.write(`${index === 0 ? '' : ','}"${frame}":${index === 0}`)
      count++
      while (frame < segment.end) {
        frame = Math.min(segment.end, frame + keys.between(MIN_KEY_GAP, MAX_KEY_GAP))
        out.write(`,"${frame}":true`)
        count++
        if (out.hasReady) yield* out.take()
      }
    }
    return count
  }

  segmentsJson(): string {
    return `"${this.featureId}":[${this.segments.map((s) => `[${s.start},${s.end}]`).join(',')}]`
  }

  #key(n: number, end: number): void {
    this.#prevKey = n
    this.#nextKey = n >= end ? n : Math.min(end, n + this.#keys.between(MIN_KEY_GAP, MAX_KEY_GAP))
    if (this.#nextKey > n) this.#drift()
    const question = this.#question
    if (question !== undefined && (this.#answer === '[]' || this.#rng.chance(0.2))) {
      this.#answer = answerJson(this.#answerHead, this.#rng.pick(question.options))
    }
  }

  #place(): void {
    const rng = this.#rng
    const to = this.#to
    const w = this.#width
    const h = this.#height
    if (this.#tool.geometry === 'bbox') {
      to[3] = rng.float(30, w / 4)
      to[2] = rng.float(30, h / 4)
      to[0] = rng.float(0, h - to[2])
      to[1] = rng.float(0, w - to[3])
    } else {
      for (let i = 0; i < to.length; i += 2) {
        to[i] = rng.float(0, w)
        to[i + 1] = rng.float(0, h)
      }
    }
  }

  /** The next key frame's geometry: a small move from the current one, kept inside the image. */
  #drift(): void {
    const rng = this.#rng
    const from = this.#from
    const to = this.#to
    const w = this.#width
    const h = this.#height
    if (this.#tool.geometry === 'bbox') {
      to[3] = clamp((from[3] as number) * rng.float(0.9, 1.1), 10, w / 2)
      to[2] = clamp((from[2] as number) * rng.float(0.9, 1.1), 10, h / 2)
      to[0] = clamp((from[0] as number) + rng.float(-25, 25), 0, h - to[2])
      to[1] = clamp((from[1] as number) + rng.float(-25, 25), 0, w - to[3])
    } else {
      for (let i = 0; i < to.length; i += 2) {
        to[i] = clamp((from[i] as number) + rng.float(-12, 12), 0, w)
        to[i + 1] = clamp((from[i + 1] as number) + rng.float(-12, 12), 0, h)
      }
    }
  }

  #geometry(n: number, t: number): string {
    const from = this.#from
    const to = this.#to
    const at = (i: number): string => fmt1((from[i] as number) + ((to[i] as number) - (from[i] as number)) * t)
    switch (this.#tool.geometry) {
      case 'bbox':
        return `"bounding_box":{"top":${at(0)},"left":${at(1)},"height":${at(2)},"width":${at(3)}}`
      case 'point':
        return `"point":{"x":${at(0)},"y":${at(1)}}`
      case 'line': {
        let points = ''
        for (let i = 0; i < from.length; i += 2) points += `${i === 0 ? '' : ','}{"x":${at(i)},"y":${at(i + 1)}}`
        return `"line":[${points}]`
      }
      default:
        return `${this.#maskUrl}${n}/mask"}`
    }
  }
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(Math.max(value, lo), hi)
}

/** 1-3 runs inside [1, frames] from sorted random cut points; runs that touch or overlap are merged. */
function planSegments(rng: Prng, frames: number): Segment[] {
  const cuts = Array.from({ length: 2 * rng.between(1, 3) }, () => rng.between(1, frames)).sort((a, b) => a - b)
  const segments: Segment[] = []
  for (let i = 0; i < cuts.length; i += 2) {
    const start = cuts[i] as number
    const end = cuts[i + 1] as number
    const last = segments[segments.length - 1]
    if (last !== undefined && start <= last.end + 1) segments[segments.length - 1] = { ...last, end: Math.max(last.end, end) }
    else segments.push({ start, end, keySeed: rng.nextU32() })
  }
  return segments
}

import { classificationsJson } from './generate-classifications.js'
import type { GenerateContext } from './generate-context.js'
import type { MediaOntology, QuestionDef } from './generate-ontology.js'
import { answerJson, Track } from './generate-track.js'

// Video and DICOM annotations (formats.md), written straight into ctx.out frame by frame so a label with
// millions of frames never exists as one string; the generators yield each finished chunk. Frames are
// materialised for every frame of every run of every track (generate-track.ts), as an export with
// `interpolated_frames: true` writes them, so `frames` is exactly the union of the segments.

/** A frame-level radio question whose answer changes every 20-80 frames; one feature id for the label. */
class FrameQuestion {
  readonly #ctx: GenerateContext
  readonly #question: QuestionDef
  readonly #head: string
  #answer = ''
  #until = 0

  constructor(ctx: GenerateContext, question: QuestionDef, epochMs: number) {
    this.#ctx = ctx
    this.#question = question
    this.#head = `[{"feature_id":"${ctx.ids.next(epochMs)}",${question.json},"radio_answer":{"feature_id":"${ctx.ids.next(epochMs)}",`
  }

  at(n: number): string {
    if (n >= this.#until) {
      this.#answer = answerJson(this.#head, this.#ctx.rng.pick(this.#question.options))
      this.#until = n + this.#ctx.rng.between(20, 80)
    }
    this.#ctx.frameAnswers++
    return this.#answer
  }
}

/** Writes `"<n>":{"objects":{…},"classifications":[…]},…` for every frame any track covers. */
function* writeFrames(ctx: GenerateContext, tracks: readonly Track[], question: FrameQuestion | undefined): Generator<Buffer> {
  const { out, counts } = ctx
  let n = 1
  let first = true
  for (;;) {
    let next = Number.POSITIVE_INFINITY
    for (const track of tracks) {
      const segment = track.segmentFrom(n)
      if (segment !== undefined && segment.start < next) next = Math.max(n, segment.start)
    }
    if (next === Number.POSITIVE_INFINITY) return
    n = next
    let objects = ''
    for (const track of tracks) {
      const segment = track.segmentFrom(n)
      if (segment === undefined || segment.start > n) continue
      objects += `${objects === '' ? '' : ','}${track.frameObject(ctx, n, segment)}`
      counts.frame_objects++
    }
    out.write(`${first ? '' : ','}"${n}":{"objects":{${objects}},"classifications":${question ? question.at(n) : '[]'}}`)
    first = false
    if (out.hasReady) yield* out.take()
    n++
  }
}

export interface FrameMediaLabel {
  readonly width: number
  readonly height: number
  readonly projectId: string
  readonly epochMs: number
  /** A skipped label: every map empty. */
  readonly skipped: boolean
}

function planTracks(ctx: GenerateContext, ontology: MediaOntology, label: FrameMediaLabel, count: number): Track[] {
  const tracks: Track[] = []
  for (let i = 0; i < count; i++) {
    const tool = ctx.rng.pick(ontology.tools)
    const question = ctx.frameClassifications && ctx.rng.chance(0.3) ? ontology.frameObjectQuestion : undefined
    tracks.push(new Track(ctx, tool, question, label.width, label.height, label.projectId, label.epochMs))
  }
  ctx.tracks += tracks.length
  ctx.counts.segments += tracks.reduce((sum, track) => sum + track.segments.length, 0)
  return tracks
}

function globalClassificationsJson(ctx: GenerateContext, ontology: MediaOntology, epochMs: number): string {
  const before = ctx.answers
  const json = classificationsJson(ctx, ontology.global, 0.6, epochMs)
  ctx.counts.classifications += ctx.answers - before
  return json
}

/** A video label's annotations: frames, segments, key_frame_feature_map, classifications (the SDK's order). */
export function* writeVideoAnnotations(ctx: GenerateContext, label: FrameMediaLabel): Generator<Buffer> {
  const { out } = ctx
  if (label.skipped) {
    out.write('{"frames":{},"segments":{},"key_frame_feature_map":{},"classifications":[]}')
    return
  }
  const ontology = ctx.world.video.ontology
  const tracks = planTracks(ctx, ontology, label, ctx.rng.between(2, 4))
  const question =
    ctx.frameClassifications && ctx.rng.chance(0.3) ? new FrameQuestion(ctx, ontology.frameQuestion, label.epochMs) : undefined
  out.write('{"frames":{')
  yield* writeFrames(ctx, tracks, question)
  out.write(`},"segments":{${tracks.map((track) => track.segmentsJson()).join(',')}},"key_frame_feature_map":{`)
  for (const [index, track] of tracks.entries()) {
    out.write(`${index === 0 ? '' : ','}"${track.featureId}":{`)
    ctx.counts.key_frames += yield* track.keyFrames(ctx)
    out.write('}')
  }
  out.write(`},"classifications":${globalClassificationsJson(ctx, ontology, label.epochMs)}}`)
}

// formats.md / the SDK's expected DICOM export: every plane appears in groups and segments even when empty,
// and each feature's key frames are nested by plane (Axial, Coronal, Sagittal in the SDK's fixture).
const GROUPS = ['Axial', 'Sagittal', 'Coronal'] as const
const KEY_FRAME_GROUP_ORDER = [0, 2, 1] as const
/** Axial is where most DICOM annotation happens. */
const GROUP_WEIGHTS = [0, 0, 0, 1, 2] as const

/** A DICOM label's annotations: groups, segments, classifications, key_frame_feature_map (the SDK's order). */
export function* writeDicomAnnotations(ctx: GenerateContext, label: FrameMediaLabel): Generator<Buffer> {
  const { out } = ctx
  const ontology = ctx.world.dicom.ontology
  const byGroup: Track[][] = GROUPS.map(() => [])
  if (!label.skipped) {
    for (const track of planTracks(ctx, ontology, label, ctx.rng.between(2, 4))) byGroup[ctx.rng.pick(GROUP_WEIGHTS)]?.push(track)
  }
  out.write('{"groups":{')
  for (const [g, name] of GROUPS.entries()) {
    const tracks = byGroup[g] ?? []
    const question =
      tracks.length > 0 && ctx.frameClassifications && ctx.rng.chance(0.3)
        ? new FrameQuestion(ctx, ontology.frameQuestion, label.epochMs)
        : undefined
    out.write(`${g === 0 ? '' : ','}"${name}":{"name":"${name}","classifications":[],"frames":{`)
    yield* writeFrames(ctx, tracks, question)
    out.write('}}')
  }
  const segments = GROUPS.map((name, g) => `"${name}":{${(byGroup[g] ?? []).map((track) => track.segmentsJson()).join(',')}}`)
  const classifications = label.skipped ? '[]' : globalClassificationsJson(ctx, ontology, label.epochMs)
  out.write(`},"segments":{${segments.join(',')}},"classifications":${classifications},"key_frame_feature_map":{`)
  let firstTrack = true
  for (const [g, tracks] of byGroup.entries()) {
    for (const track of tracks) {
      out.write(`${firstTrack ? '' : ','}"${track.featureId}":{`)
      firstTrack = false
      for (const [i, other] of KEY_FRAME_GROUP_ORDER.entries()) {
        out.write(`${i === 0 ? '' : ','}"${GROUPS[other]}":{`)
        if (other === g) ctx.counts.key_frames += yield* track.keyFrames(ctx)
        out.write('}')
      }
      out.write('}')
    }
  }
  out.write('}}')
}

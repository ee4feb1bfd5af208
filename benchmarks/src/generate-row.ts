import type { GenerateContext } from './generate-context.js'
import { writeDicomAnnotations, writeVideoAnnotations } from './generate-frames.js'
import { imageAnnotationsJson } from './generate-image.js'
import type { DatasetDef } from './generate-ontology.js'
import { labelHeadJson, type ProjectPlan, planProject, projectDetailsJson } from './generate-projects.js'
import { isoUtc, isoWithOffset, jsonBytes, round3 } from './generate-text.js'

// One Export v2 line (formats.md "Export v2 — data-row-centric NDJSON"), written in the key order the
// exports use: data_row{…, details}, media_attributes, attachments, metadata_fields, projects{id: {name,
// labels, project_details}}. Image lines are built as one string (2-4 KB); video and DICOM lines stream
// their frames through ctx.out.

export type RowMedia = 'image' | 'video' | 'dicom'

const ASSET_HOST = 'https://storage.googleapis.com/lp-synthetic-assets'
const IMAGE_SIZES = [
  [1920, 1080],
  [1280, 720],
  [4032, 3024],
  [2560, 1440],
  [800, 600],
] as const
const FRAME_RATES = [24, 25, 29.97, 30, 60] as const
/** Longer than this, a video is labelled once (no second project, no consensus): sizes stay predictable. */
const LONG_VIDEO_FRAMES = 10_000

// Labelbox's reserved metadata schema ids, as used in the SDK's integration tests.
const TAG_SCHEMA = 'cko8s9r5v0001h2dk9elqdidh'
const SPLIT_SCHEMA = 'cko8sbczn0002h2dkdaxb5kal'
const SPLIT_OPTIONS = [
  ['cko8sbscr0003h2dk04w86hof', 'train'],
  ['cko8sc2yr0004h2dk69aj5x63', 'valid'],
  ['cko8scbz70005h2dkastwhgqt', 'test'],
] as const
const CAPTURE_DATETIME_SCHEMA = 'cko8sdzv70006h2dk8jg64zvb'
const TAGS = ['reviewed', 'needs-relabel', 'golden', 'night shift', 'Zürich depot'].map(jsonBytes)
/** captureDateTime is written in the camera's local time, offsets in minutes. */
const OFFSETS = [0, 60, 120, -300, 540, 330] as const

/** A row's first project: the consensus projects (index 1) get fewer rows, as consensus is costly. */
const PROJECT_WEIGHTS = [0, 0, 0, 0, 0, 1, 1, 2, 2, 2]
const ATTACHMENTS_PER_ROW = [0, 0, 0, 1, 1, 2, 3]

export function* writeDataRow(ctx: GenerateContext, media: RowMedia, seq: number): Generator<Buffer> {
  const { rng, ids, world, counts, out } = ctx
  const mediaWorld = world[media]
  ctx.clockMs += rng.between(200, 6_000)
  const createdMs = ctx.clockMs
  const dataset = rng.pick(mediaWorld.datasets)
  const frames = ctx.framesPerVideo
  const long = media !== 'image' && frames > LONG_VIDEO_FRAMES

  const projectDefs = mediaWorld.projects
  const first = rng.pick(PROJECT_WEIGHTS) % projectDefs.length
  const chosen = [projectDefs[first]]
  if (!long && projectDefs.length > 1 && rng.chance(0.2))
    chosen.push(projectDefs[(first + 1 + rng.int(projectDefs.length - 1)) % projectDefs.length])
  const plans: ProjectPlan[] = []
  for (const [index, def] of chosen.entries()) {
    if (def !== undefined) plans.push(planProject(ctx, def, createdMs, index === 0 && media !== 'image', long))
  }
  const updatedMs = rng.chance(0.3) ? createdMs + rng.between(60_000, 30 * 86_400_000) : createdMs
  const lastActivityMs = Math.max(updatedMs, ...plans.map((plan) => plan.lastMs))

  const extension = media === 'image' ? (rng.chance(0.8) ? 'jpg' : 'png') : media === 'video' ? 'mp4' : 'dcm'
  const externalId = `${media === 'image' ? 'IMG' : media === 'video' ? 'clip' : 'study'}_${String(seq + 1).padStart(7, '0')}.${extension}`
  const globalKey = rng.chance(0.95) ? `"${dataset.slug}/${externalId}"` : 'null'
  const creator = rng.pick(world.users)
  const [width, height] = media === 'dicom' ? [512, 512] : media === 'video' ? [1920, 1080] : rng.pick(IMAGE_SIZES)

  out.write(
    `{"data_row":{"id":"${ids.next(createdMs)}","global_key":${globalKey},"external_id":"${externalId}","row_data":"${rowData(ctx, dataset, externalId, createdMs)}",` +
      `"details":{"dataset_id":"${dataset.id}","dataset_name":${dataset.nameJson},"created_at":"${isoUtc(createdMs)}","updated_at":"${isoUtc(updatedMs)}","last_activity_at":"${isoUtc(lastActivityMs)}","created_by":"${creator.email}"}},` +
      `"media_attributes":${mediaAttributesJson(ctx, media, extension, width, height)},"attachments":${attachmentsJson(ctx, dataset, seq, createdMs)},"metadata_fields":${metadataJson(ctx, createdMs)},"projects":{`,
  )
  counts.data_rows++
  counts.project_data_rows += plans.length

  const kind = media === 'image' ? 'Default' : media === 'video' ? 'Video' : 'Dicom'
  const seconds = media === 'image' ? ([5, 300] as const) : ([60, 5_400] as const)
  for (const [index, plan] of plans.entries()) {
    out.write(`${index === 0 ? '' : ','}"${plan.def.id}":{"name":${plan.def.nameJson},"labels":[`)
    for (const [l, label] of plan.labels.entries()) {
      out.write(`${l === 0 ? '' : ','}${labelHeadJson(ctx, plan, label, kind, seconds)}`)
      if (media === 'image') {
        out.write(
          label.skipped
            ? '{"objects":[],"classifications":[],"relationships":[]}'
            : imageAnnotationsJson(ctx, width, height, plan.def.id, label.createdMs),
        )
      } else {
        const frameLabel = { width, height, projectId: plan.def.id, epochMs: label.createdMs, skipped: label.skipped }
        yield* media === 'video' ? writeVideoAnnotations(ctx, frameLabel) : writeDicomAnnotations(ctx, frameLabel)
      }
      out.write('}')
    }
    out.write(`],${projectDetailsJson(ctx, plan, plan.def === projectDefs[0])}}`)
  }
  out.write('}}\n')
  if (out.hasReady) yield* out.take()
}

function rowData(ctx: GenerateContext, dataset: DatasetDef, externalId: string, createdMs: number): string {
  const url = `${ASSET_HOST}/${dataset.slug}/${externalId}`
  if (!ctx.rng.chance(0.25)) return url
  // A signed URL, as Labelbox stores for IAM-delegated buckets: the query must never reach a log.
  let signature = ''
  for (let i = 0; i < 8; i++) signature += ctx.rng.nextU32().toString(16).padStart(8, '0')
  const day = isoUtc(createdMs).slice(0, 10).replaceAll('-', '')
  return `${url}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=lp-synth%40example.iam.gserviceaccount.com%2F${day}%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=${day}T000000Z&X-Goog-Expires=604800&X-Goog-SignedHeaders=host&X-Goog-Signature=${signature}`
}

function mediaAttributesJson(ctx: GenerateContext, media: RowMedia, extension: string, width: number, height: number): string {
  const frames = ctx.framesPerVideo
  switch (media) {
    case 'image':
      return `{"mime_type":"image/${extension === 'jpg' ? 'jpeg' : 'png'}","asset_type":"image","width":${width},"height":${height},"exif_rotation":"1"}`
    case 'video': {
      const rate = ctx.rng.pick(FRAME_RATES)
      return `{"mime_type":"video/mp4","asset_type":"video","width":${width},"height":${height},"frame_rate":${rate},"frame_count":${frames},"duration":${round3(frames / rate)}}`
    }
    case 'dicom':
      return `{"mime_type":"application/dicom","asset_type":"dicom","width":${width},"height":${height},"frame_count":${frames}}`
  }
}

function attachmentsJson(ctx: GenerateContext, dataset: DatasetDef, seq: number, createdMs: number): string {
  const { rng, ids, world } = ctx
  const n = rng.pick(ATTACHMENTS_PER_ROW)
  const items: string[] = []
  for (let i = 0; i < n; i++) {
    const id = rng.chance(0.9) ? `"id":"${ids.next(createdMs)}",` : ''
    switch (rng.int(5)) {
      case 0:
        items.push(`{${id}"type":"IMAGE","value":"${ASSET_HOST}/${dataset.slug}/thumbs/${seq + 1}.jpg","name":"thumbnail"}`)
        break
      case 1:
        items.push(`{${id}"type":"TEXT","value":${rng.pick(world.textsJson)},"name":"operator notes"}`)
        break
      case 2:
        items.push(`{${id}"type":"RAW_TEXT","value":"lat=${round3(rng.float(-60, 60))},lon=${round3(rng.float(-180, 180))}","name":"gps"}`)
        break
      case 3:
        items.push(`{${id}"type":"IMAGE_OVERLAY","value":"${ASSET_HOST}/${dataset.slug}/depth/${seq + 1}.png","name":"depth map"}`)
        break
      default:
        items.push(
          `{${id}"type":"HTML","value":"<p>Shift <b>${rng.between(1, 3)}</b>, camera ${rng.between(1, 12)}</p>","name":"shift report"}`,
        )
    }
  }
  ctx.counts.attachments += n
  return `[${items.join(',')}]`
}

/**
 * metadata_fields. Enums carry the option's schema id in `value` and its name in `value_name`; a
 * multi-valued enum (formats.md: "enums may be lists") has both as parallel lists, one table row per option.
 */
function metadataJson(ctx: GenerateContext, createdMs: number): string {
  const { rng, world } = ctx
  const { metadata } = world
  const fields: string[] = []
  let rows = 0
  if (rng.chance(0.8)) {
    const [id, name] = rng.pick(SPLIT_OPTIONS)
    fields.push(`{"schema_id":"${SPLIT_SCHEMA}","schema_name":"split","value":"${id}","value_name":"${name}"}`)
    rows++
  }
  if (rng.chance(0.5)) {
    fields.push(`{"schema_id":"${TAG_SCHEMA}","schema_name":"tag","value":${rng.pick(TAGS)}}`)
    rows++
  }
  if (rng.chance(0.6)) {
    const capturedMs = createdMs - rng.between(3_600_000, 90 * 86_400_000)
    const offset = rng.pick(OFFSETS)
    fields.push(`{"schema_id":"${CAPTURE_DATETIME_SCHEMA}","schema_name":"captureDateTime","value":"${isoWithOffset(capturedMs, offset)}"}`)
    rows++
  }
  if (rng.chance(0.5)) {
    fields.push(
      `{"schema_id":"${metadata.cameraId}","schema_name":"camera_id","value":"cam-${String(rng.between(1, 40)).padStart(2, '0')}"}`,
    )
    rows++
  }
  if (rng.chance(0.4)) {
    fields.push(
      `{"schema_id":"${metadata.temperature}","schema_name":"sensor_temperature_c","value":${Math.round(rng.float(-15, 40) * 10) / 10}}`,
    )
    rows++
  }
  if (rng.chance(0.3)) {
    const options = metadata.conditionOptions.filter((_, index) => index === 0 || rng.chance(0.4))
    const picked = options.length > 1 && rng.chance(0.5) ? options.slice(1) : options
    fields.push(
      `{"schema_id":"${metadata.conditions}","schema_name":"conditions","value":[${picked.map((o) => `"${o.id}"`).join(',')}],"value_name":[${picked.map((o) => o.nameJson).join(',')}]}`,
    )
    rows += picked.length
  }
  ctx.counts.data_row_metadata += rows
  return `[${fields.join(',')}]`
}

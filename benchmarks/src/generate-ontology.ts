import { jsonBytes } from './generate-text.js'
import { type CuidFactory, Prng } from './prng.js'

// The fixed world a synthetic export lives in: ontologies (tools and questions with stable schema ids),
// datasets, projects with batches and workflow tasks, users and free-text pools. Built once per seed, so
// schema ids repeat across rows as in a real export. Every JSON fragment that never changes is encoded
// here once (jsonBytes: JSON text as UTF-8 bytes, see ChunkBuffer), which keeps the per-row code to string
// concatenation.

export type AnswerKind = 'radio' | 'checklist' | 'text'
export type Geometry = 'bbox' | 'polygon' | 'line' | 'point' | 'mask'

export interface OptionDef {
  /** `"feature_schema_id":…,"name":…,"value":…` */
  readonly json: string
  readonly nested: readonly QuestionDef[]
}

export interface QuestionDef {
  readonly kind: AnswerKind
  /** `"feature_schema_id":…,"name":…,"value":…` */
  readonly json: string
  readonly options: readonly OptionDef[]
}

export interface ToolDef {
  readonly geometry: Geometry
  /** `"feature_schema_id":…,"name":…,"value":…,"annotation_kind":…` */
  readonly json: string
  readonly nested: readonly QuestionDef[]
}

export interface MediaOntology {
  readonly tools: readonly ToolDef[]
  readonly global: readonly QuestionDef[]
  /** Asked on every frame of a track (video/DICOM); its answer changes at key frames. */
  readonly frameObjectQuestion: QuestionDef
  /** Asked on whole frames (video/DICOM). */
  readonly frameQuestion: QuestionDef
}

export interface DatasetDef {
  readonly id: string
  readonly nameJson: string
  readonly slug: string
}

export interface ProjectDef {
  readonly id: string
  readonly nameJson: string
  readonly consensus: number
  readonly batches: readonly { readonly id: string; readonly name: string }[]
}

export interface MediaWorld {
  readonly ontology: MediaOntology
  readonly datasets: readonly DatasetDef[]
  readonly projects: readonly ProjectDef[]
}

export interface World {
  /** The export's notion of "now minus a few months": every timestamp is after it. */
  readonly baseMs: number
  readonly image: MediaWorld
  readonly video: MediaWorld
  readonly dicom: MediaWorld
  readonly users: readonly { readonly id: string; readonly email: string }[]
  /** Image relationship kinds: `"name":…,"feature_schema_id":…` and the direction. */
  readonly relationships: readonly { readonly json: string; readonly type: string }[]
  /** JSON-encoded free texts (jsonBytes), some with multi-byte characters and escapes, as reviewers type them. */
  readonly textsJson: readonly string[]
  /** Schema ids of the organisation's custom metadata fields (the reserved ones are constants). */
  readonly metadata: {
    readonly cameraId: string
    readonly temperature: string
    readonly conditions: string
    readonly conditionOptions: readonly { readonly id: string; readonly nameJson: string }[]
  }
}

/** Workflow task names, in ProjectDef.taskIds order. */
export const TASK_NAMES = ['Initial labeling task', 'Initial review task', 'Rework', 'Done'] as const

interface QuestionSpec {
  readonly kind: AnswerKind
  readonly name: string
  readonly options: readonly OptionSpec[]
}
interface OptionSpec {
  readonly name: string
  readonly nested: readonly QuestionSpec[]
}
const radio = (name: string, options: readonly OptionSpec[]): QuestionSpec => ({ kind: 'radio', name, options })
const checklist = (name: string, options: readonly OptionSpec[]): QuestionSpec => ({ kind: 'checklist', name, options })
const text = (name: string): QuestionSpec => ({ kind: 'text', name, options: [] })
const opt = (name: string, nested: readonly QuestionSpec[] = []): OptionSpec => ({ name, nested })
const opts = (...names: string[]): OptionSpec[] => names.map((name) => opt(name))

interface ToolSpec {
  readonly name: string
  readonly kind: string
  readonly geometry: Geometry
  readonly nested: readonly QuestionSpec[]
}

// Names include a '/' and a double quote on purpose: the classifications table joins names with '/', and
// quotes must survive JSON escaping end to end.
const imageTools: readonly ToolSpec[] = [
  {
    name: 'Car',
    kind: 'ImageBoundingBox',
    geometry: 'bbox',
    nested: [
      radio('Occluded', [opt('Yes', [radio('Occlusion level', opts('Partial', 'Heavy'))]), opt('No')]),
      checklist('Attributes', opts('Parked', 'Moving', 'Emergency vehicle')),
      text('Plate number'),
    ],
  },
  { name: 'Pedestrian', kind: 'ImageBoundingBox', geometry: 'bbox', nested: [radio('Pose', opts('Standing', 'Walking', 'Sitting'))] },
  {
    name: 'Traffic sign',
    kind: 'ImageBoundingBox',
    geometry: 'bbox',
    nested: [radio('Sign type', [opt('"STOP" sign'), opt('Yield'), opt('Speed limit', [text('Limit (km/h)')])])],
  },
  { name: 'Road', kind: 'ImagePolygon', geometry: 'polygon', nested: [radio('Surface', opts('Asphalt', 'Gravel', 'Dirt'))] },
  { name: 'Lane marking', kind: 'ImagePolyline', geometry: 'line', nested: [checklist('Marking type', opts('Solid', 'Dashed', 'Double'))] },
  { name: 'Traffic light', kind: 'ImagePoint', geometry: 'point', nested: [radio('State', opts('Red', 'Yellow', 'Green'))] },
  { name: 'Sky', kind: 'ImageSegmentationMask', geometry: 'mask', nested: [] },
]
const imageGlobal: readonly QuestionSpec[] = [
  radio('Weather', [
    opt('Sunny'),
    opt('Cloudy'),
    opt('Rainy', [radio('Intensity', opts('Light', 'Heavy'))]),
    opt('Night', [checklist('Lighting', opts('Street lights', 'Headlights'))]),
  ]),
  checklist('Scene tags', opts('Urban', 'Highway', 'Residential', 'Construction', 'Crosswalk / zebra')),
  text('Notes'),
]

const videoTools: readonly ToolSpec[] = [
  { name: 'Vehicle', kind: 'VideoBoundingBox', geometry: 'bbox', nested: [] },
  { name: 'Person', kind: 'VideoBoundingBox', geometry: 'bbox', nested: [] },
  { name: 'Ball', kind: 'VideoPoint', geometry: 'point', nested: [] },
  { name: 'Lane', kind: 'VideoPolyline', geometry: 'line', nested: [] },
]
const videoGlobal: readonly QuestionSpec[] = [
  radio('Scene', [opt('Day'), opt('Night'), opt('Dusk', [text('Light source')])]),
  checklist('Contains', opts('People', 'Vehicles', 'Animals')),
  text('Summary'),
]

// formats.md and the SDK's expected DICOM export: DICOMPolyline in groups Axial/Sagittal/Coronal; masks are
// an assumption (annotation kind list unconfirmed).
const dicomTools: readonly ToolSpec[] = [
  { name: 'Tumor boundary', kind: 'DICOMPolyline', geometry: 'line', nested: [] },
  { name: 'Vessel centerline', kind: 'DICOMPolyline', geometry: 'line', nested: [] },
  { name: 'Liver', kind: 'DICOMSegmentationMask', geometry: 'mask', nested: [] },
]
const dicomGlobal: readonly QuestionSpec[] = [
  radio('Finding', [opt('Normal'), opt('Abnormal', [text('Description'), checklist('Location', opts('Left lobe', 'Right lobe'))])]),
  checklist('Artifacts', opts('Motion', 'Metal', 'Noise')),
]

const TEXTS = [
  'free form text...',
  'plate partially hidden by a bike rack',
  'Überholverbot sign, partly covered',
  '車両の一部が隠れている',
  'needs a second look 🚗💨',
  'driver said "stop"\nthen drove on',
  'tab\tseparated\tvalues',
  'café at the corner — lights on',
  'ok',
  'Ĳssel bridge, ñ, ø, ß',
]

const DATASETS = {
  image: ['street-scenes-2024', 'Straßenszenen München', 'parking lots (night)'],
  video: ['dashcam clips', 'drone footage – coast', 'warehouse CCTV'],
  dicom: ['CT abdomen', 'MR brain', 'CT chest (low dose)'],
}
const PROJECTS = {
  image: ['Street scenes – detection', 'Street scenes – consensus QA', 'Signs & lights'],
  video: ['Dashcam tracking', 'Drone tracking – consensus'],
  dicom: ['Liver segmentation', 'Vessel tracing'],
}

export function createWorld(seed: number, ids: CuidFactory): World {
  const rng = new Prng(seed ^ 0x5eed)
  const baseMs = Date.UTC(2023, 9, 2, 8, 0, 0) + rng.int(90 * 86_400_000)
  const idAt = () => ids.next(baseMs - rng.int(300 * 86_400_000))
  const ontology = (
    tools: readonly ToolSpec[],
    global: readonly QuestionSpec[],
    frameObject: QuestionSpec,
    frame: QuestionSpec,
  ): MediaOntology => ({
    tools: tools.map((tool) => ({
      geometry: tool.geometry,
      json: `${schemaJson(idAt(), tool.name)},"annotation_kind":${jsonBytes(tool.kind)}`,
      nested: tool.nested.map((q) => buildQuestion(q, idAt)),
    })),
    global: global.map((q) => buildQuestion(q, idAt)),
    frameObjectQuestion: buildQuestion(frameObject, idAt),
    frameQuestion: buildQuestion(frame, idAt),
  })
  const datasets = (names: readonly string[]): DatasetDef[] =>
    names.map((name) => ({ id: idAt(), nameJson: jsonBytes(name), slug: slugOf(name) }))
  const projects = (names: readonly string[]): ProjectDef[] =>
    names.map((name, index) => ({
      id: idAt(),
      nameJson: jsonBytes(name),
      consensus: name.includes('consensus') ? 3 : 1,
      batches: Array.from({ length: 3 }, (_, b) => ({ id: idAt(), name: `batch-${index + 1}-${String(b + 1).padStart(3, '0')}` })),
    }))
  const users = ['ana.silva', 'j.mueller', 'wei.zhang', 'priya.n', 'o.okafor', 'lucia.rossi', 'tom.baker', 'k.tanaka'].map((user) => ({
    id: idAt(),
    email: `${user}@labelers.example.com`,
  }))
  return {
    baseMs,
    image: {
      ontology: ontology(imageTools, imageGlobal, radio('Truncated', opts('Yes', 'No')), radio('Blur', opts('Sharp', 'Blurred'))),
      datasets: datasets(DATASETS.image),
      projects: projects(PROJECTS.image),
    },
    video: {
      ontology: ontology(
        videoTools,
        videoGlobal,
        radio('Visibility', opts('Visible', 'Partly occluded', 'Occluded')),
        radio('Camera motion', opts('Static', 'Panning', 'Zooming')),
      ),
      datasets: datasets(DATASETS.video),
      projects: projects(PROJECTS.video),
    },
    dicom: {
      ontology: ontology(
        dicomTools,
        dicomGlobal,
        radio('Confidence', opts('Certain', 'Probable')),
        radio('Slice quality', opts('Good', 'Artifact')),
      ),
      datasets: datasets(DATASETS.dicom),
      projects: projects(PROJECTS.dicom),
    },
    users,
    relationships: [
      { json: `"name":"Towing","feature_schema_id":"${idAt()}"`, type: 'unidirectional' },
      { json: `"name":"Same object","feature_schema_id":"${idAt()}"`, type: 'bidirectional' },
    ],
    textsJson: TEXTS.map(jsonBytes),
    metadata: {
      cameraId: idAt(),
      temperature: idAt(),
      conditions: idAt(),
      conditionOptions: ['fog', 'glare', 'snow', 'wet road'].map((name) => ({ id: idAt(), nameJson: jsonBytes(name) })),
    },
  }
}

function buildQuestion(spec: QuestionSpec, idAt: () => string): QuestionDef {
  return {
    kind: spec.kind,
    json: schemaJson(idAt(), spec.name),
    options: spec.options.map((option) => ({
      json: schemaJson(idAt(), option.name),
      nested: option.nested.map((q) => buildQuestion(q, idAt)),
    })),
  }
}

function schemaJson(schemaId: string, name: string): string {
  return `"feature_schema_id":"${schemaId}","name":${jsonBytes(name)},"value":${jsonBytes(optionValue(name))}`
}

function optionValue(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}

function slugOf(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

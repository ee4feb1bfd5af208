//   V1LabelGroup (every label of one data row, grouped by the source: groupV1Labels in @labelpipe/sources)
//     ├─ data row fields of the first label ──── data_row, media_attributes, metadata_fields
//     └─ each label, under projects{<project key>}.labels[]:
//          v1-media ─ decides the media; v1-annotations ─ objects, classifications, relationships;
//          v1-video ─ frames, segments, key_frame_feature_map from the frames list
// Pure and synchronous like every stage here: grouping (temp files) and fetching frames (files, HTTP) are
// I/O and happen in the source package before this stage.
import type { Position, V1Label, V1LabelContent, V1LabelGroup, V2DataRow, V2Label } from '@labelpipe/core'
import { InvalidOptionError } from '@labelpipe/core'
import { countKey } from './flatten-stats.js'
import { v1ClassificationsToV2, v1ObjectToV2 } from './v1-annotations.js'
import { decideMedia } from './v1-media.js'
import { type V1ConvertStats, V1Counters } from './v1-stats.js'
import { v1FramesToV2 } from './v1-video.js'

/** The project id v2 keys a label under, from the label's `Project Name`; undefined: fall back to the name. */
export type ProjectIdOf = (projectName: string | null) => string | undefined

export interface V1ToV2Options {
  /**
   * The project id to key `projects` with (labels.project_id, project_data_rows.project_id): one id for every
   * label (a v1 export is one project's), or a function from the label's `Project Name`. v1 has no project
   * id (formats.md). Default, and whenever the function returns undefined: the project name itself, so the
   * merge unit is (project_name, data_row_id) as schema.md says it falls back to; the project_id columns then
   * hold the name (a label without a name: the empty string). Pass the id when you know it (CLI `--project-id`).
   */
  readonly projectId?: string | ProjectIdOf | undefined
}

/** A RecordStage from one data row's v1 labels to its v2 data row, with the counts of what it converted. */
export interface V1ToV2Converter {
  (group: V1LabelGroup, at: Position): Iterable<V2DataRow>
  readonly stats: V1ConvertStats
}

// v1 label keys read into v2 fields (formats.md "v1 -> v2 mapping"); any other key is counted as unmapped.
const mappedLabelKeys: ReadonlySet<string> = new Set([
  'ID',
  'DataRow ID',
  'Labeled Data',
  'External ID',
  'Global Key',
  'Dataset Name',
  'Project Name',
  'DataRow Metadata',
  'Media Attributes',
  'Label',
  'Created By',
  'Created At',
  'Updated At',
  'Seconds to Label',
  'Agreement',
  'Benchmark Agreement',
  'Reviews',
  'Has Open Issues',
  'Skipped',
  'media_type',
])

/**
 * Converts label-centric Export v1 to data-row-centric Export v2: each group of labels sharing a
 * `DataRow ID` becomes one v2 data row holding all of them, valid against core's `v2DataRow` schema, for
 * flattenDataRows (with `source: 'v1'`) as if it had been read from a v2 export. The mapping is formats.md's
 * table; the decisions where it is silent or "unconfirmed" are at the code and in the transforms README.
 */
export function v1LabelsToDataRows(options: V1ToV2Options = {}): V1ToV2Converter {
  const projectKey = projectKeyOf(options)
  const stats = new V1Counters()
  const convert = (group: V1LabelGroup, _at: Position): V2DataRow[] => {
    const first = group.labels[0]
    if (first === undefined) return []
    stats.dataRows++
    // A Map, not an object: a project named `constructor` or `toString` must not find Object.prototype's.
    const projects = new Map<string, { name: string | null; labels: V2Label[] }>()
    for (const label of group.labels) {
      const name = label['Project Name'] ?? null
      const key = projectKey(name)
      let project = projects.get(key)
      if (project === undefined) projects.set(key, (project = { name, labels: [] }))
      project.labels.push(v1LabelToV2(label, stats))
    }
    const datasetName = first['Dataset Name']
    const record: Record<string, unknown> = {
      data_row: {
        id: group.dataRowId,
        global_key: first['Global Key'] ?? null,
        external_id: first['External ID'] ?? null,
        row_data: first['Labeled Data'] ?? null,
        // v1 carries only the dataset's name of everything in v2's `details`.
        ...(datasetName == null ? {} : { details: { dataset_name: datasetName } }),
      },
    }
    const attributes = first['Media Attributes']
    if (attributes != null) record.media_attributes = snakeCaseKeys(attributes)
    const metadata = first['DataRow Metadata']
    // Decision (formats.md gives no shape): metadata entries are the SDK's fields with camelCase keys
    // (schemaId, schemaName, value, valueName); keys are snake-cased, values kept.
    if (metadata != null) record.metadata_fields = metadata.map(snakeCaseKeys)
    record.projects = Object.fromEntries(projects)
    return [record as V2DataRow]
  }
  return Object.assign(convert, { stats: stats as V1ConvertStats })
}

function v1LabelToV2(label: V1Label, stats: V1Counters): V2Label {
  stats.labels++
  for (const key in label) if (!mappedLabelKeys.has(key)) countKey(stats.unmappedLabelKeys, key)
  const { media, unknownType } = decideMedia(label)
  if (unknownType !== null) countKey(stats.unknownMediaTypes, unknownType)
  else countKey(stats.labelsByMedia, media)
  const openIssues = label['Has Open Issues']
  return {
    id: label.ID,
    label_details: {
      created_at: label['Created At'] ?? null,
      updated_at: label['Updated At'] ?? null,
      created_by: label['Created By'] ?? null,
      // Decision (shape unconfirmed): review keys are snake-cased (createdAt -> created_at), values kept.
      reviews: (label.Reviews ?? []).map(snakeCaseKeys),
    },
    performance_details: {
      // formats.md: v1's one number maps to seconds_to_create (unconfirmed).
      seconds_to_create: label['Seconds to Label'] ?? null,
      skipped: label.Skipped ?? null,
      // -1 means "none" in v1 (formats.md) for both scores.
      consensus_score: noneIfMinusOne(label.Agreement),
      benchmark_score: noneIfMinusOne(label['Benchmark Agreement']),
      ...(openIssues === undefined ? {} : { has_open_issues: openIssues }),
    },
    annotations: media === 'video' ? videoAnnotations(label, stats) : flatAnnotations(label.Label as V1LabelContent, media, stats),
  } as V2Label
}

function flatAnnotations(content: V1LabelContent, media: ReturnType<typeof decideMedia>['media'], stats: V1Counters) {
  return {
    objects: (content.objects ?? []).map((object) => v1ObjectToV2(object, media, stats)),
    classifications: v1ClassificationsToV2(content.classifications, stats),
    // Decision (shape unconfirmed in both formats): relationship keys renamed like objects' (featureId ->
    // feature_id, schemaId -> feature_schema_id, title -> name), the rest (source, target, type) as is.
    relationships: (content.relationships ?? []).map(renameFeatureKeys),
  }
}

function videoAnnotations(label: V1Label, stats: V1Counters) {
  const content = label.Label
  // video_export.json: `Label` is the list of frames; otherwise `Label.frames`, a list once resolved.
  const frames = Array.isArray(content) ? content : (content as V1LabelContent).frames
  const classifications = Array.isArray(content) ? [] : v1ClassificationsToV2((content as V1LabelContent).classifications, stats)
  if (typeof frames === 'string') stats.videoLabelsWithoutFrames++
  const video = v1FramesToV2(Array.isArray(frames) ? frames : [], stats)
  // Decision: `classifications` beside `frames` in a raw video label are whole-video (global) ones.
  return { ...video, classifications }
}

function noneIfMinusOne(value: number | null | undefined): number | null {
  return value == null || value === -1 ? null : value
}

const featureKeys: Readonly<Record<string, string>> = { featureId: 'feature_id', schemaId: 'feature_schema_id', title: 'name' }

// Both renames build their output with Object.fromEntries, which defines own properties: an assignment `out[key]`
// would set the prototype for a key `__proto__` (snakeCaseKeys makes one of `_Proto__`), and `featureKeys[key]`
// would read Object.prototype's `constructor` for a key `constructor`.
function renameFeatureKeys(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [Object.hasOwn(featureKeys, key) ? featureKeys[key] : key, value]))
}

/** `Media Attributes` have camelCase keys, v2's `media_attributes` snake_case (formats.md mapping table). */
function snakeCaseKeys(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(entry).map(([key, value]) => [key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value]),
  )
}

function projectKeyOf(options: V1ToV2Options): (projectName: string | null) => string {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'must be an object')
  const { projectId } = options
  if (projectId === undefined) return (name) => name ?? ''
  if (typeof projectId === 'string') {
    if (projectId === '') throw new InvalidOptionError('projectId', 'must be a non-empty string or a function')
    return () => projectId
  }
  if (typeof projectId !== 'function') throw new InvalidOptionError('projectId', 'must be a non-empty string or a function')
  return (name) => projectId(name) ?? name ?? ''
}

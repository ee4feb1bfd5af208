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
import { type DecidedMedia, decideMedia } from './v1-media.js'
import { type V1ConvertStats, V1Counters } from './v1-stats.js'
import { v1FramesToV2 } from './v1-video.js'

/** The project id v2 keys a label under, from the label's `Project Name`; undefined: fall back to the name. */
export type ProjectIdOf = (projectName: string | null) => string | undefined

export interface V1ToV2Options {
  /**
   * The project id to key `projects` with (labels.project_id, project_data_rows.project_id): one id for every
   * label (a v1 export is one project's), or a function from the label's `Project Name`. formats.md says v1 has
   * no project id, but every label's `View Label` URL names it (`https://editor.labelbox.com?project=<id>&label=
   * <id>`, all seven fixtures): without this option, and whenever the function returns undefined, that id is
   * used, so a v1 load and a v2 load of the same label meet in one merge unit. A label with no such URL takes
   * the id another label of its project name gave (ProjectKeys below); with none known it falls back to its
   * project name, making the merge unit (project_name, data_row_id) as schema.md says; the project_id columns
   * then hold the name (no name: the empty string). The id column is NOT NULL in project_data_rows, so "null"
   * (schema.md) is not an option there.
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
  'View Label',
])

/**
 * Converts label-centric Export v1 to data-row-centric Export v2: each group of labels sharing a
 * `DataRow ID` becomes one v2 data row holding all of them, valid against core's `v2DataRow` schema, for
 * flattenDataRows (with `source: 'v1'`) as if it had been read from a v2 export. The mapping is formats.md's
 * table; the decisions where it is silent or "unconfirmed" are at the code and in the transforms README.
 */
export function v1LabelsToDataRows(options: V1ToV2Options = {}): V1ToV2Converter {
  const projectKeys = new ProjectKeys(options)
  const stats = new V1Counters()
  const convert = (group: V1LabelGroup, _at: Position): V2DataRow[] => {
    const first = group.labels[0]
    if (first === undefined) return []
    stats.dataRows++
    // A Map, not an object: a project named `constructor` or `toString` must not find Object.prototype's.
    const projects = new Map<string, { name: string | null; labels: V2Label[] }>()
    const keys = projectKeys.of(group.labels)
    let firstMedia: DecidedMedia['media'] = 'unknown'
    for (let i = 0; i < group.labels.length; i++) {
      const label = group.labels[i] as V1Label
      const name = label['Project Name'] ?? null
      const key = keys[i] as string
      let project = projects.get(key)
      if (project === undefined) projects.set(key, (project = { name, labels: [] }))
      const decided = decideMedia(label)
      if (i === 0) firstMedia = decided.media
      project.labels.push(v1LabelToV2(label, decided, stats))
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
    const attributes = withAssetType(first['Media Attributes'], first.media_type, firstMedia)
    if (attributes != null) record.media_attributes = attributes
    const metadata = first['DataRow Metadata']
    // Decision (formats.md gives no shape): metadata entries are the SDK's fields with camelCase keys
    // (schemaId, schemaName, value, valueName); keys are snake-cased, values kept.
    if (metadata != null) record.metadata_fields = metadata.map(snakeCaseKeys)
    record.projects = Object.fromEntries(projects)
    return [record as V2DataRow]
  }
  return Object.assign(convert, { stats: stats as V1ConvertStats })
}

function v1LabelToV2(label: V1Label, { media, unknownType }: DecidedMedia, stats: V1Counters): V2Label {
  stats.labels++
  for (const key in label) if (!mappedLabelKeys.has(key)) countKey(stats.unmappedLabelKeys, key)
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
      reviews: (label.Reviews ?? []).map(v1ReviewToV2),
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

/**
 * Decision: v1 reviews are thumbs up or down, a `score` (the SDK's Review: a float, NetScore Negative / Zero /
 * Positive), where v2 writes the verdict as `action` ("Approve" / "Reject", sample-v2.ndjson). A positive score
 * is Approve, a negative one Reject; zero or none leaves action null. The score itself stays in `raw`.
 */
function v1ReviewToV2(review: Record<string, unknown>): Record<string, unknown> {
  const v2 = snakeCaseKeys(review)
  const score = review.score
  if (v2.action === undefined && typeof score === 'number' && score !== 0) v2.action = score > 0 ? 'Approve' : 'Reject'
  return v2
}

/**
 * Decision: data_rows.media_type comes from v2's `media_attributes.asset_type` (data-row-rows.ts), which v1's
 * `Media Attributes` rarely hold (none of the fixtures do). When they name neither an asset type nor a MIME
 * type, the type the label states (`media_type`, unkown_media_type_export.json) or the one labelpipe decided
 * for it (v1-media.ts: image, video, text, document, geospatial) becomes `asset_type`, so the column is filled
 * for v1 rows too. A label of undecided media adds nothing.
 */
function withAssetType(
  attributes: Record<string, unknown> | null | undefined,
  stated: string | null | undefined,
  media: DecidedMedia['media'],
): Record<string, unknown> | null {
  const v2 = attributes == null ? null : snakeCaseKeys(attributes)
  if (v2?.asset_type != null || v2?.mime_type != null) return v2
  const assetType = stated != null && stated !== '' ? stated : media === 'unknown' ? null : media
  return assetType === null ? v2 : { ...v2, asset_type: assetType }
}

/** The `project` query parameter of a label's `View Label` URL, or undefined when it has none (or no URL). */
function viewLabelProjectId(label: V1Label): string | undefined {
  const url = label['View Label']
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined
  const id = new URL(url).searchParams.get('project')
  // Labelbox ids are cuids; anything else in the parameter is not an id to key rows with.
  return id !== null && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined
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

/**
 * The `projects` key of each label of a data row. Decision (review item 4): the key comes from the caller's
 * `projectId`, else the label's `View Label` URL, else an id learned from another label of the same
 * `Project Name`, else the name. Choosing it per label alone made one project two merge units (and two
 * partitions) when only some of its labels carried the URL. So a label without a URL takes the id a label of
 * its project name in the same data row gave; failing that, the id one gave earlier in the export (a map from
 * name to id, one entry per project name, so bounded by the number of projects). A name seen with two ids
 * (Labelbox does not make names unique) names no id: its labels without a URL keep the name.
 * Residual: groups arrive sorted by data row id (groupV1Labels), so a label without a URL whose group comes
 * before any group holding a URL of its project keeps the name, while later ones take the id; one pass cannot
 * know what a later label will say.
 */
class ProjectKeys {
  readonly #given: string | ProjectIdOf | undefined
  /** Project name -> the id its labels' URLs gave so far in the export; null: two different ids. */
  readonly #learned = new Map<string, string | null>()
  /** The same, for the data row being keyed (cleared per group). */
  readonly #inGroup = new Map<string, string | null>()

  constructor(options: V1ToV2Options) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'must be an object')
    const { projectId } = options
    if (projectId === '' || (projectId !== undefined && typeof projectId !== 'string' && typeof projectId !== 'function')) {
      throw new InvalidOptionError('projectId', 'must be a non-empty string or a function')
    }
    this.#given = projectId
  }

  /** The key of each of one data row's labels, in order. */
  of(labels: readonly V1Label[]): string[] {
    const given = this.#given
    if (typeof given === 'string') return labels.map(() => given)
    const urlIds = labels.map(viewLabelProjectId)
    this.#inGroup.clear()
    for (let i = 0; i < labels.length; i++) {
      const name = labels[i]?.['Project Name']
      const id = urlIds[i]
      if (name == null || id === undefined) continue
      learn(this.#inGroup, name, id)
      learn(this.#learned, name, id)
    }
    return labels.map((label, i) => {
      const name = label['Project Name'] ?? null
      return (typeof given === 'function' ? given(name) : undefined) ?? urlIds[i] ?? this.#idOfName(name) ?? name ?? ''
    })
  }

  #idOfName(name: string | null): string | undefined {
    if (name === null) return undefined
    const inGroup = this.#inGroup.get(name)
    if (inGroup !== undefined) return inGroup ?? undefined
    return this.#learned.get(name) ?? undefined
  }
}

function learn(ids: Map<string, string | null>, name: string, id: string): void {
  const known = ids.get(name)
  if (known === undefined) ids.set(name, id)
  else if (known !== id) ids.set(name, null)
}

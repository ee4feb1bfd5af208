// The inverse of formats.md's "v1 -> v2 mapping", for the v1 generator: one generated v2 data row becomes
// its v1 labels, so v1 -> v2 -> tables can be compared with the v2 export's own tables. Only fields v1 has
// are written (no dataset id, data row dates, attachments, project details, label kind or version).

type Json = Record<string, unknown>

/** One v1 label (as an object to JSON.stringify) and, for video, its frames NDJSON lines. */
export interface V1LabelOut {
  readonly label: Json
  readonly frames: readonly Json[] | undefined
  readonly projectName: string
  readonly projectId: string
}

const camelCase = (key: string): string => key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())

function camelKeys(entry: Json): Json {
  const out: Json = {}
  for (const key in entry) out[camelCase(key)] = entry[key]
  return out
}

export function v2DataRowToV1Labels(row: Json): V1LabelOut[] {
  const dataRow = row.data_row as Json
  const details = (dataRow.details ?? {}) as Json
  const media = (row.media_attributes ?? null) as Json | null
  const out: V1LabelOut[] = []
  const projects = (row.projects ?? {}) as Record<string, Json>
  for (const projectId in projects) {
    const project = projects[projectId] as Json
    for (const label of (project.labels ?? []) as Json[]) {
      const labelDetails = (label.label_details ?? {}) as Json
      const performance = (label.performance_details ?? {}) as Json
      const annotations = (label.annotations ?? {}) as Json
      const video = annotations.frames !== undefined
      const v1: Json = {
        ID: label.id,
        'DataRow ID': dataRow.id,
        'Labeled Data': dataRow.row_data,
        'External ID': dataRow.external_id ?? null,
        'Global Key': dataRow.global_key ?? null,
        'Dataset Name': details.dataset_name ?? null,
        'Project Name': project.name,
        'DataRow Metadata': ((row.metadata_fields ?? []) as Json[]).map(camelKeys),
        ...(media === null ? {} : { 'Media Attributes': camelKeys(media) }),
        Label: video
          ? { frames: `https://api.labelbox.com/v1/frames/${label.id}`, classifications: classifications(annotations.classifications) }
          : {
              objects: ((annotations.objects ?? []) as Json[]).map((object) => v1Object(object)),
              classifications: classifications(annotations.classifications),
              relationships: ((annotations.relationships ?? []) as Json[]).map(featureKeys),
            },
        'Created By': labelDetails.created_by ?? null,
        'Created At': labelDetails.created_at ?? null,
        'Updated At': labelDetails.updated_at ?? null,
        'Seconds to Label': performance.seconds_to_create ?? null,
        Agreement: performance.consensus_score ?? -1,
        'Benchmark Agreement': performance.benchmark_score ?? -1,
        Reviews: ((labelDetails.reviews ?? []) as Json[]).map(camelKeys),
        Skipped: performance.skipped ?? false,
      }
      out.push({
        label: v1,
        frames: video ? v1Frames(annotations) : undefined,
        projectName: project.name as string,
        projectId,
      })
    }
  }
  return out
}

const v1FeatureKey: Readonly<Record<string, string>> = { feature_id: 'featureId', feature_schema_id: 'schemaId', name: 'title' }

function featureKeys(entry: Json): Json {
  const out: Json = {}
  for (const key in entry) out[v1FeatureKey[key] ?? key] = entry[key]
  return out
}

function v1Object(object: Json, keyframe?: boolean): Json {
  const out: Json = { featureId: object.feature_id, schemaId: object.feature_schema_id, title: object.name, value: object.value }
  if (keyframe !== undefined) out.keyframe = keyframe
  out.classifications = classifications(object.classifications)
  if (object.bounding_box !== undefined) out.bbox = object.bounding_box
  if (object.polygon !== undefined) out.polygon = object.polygon
  if (object.line !== undefined) out.line = object.line
  if (object.point !== undefined) out.point = object.point
  if (object.mask !== undefined) out.instanceURI = (object.mask as Json).url
  return out
}

function classifications(list: unknown): Json[] {
  return ((list ?? []) as Json[]).map((classification) => {
    const out: Json = {
      featureId: classification.feature_id,
      schemaId: classification.feature_schema_id,
      title: classification.name,
      value: classification.value,
    }
    if (classification.radio_answer != null) out.answer = answer(classification.radio_answer as Json)
    if (classification.checklist_answers != null) out.answers = (classification.checklist_answers as Json[]).map(answer)
    if (classification.text_answer != null) out.answer = (classification.text_answer as Json).content
    return out
  })
}

function answer(option: Json): Json {
  return {
    featureId: option.feature_id,
    schemaId: option.feature_schema_id,
    title: option.name,
    value: option.value,
    classifications: classifications(option.classifications),
  }
}

/** v2 frames -> one v1 frame line per frame; `keyframe` is the key_frame_feature_map's true entries. */
function v1Frames(annotations: Json): Json[] {
  const frames = (annotations.frames ?? {}) as Record<string, Json>
  const keyFrames = (annotations.key_frame_feature_map ?? {}) as Record<string, Record<string, boolean>>
  const out: Json[] = []
  for (const key of Object.keys(frames).sort((a, b) => Number(a) - Number(b))) {
    const frame = frames[key] as Json
    const objects = Object.values((frame.objects ?? {}) as Record<string, Json>).map((object) =>
      v1Object(object, keyFrames[object.feature_id as string]?.[key] === true),
    )
    out.push({ frameNumber: Number(key), objects, classifications: classifications(frame.classifications) })
  }
  return out
}

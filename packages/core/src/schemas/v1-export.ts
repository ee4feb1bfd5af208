import { z } from 'zod'
import { boundingBox, optionalNumber, optionalString, point, timestamp } from './export-primitives.js'

// Export v1 as described in docs/formats.md ("Export v1 — label-centric JSON array", "v1 video frames
// NDJSON") and seen in the real samples of ../shared/fixtures/labelbox/v1. Every object is a looseObject:
// v1 keys labelpipe does not map are kept and counted by v1LabelsToDataRows, never a failure. Known fields
// are type-checked because v2 fields (and then typed columns) are filled from them. Optional fields also
// accept null: v1 writes `"External ID": null` as often as it omits a key.

// The recursive trio is typed by hand, as v2-export.ts does and for the same reason (TS2589 when inferred).
interface V1FeatureFields {
  readonly featureId?: string | null | undefined
  readonly schemaId?: string | null | undefined
  readonly title?: string | null | undefined
  readonly value?: string | null | undefined
  readonly [key: string]: unknown
}

/** An option chosen in a radio or checklist question; may nest further questions (highly_nested_image.json). */
export interface V1Answer extends V1FeatureFields {
  readonly classifications?: readonly V1ClassificationItem[] | null | undefined
}

/**
 * A v1 classification: `answer` is free text (a string), a radio option (an object) or, in
 * highly_nested_image.json, a list of options; `answers` is a checklist's list of options.
 */
export interface V1Classification extends V1FeatureFields {
  readonly answer?: string | V1Answer | readonly V1Answer[] | null | undefined
  readonly answers?: readonly V1Answer[] | null | undefined
}

/** highly_nested_image.json nests an object's classifications one list deeper (`[[{…}, {…}]]`): both forms are accepted. */
export type V1ClassificationItem = V1Classification | readonly V1Classification[]

export const v1Answer: z.ZodType<V1Answer> = z.looseObject({
  featureId: optionalString,
  schemaId: optionalString,
  title: optionalString,
  value: optionalString,
  get classifications() {
    return z.array(v1ClassificationItem).nullish()
  },
})

export const v1Classification: z.ZodType<V1Classification> = z.looseObject({
  featureId: optionalString,
  schemaId: optionalString,
  title: optionalString,
  value: optionalString,
  answer: z.union([z.string(), v1Answer, z.array(v1Answer)]).nullish(),
  answers: z.array(v1Answer).nullish(),
})

const v1ClassificationItem: z.ZodType<V1ClassificationItem> = z.union([v1Classification, z.array(v1Classification)])

/**
 * An object (a feature instance) of a label, or of one video frame. One geometry: bbox, polygon, line,
 * point, a mask through `instanceURI` alone, `data.location` on text, bbox + `page` + `unit` on documents,
 * `type` + `geometry.coordinates` on tiled imagery (tiled_image_export.json); `keyframe` on video frames.
 */
const v1ObjectShape = z.looseObject({
  featureId: z.string(),
  schemaId: optionalString,
  title: optionalString,
  value: optionalString,
  color: optionalString,
  instanceURI: optionalString,
  keyframe: z.boolean().nullish(),
  bbox: boundingBox.nullish(),
  polygon: z.array(point).nullish(),
  line: z.array(point).nullish(),
  point: point.nullish(),
  data: z.looseObject({ location: z.looseObject({ start: z.number().int(), end: z.number().int() }).nullish() }).nullish(),
  page: z.number().int().nullish(),
  unit: optionalString,
  type: optionalString,
  geometry: z.looseObject({ coordinates: z.array(z.unknown()) }).nullish(),
  classifications: z.array(v1ClassificationItem).nullish(),
})

/** One line of a v1 video frames NDJSON file: a labeled frame (formats.md "v1 video frames NDJSON"). */
const v1FrameShape = z.looseObject({
  frameNumber: z.number().int().nonnegative(),
  objects: z.array(v1ObjectShape).nullish(),
  classifications: z.array(v1Classification).nullish(),
})

// The keys below reach typed v2 fields, and then typed columns, unchanged: v1LabelsToDataRows snake-cases the
// keys of reviews, media attributes and metadata entries (createdAt -> created_at), renames a relationship's
// like an object's, and copies the values. A wrong-typed value must fail here, where the error names the file,
// line and v1 field and can be dead-lettered, not later as a TypeError in the flattener or a column error in the
// sink. Every spelling that becomes a typed v2 key is typed (`createdAt` and `created_at` both become
// `created_at`); any other key stays loose and goes to the json columns as before. The real v1 samples have
// only empty lists and `{}` here, so the types are the v2 fields' (v2-export.ts) and the SDK's LBV1 models'.

/** A relationship, renamed like an object (featureId -> feature_id, schemaId -> feature_schema_id, title -> name). */
const v1Relationship = z.looseObject({
  featureId: optionalString,
  feature_id: optionalString,
  schemaId: optionalString,
  feature_schema_id: optionalString,
  title: optionalString,
  name: optionalString,
  source: optionalString,
  target: optionalString,
  type: optionalString,
})

/**
 * A review: the SDK's LBV1 `Review` is `{score, id, createdAt, createdBy, labelId}` (score a float). Fills
 * label_reviews: id -> review_id, createdBy -> reviewed_by, createdAt -> reviewed_at (timestamptz), score the verdict.
 */
const v1Review = z.looseObject({
  id: optionalString,
  score: optionalNumber,
  createdAt: timestamp,
  created_at: timestamp,
  createdBy: optionalString,
  created_by: optionalString,
  action: optionalString,
})

/** `Media Attributes` (camelCase, formats.md's mapping table): the keys data_rows has typed columns for. */
const v1MediaAttributes = z.looseObject({
  mimeType: optionalString,
  mime_type: optionalString,
  assetType: optionalString,
  asset_type: optionalString,
  width: optionalNumber,
  height: optionalNumber,
  frameRate: optionalNumber,
  frame_rate: optionalNumber,
  frameCount: optionalNumber,
  frame_count: optionalNumber,
})

/** A `DataRow Metadata` entry: schema id and name fill data_row_metadata columns; `value` takes any type (metadata-rows.ts). */
const v1MetadataField = z.looseObject({
  schemaId: optionalString,
  schema_id: optionalString,
  schemaName: optionalString,
  schema_name: optionalString,
})

/**
 * `Label` of a non-video label ({objects, classifications, relationships}), or of a raw video label:
 * `{frames: "<URL>"}`, whose frames a FramesResolver fetches and puts back as `frames: [...]`.
 */
const v1LabelContentShape = z.looseObject({
  objects: z.array(v1ObjectShape).nullish(),
  classifications: z.array(v1Classification).nullish(),
  relationships: z.array(v1Relationship).nullish(),
  frames: z.union([z.string(), z.array(v1FrameShape)]).nullish(),
})

const v1LabelShape = z.looseObject({
  ID: z.string(),
  'DataRow ID': z.string(),
  'Labeled Data': optionalString,
  'External ID': optionalString,
  'Global Key': optionalString,
  'Dataset Name': optionalString,
  'Project Name': optionalString,
  'DataRow Metadata': z.array(v1MetadataField).nullish(),
  'Media Attributes': v1MediaAttributes.nullish(),
  // video_export.json: the frames list inlined into `Label` by the tool that fetched it.
  Label: z.union([v1LabelContentShape, z.array(v1FrameShape)]),
  'Created By': optionalString,
  'Created At': timestamp,
  'Updated At': timestamp,
  'Seconds to Label': optionalNumber,
  Agreement: optionalNumber,
  'Benchmark Agreement': optionalNumber,
  Reviews: z.array(v1Review).nullish(),
  'Has Open Issues': z.union([z.number(), z.boolean()]).nullish(),
  Skipped: z.boolean().nullish(),
  // unkown_media_type_export.json: one label carries the data row's media type in this key.
  media_type: optionalString,
})

/** One Export v1 element: a label, with its data row's fields repeated (formats.md "Export v1"). */
export interface V1Label extends z.infer<typeof v1LabelShape> {}
export const v1Label: z.ZodType<V1Label> = v1LabelShape
/** A label's `Label` when it is an object (everything but the inlined video form). */
export interface V1LabelContent extends z.infer<typeof v1LabelContentShape> {}
export const v1LabelContent: z.ZodType<V1LabelContent> = v1LabelContentShape
export interface V1Object extends z.infer<typeof v1ObjectShape> {}
export const v1Object: z.ZodType<V1Object> = v1ObjectShape
export interface V1Frame extends z.infer<typeof v1FrameShape> {}
export const v1Frame: z.ZodType<V1Frame> = v1FrameShape

/**
 * Every label of one data row, in array order: the unit v1LabelsToDataRows turns into one v2 data row
 * (formats.md: "Several v1 labels with one DataRow ID become one v2 line with all their labels").
 */
export interface V1LabelGroup {
  readonly dataRowId: string
  readonly labels: readonly V1Label[]
}

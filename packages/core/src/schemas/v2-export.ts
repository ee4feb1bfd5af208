import { z } from 'zod'
import { boundingBox, optionalNumber, optionalString, point, timestamp } from './export-primitives.js'

// Export v2 as described in docs/formats.md ("Export v2 — data-row-centric NDJSON"). Every object is a
// looseObject: fields labelpipe does not know are kept, so they reach the json columns instead of failing
// the run. Known fields are checked for their type, because typed columns are filled from them.
// Optional fields also accept null: exports write `"global_key": null` as often as they omit the key.

// The recursive pair is typed by hand, as zod's docs advise for recursion: inferred through getters, the
// type is re-expanded at every use in other packages until TypeScript gives up ("excessively deep").
interface V2AnswerFields {
  readonly feature_id?: string | null | undefined
  readonly feature_schema_id?: string | null | undefined
  readonly name?: string | null | undefined
  readonly value?: string | null | undefined
  readonly [key: string]: unknown
}

/** An answer to a radio or checklist question; may nest further questions (formats.md: "Nesting is recursive"). */
export interface V2ClassificationAnswer extends V2AnswerFields {
  readonly classifications?: readonly V2Classification[] | null | undefined
}

/** A classification: exactly one of radio_answer, checklist_answers, text_answer (the flattener counts the odd ones). */
export interface V2Classification extends V2AnswerFields {
  readonly radio_answer?: V2ClassificationAnswer | null | undefined
  readonly checklist_answers?: readonly V2ClassificationAnswer[] | null | undefined
  readonly text_answer?: { readonly content?: string | null | undefined; readonly [key: string]: unknown } | null | undefined
}

export const v2ClassificationAnswer: z.ZodType<V2ClassificationAnswer> = z.looseObject({
  feature_id: optionalString,
  feature_schema_id: optionalString,
  name: optionalString,
  value: optionalString,
  get classifications() {
    return z.array(v2Classification).nullish()
  },
})

export const v2Classification: z.ZodType<V2Classification> = z.looseObject({
  feature_id: optionalString,
  feature_schema_id: optionalString,
  name: optionalString,
  value: optionalString,
  radio_answer: v2ClassificationAnswer.nullish(),
  checklist_answers: z.array(v2ClassificationAnswer).nullish(),
  text_answer: z.looseObject({ content: z.string().nullish() }).nullish(),
})

/** An object annotation on non-frame media, or one object within a video/DICOM frame. */
const v2ObjectShape = z.looseObject({
  feature_id: z.string(),
  feature_schema_id: optionalString,
  name: optionalString,
  value: optionalString,
  annotation_kind: optionalString,
  classifications: z.array(v2Classification).nullish(),
  bounding_box: boundingBox.nullish(),
  point: point.nullish(),
  polygon: z.array(point).nullish(),
  line: z.array(point).nullish(),
  mask: z.looseObject({ url: z.string().nullish() }).nullish(),
  // Text entities have start/end; the SDK's DocumentEntityToken writes location{groups[...]} instead.
  location: z.looseObject({ start: z.number().int().nullish(), end: z.number().int().nullish() }).nullish(),
  conversational_location: z.looseObject({ message_id: optionalString }).nullish(),
  page_number: z.number().int().nullish(),
})

/** formats.md marks the relationship shape unconfirmed; we require nothing and read source/target/type when present. */
const v2RelationshipShape = z.looseObject({
  name: optionalString,
  feature_id: optionalString,
  feature_schema_id: optionalString,
  source: optionalString,
  target: optionalString,
  type: optionalString,
})

/** One frame of a video (or of a DICOM group): objects keyed by feature id, plus frame classifications. */
const v2FrameShape = z.looseObject({
  objects: z.record(z.string(), v2ObjectShape).nullish(),
  classifications: z.array(v2Classification).nullish(),
})

const frameRanges = z.array(z.tuple([z.number().int(), z.number().int()]))
// formats.md: the SDK fixture has a map frame -> bool, tools have also written a list of frame numbers: accept both.
const keyFrames = z.union([z.record(z.string(), z.boolean()), z.array(z.number().int())])

export const v2DicomGroup = z.looseObject({
  name: optionalString,
  classifications: z.array(v2Classification).nullish(),
  frames: z.record(z.string(), v2FrameShape).nullish(),
})

/**
 * A label's annotations. Non-frame media fill objects/classifications/relationships; video fills
 * frames/segments/key_frame_feature_map; DICOM adds groups and nests segments and key frames by group.
 */
const v2AnnotationsShape = z.looseObject({
  objects: z.array(v2ObjectShape).nullish(),
  classifications: z.array(v2Classification).nullish(),
  relationships: z.array(v2RelationshipShape).nullish(),
  frames: z.record(z.string(), v2FrameShape).nullish(),
  groups: z.record(z.string(), v2DicomGroup).nullish(),
  segments: z.record(z.string(), z.union([frameRanges, z.record(z.string(), frameRanges)])).nullish(),
  key_frame_feature_map: z.record(z.string(), z.union([keyFrames, z.record(z.string(), keyFrames)])).nullish(),
})

const v2Review = z.looseObject({
  id: optionalString,
  created_at: timestamp,
  created_by: optionalString,
  action: optionalString,
})

const v2LabelShape = z.looseObject({
  id: z.string(),
  label_kind: optionalString,
  version: z.union([z.string(), z.number()]).nullish(),
  label_details: z
    .looseObject({
      created_at: timestamp,
      updated_at: timestamp,
      created_by: optionalString,
      content_last_updated_at: timestamp,
      reviews: z.array(v2Review).nullish(),
    })
    .nullish(),
  performance_details: z
    .looseObject({
      seconds_to_create: optionalNumber,
      seconds_to_review: optionalNumber,
      seconds_to_label: optionalNumber,
      skipped: z.boolean().nullish(),
      consensus_score: optionalNumber,
      benchmark_score: optionalNumber,
      has_open_issues: z.union([z.boolean(), z.number()]).nullish(),
    })
    .nullish(),
  annotations: v2AnnotationsShape.nullish(),
})

const v2WorkflowHistoryEntry = z.looseObject({
  action: optionalString,
  created_at: timestamp,
  created_by: z.union([z.string(), z.looseObject({ email: optionalString, id: optionalString })]).nullish(),
  previous_task_name: optionalString,
  next_task_name: optionalString,
})

const v2ProjectShape = z.looseObject({
  name: optionalString,
  labels: z.array(v2LabelShape).nullish(),
  project_details: z
    .looseObject({
      batch_id: optionalString,
      batch_name: optionalString,
      priority: z.number().int().nullish(),
      workflow_status: optionalString,
      task_name: optionalString,
      consensus_expected_label_count: z.number().int().nullish(),
      workflow_history: z.array(v2WorkflowHistoryEntry).nullish(),
    })
    .nullish(),
})

const v2MetadataFieldShape = z.looseObject({
  schema_id: optionalString,
  schema_name: optionalString,
  // string, number, ISO datetime, or for enums an option object or a list of them (formats.md: "enums may be lists").
  value: z.unknown().optional(),
  value_name: z.unknown().optional(),
})

export const v2Attachment = z.looseObject({
  id: optionalString,
  type: optionalString,
  value: optionalString,
  name: optionalString,
})

const v2DataRowShape = z.looseObject({
  data_row: z.looseObject({
    id: z.string(),
    global_key: optionalString,
    external_id: optionalString,
    row_data: optionalString,
    details: z
      .looseObject({
        dataset_id: optionalString,
        dataset_name: optionalString,
        created_at: timestamp,
        updated_at: timestamp,
        last_activity_at: timestamp,
        created_by: optionalString,
      })
      .nullish(),
  }),
  media_attributes: z
    .looseObject({
      mime_type: optionalString,
      asset_type: optionalString,
      width: optionalNumber,
      height: optionalNumber,
      frame_rate: optionalNumber,
      frame_count: optionalNumber,
    })
    .nullish(),
  attachments: z.array(v2Attachment).nullish(),
  metadata_fields: z.array(v2MetadataFieldShape).nullish(),
  projects: z.record(z.string(), v2ProjectShape).nullish(),
})

// Each public schema is typed as z.ZodType<Interface>, the interface inferred from the private `...Shape`:
// consumers in other packages then see one named type, where the expanded ZodObject declarations made
// `v2DataRow.safeParse` exceed TypeScript's instantiation depth ("excessively deep", TS2589).
export interface V2DataRow extends z.infer<typeof v2DataRowShape> {}
export const v2DataRow: z.ZodType<V2DataRow> = v2DataRowShape
export interface V2Project extends z.infer<typeof v2ProjectShape> {}
export const v2Project: z.ZodType<V2Project> = v2ProjectShape
export interface V2Label extends z.infer<typeof v2LabelShape> {}
export const v2Label: z.ZodType<V2Label> = v2LabelShape
export interface V2Annotations extends z.infer<typeof v2AnnotationsShape> {}
export const v2Annotations: z.ZodType<V2Annotations> = v2AnnotationsShape
export interface V2Object extends z.infer<typeof v2ObjectShape> {}
export const v2Object: z.ZodType<V2Object> = v2ObjectShape
/** The fields v2 gives an object a meaning for (v2Object's keys): what a converter must not fill from unknown keys. */
export const v2ObjectFields: ReadonlySet<string> = new Set(Object.keys(v2ObjectShape.shape))
export interface V2Relationship extends z.infer<typeof v2RelationshipShape> {}
export const v2Relationship: z.ZodType<V2Relationship> = v2RelationshipShape
export interface V2Frame extends z.infer<typeof v2FrameShape> {}
export const v2Frame: z.ZodType<V2Frame> = v2FrameShape
export interface V2MetadataField extends z.infer<typeof v2MetadataFieldShape> {}
export const v2MetadataField: z.ZodType<V2MetadataField> = v2MetadataFieldShape

import { z } from 'zod'

// Export v2 as described in docs/formats.md ("Export v2 — data-row-centric NDJSON"). Every object is a
// looseObject: fields labelpipe does not know are kept, so they reach the json columns instead of failing
// the run. Known fields are checked for their type, because typed columns are filled from them.
// Optional fields also accept null: exports write `"global_key": null` as often as they omit the key.

const optionalString = z.string().nullish()
const optionalNumber = z.number().nullish()
// Labelbox writes ISO-8601 with an offset ("2023-06-12T18:42:24.000+00:00") or Z; a value that Date.parse
// cannot read would silently become null in a timestamptz column, so it is an error here.
const timestamp = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), { error: 'expected an ISO-8601 timestamp' })
  .nullish()

export const point = z.looseObject({ x: z.number(), y: z.number() })
export const boundingBox = z.looseObject({ top: z.number(), left: z.number(), height: z.number(), width: z.number() })


/** An answer to a radio or checklist question; may nest further questions (formats.md: "Nesting is recursive"). */
export const v2ClassificationAnswer = z.looseObject({
  feature_id: optionalString,
  feature_schema_id: optionalString,
  name: optionalString,
  value: optionalString,
  get classifications(): z.ZodOptional<z.ZodNullable<z.ZodArray<typeof v2Classification>>> {
    return z.array(v2Classification).nullish()
  },
})

/** A classification: exactly one of radio_answer, checklist_answers, text_answer (checked by the flattener, which counts the odd ones). */
export const v2Classification = z.looseObject({
  feature_id: optionalString,
  feature_schema_id: optionalString,
  name: optionalString,
  value: optionalString,
  get radio_answer(): z.ZodOptional<z.ZodNullable<typeof v2ClassificationAnswer>> {
    return v2ClassificationAnswer.nullish()
  },
  get checklist_answers(): z.ZodOptional<z.ZodNullable<z.ZodArray<typeof v2ClassificationAnswer>>> {
    return z.array(v2ClassificationAnswer).nullish()
  },
  text_answer: z.looseObject({ content: z.string().nullish() }).nullish(),
})

/** An object annotation on non-frame media, or one object within a video/DICOM frame. */
export const v2Object = z.looseObject({
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
  location: z.looseObject({ start: z.number().int(), end: z.number().int() }).nullish(),
  conversational_location: z.looseObject({ message_id: optionalString }).nullish(),
  page_number: z.number().int().nullish(),
})

/** formats.md marks the relationship shape unconfirmed; we require nothing and read source/target/type when present. */
export const v2Relationship = z.looseObject({
  name: optionalString,
  feature_id: optionalString,
  feature_schema_id: optionalString,
  source: optionalString,
  target: optionalString,
  type: optionalString,
})

/** One frame of a video (or of a DICOM group): objects keyed by feature id, plus frame classifications. */
export const v2Frame = z.looseObject({
  objects: z.record(z.string(), v2Object).nullish(),
  classifications: z.array(v2Classification).nullish(),
})

const frameRanges = z.array(z.tuple([z.number().int(), z.number().int()]))
// formats.md: the SDK fixture has a map frame -> bool, tools have also written a list of frame numbers: accept both.
const keyFrames = z.union([z.record(z.string(), z.boolean()), z.array(z.number().int())])

export const v2DicomGroup = z.looseObject({
  name: optionalString,
  classifications: z.array(v2Classification).nullish(),
  frames: z.record(z.string(), v2Frame).nullish(),
})

/**
 * A label's annotations. Non-frame media fill objects/classifications/relationships; video fills
 * frames/segments/key_frame_feature_map; DICOM adds groups and nests segments and key frames by group.
 */
export const v2Annotations = z.looseObject({
  objects: z.array(v2Object).nullish(),
  classifications: z.array(v2Classification).nullish(),
  relationships: z.array(v2Relationship).nullish(),
  frames: z.record(z.string(), v2Frame).nullish(),
  groups: z.record(z.string(), v2DicomGroup).nullish(),
  segments: z.record(z.string(), z.union([frameRanges, z.record(z.string(), frameRanges)])).nullish(),
  key_frame_feature_map: z.record(z.string(), z.union([keyFrames, z.record(z.string(), keyFrames)])).nullish(),
})

export const v2Review = z.looseObject({
  id: optionalString,
  created_at: timestamp,
  created_by: optionalString,
  action: optionalString,
})

export const v2Label = z.looseObject({
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
  annotations: v2Annotations.nullish(),
})

export const v2WorkflowHistoryEntry = z.looseObject({
  action: optionalString,
  created_at: timestamp,
  created_by: z.union([z.string(), z.looseObject({ email: optionalString, id: optionalString })]).nullish(),
  previous_task_name: optionalString,
  next_task_name: optionalString,
})

export const v2Project = z.looseObject({
  name: optionalString,
  labels: z.array(v2Label).nullish(),
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

export const v2MetadataField = z.looseObject({
  schema_id: optionalString,
  schema_name: optionalString,
  // string, number, ISO datetime, or for enums an option object or a list of them (formats.md: "enums may be lists").
  value: z.unknown(),
  value_name: z.unknown(),
})

export const v2Attachment = z.looseObject({
  id: optionalString,
  type: optionalString,
  value: optionalString,
  name: optionalString,
})

export const v2DataRow = z.looseObject({
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
  metadata_fields: z.array(v2MetadataField).nullish(),
  projects: z.record(z.string(), v2Project).nullish(),
})

export type V2DataRow = z.infer<typeof v2DataRow>
export type V2Project = z.infer<typeof v2Project>
export type V2Label = z.infer<typeof v2Label>
export type V2Annotations = z.infer<typeof v2Annotations>
export type V2Object = z.infer<typeof v2Object>
export type V2Classification = z.infer<typeof v2Classification>
export type V2ClassificationAnswer = z.infer<typeof v2ClassificationAnswer>
export type V2Relationship = z.infer<typeof v2Relationship>
export type V2Frame = z.infer<typeof v2Frame>
export type V2MetadataField = z.infer<typeof v2MetadataField>

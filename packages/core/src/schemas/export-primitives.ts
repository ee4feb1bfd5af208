import { z } from 'zod'

// Field types shared by the v1 and v2 export schemas. Optional fields also accept null: exports write
// `"global_key": null` (v2) or `"External ID": null` (v1) as often as they omit the key.

export const optionalString = z.string().nullish()
export const optionalNumber = z.number().nullish()

/**
 * ISO-8601 date-time with an offset (Z, ±hh:mm or ±hhmm), seconds and fraction optional: the one form that names
 * an instant. Without the offset Date.parse reads a date-time in the host's time zone (and Labelbox reads bare
 * times in the API user's, facts.md), so the same text would load as different instants on different machines.
 */
export const isoTimestampWithZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/

/**
 * Labelbox writes ISO-8601 with an offset ("2023-06-12T18:42:24.000+00:00") or Z. A value Date.parse cannot read
 * would silently become null in a timestamptz column, and one without a zone would load per host zone (above), so
 * both are errors here, naming the field.
 */
export const timestamp = z
  .string()
  .refine((value) => isoTimestampWithZone.test(value) && !Number.isNaN(Date.parse(value)), {
    error: 'expected an ISO-8601 timestamp with a time zone (Z or ±hh:mm)',
  })
  .nullish()

export const point = z.looseObject({ x: z.number(), y: z.number() })
export const boundingBox = z.looseObject({ top: z.number(), left: z.number(), height: z.number(), width: z.number() })

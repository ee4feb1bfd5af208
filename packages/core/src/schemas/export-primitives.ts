import { z } from 'zod'

// Field types shared by the v1 and v2 export schemas. Optional fields also accept null: exports write
// `"global_key": null` (v2) or `"External ID": null` (v1) as often as they omit the key.

export const optionalString = z.string().nullish()
export const optionalNumber = z.number().nullish()

/**
 * Labelbox writes ISO-8601 with an offset ("2023-06-12T18:42:24.000+00:00") or Z; a value that Date.parse cannot
 * read would silently become null in a timestamptz column, so it is an error here.
 */
export const timestamp = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), { error: 'expected an ISO-8601 timestamp' })
  .nullish()

export const point = z.looseObject({ x: z.number(), y: z.number() })
export const boundingBox = z.looseObject({ top: z.number(), left: z.number(), height: z.number(), width: z.number() })

import { z } from 'zod'

// Field types shared by the v1 and v2 export schemas. Optional fields also accept null: exports write
// `"global_key": null` (v2) or `"External ID": null` (v1) as often as they omit the key.

export const optionalString = z.string().nullish()
export const optionalNumber = z.number().nullish()

/**
 * An RFC 3339 date-time with a zone: the one form that names an instant. Without the zone Date.parse reads a
 * date-time in the host's time zone (and Labelbox reads bare times in the API user's, facts.md), so the same text
 * would load as different instants on different machines.
 *
 * Labelbox writes `T` and `Z` or `+00:00`; other writers of the same instants are accepted too: Python's
 * str(datetime) ("2023-10-03 05:36:33.863+00:00"), Postgres text ("2023-10-03 05:36:33.863+00"), lowercase `t`
 * and `z` (RFC 3339 §5.6), `+hhmm`. Every place that turns these into epoch ms calls Date.parse on the text as
 * it is (column-values epochMs, metadata-rows, export-filters, the webhook receiver), so a form is accepted only
 * where V8's Date.parse gives the instant of its `T`/`Z`/`±hh:mm` spelling. Checked on Node 20.20.2 over every
 * separator, zone form, hour 24, day 31 of short months and years 0000-9999, under UTC and Asia/Tokyo
 * (test/timestamps.test.ts keeps checking it). A space sends V8 to its legacy parser, which reads `±hh` and
 * every other zone right but reads years 0000-0099 as 19xx/20xx; after `T`/`t`, `±hh` is NaN. Hence two branches:
 *   `T` or `t`: zone `Z`, `z`, `±hh:mm`, `±hhmm`;
 *   space:      the same or `±hh`, year 0100 or later.
 * An offset is at most 23:59 (RFC 3339 time-numoffset); past it the legacy parser reads what the ISO one refuses.
 */
export const isoTimestampWithZone =
  /^(?:\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):?[0-5]\d)|(?!00)\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?))$/

// Shapes the refusal message names, each tried only after isoTimestampWithZone failed.
const withoutZone = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/
const hourOnlyOffsetAfterT = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?([+-](?:[01]\d|2[0-3]))$/
const earlyYearAfterSpace = /^00\d{2}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/
const offsetOf = /[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?([+-]\d{2}(?::?\d{2})?)$/

/** Why `value` is not an accepted timestamp: what is wrong with it, and what to write instead where that is known. */
function timestampProblem(value: string): string {
  const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)
  const expected = 'expected an ISO-8601 timestamp with a time zone (Z or ±hh:mm)'
  if (withoutZone.test(value)) return `${expected}, got ${shown}, which has none (it would be read in the host's time zone)`
  const hours = hourOnlyOffsetAfterT.exec(value)?.[1]
  if (hours !== undefined) return `${shown}: an offset of hours alone (${hours}) is not read after T: write ${hours}:00`
  if (earlyYearAfterSpace.test(value))
    return `${shown}: a year before 0100 is read as 19xx or 20xx after a space: write T between date and time`
  const offset = offsetOf.exec(value)?.[1]
  if (offset !== undefined && isoTimestampWithZone.test(`${value.slice(0, -offset.length)}Z`))
    return `${shown}: the offset ${offset} is past ±23:59`
  if (isoTimestampWithZone.test(value)) return `expected a real date and time, got ${shown} (a month 13, a minute 60...)`
  return `${expected}, got ${shown}`
}

/**
 * Labelbox writes ISO-8601 with an offset ("2023-06-12T18:42:24.000+00:00") or Z. A value Date.parse cannot read
 * would silently become null in a timestamptz column, and one without a zone would load per host zone (above), so
 * both are errors here, naming the field and what is wrong with the value.
 */
export const timestamp = z
  .string()
  .refine((value) => isoTimestampWithZone.test(value) && !Number.isNaN(Date.parse(value)), {
    error: (issue) => timestampProblem(String(issue.input)),
  })
  .nullish()

export const point = z.looseObject({ x: z.number(), y: z.number() })
export const boundingBox = z.looseObject({ top: z.number(), left: z.number(), height: z.number(), width: z.number() })

import type { LineageSource } from '@labelpipe/core'
import { countKey, type FlattenCounters } from './flatten-stats.js'

// Conversions from export values to the in-memory column types of core's columns.ts: timestamptz is epoch
// milliseconds, json is JSON text, int is a 32-bit integer. Input is already zod-validated at the source, so
// these only handle what the export schema allows but a column cannot hold; they never re-validate.

/** What every row builder needs besides its input: the lineage columns and the counters. Built once per flattener. */
export interface FlattenEnv {
  readonly loadId: string
  readonly source: LineageSource
  /** FlattenOptions.interpolate: fill the frames an export left out between two frames of a track. */
  readonly interpolate: boolean
  readonly stats: FlattenCounters
}

const int32Min = -2147483648
const int32Max = 2147483647

/**
 * A frame number (frame_objects.frame, segments.start_frame/end_frame, key_frames.frame): an integer from 0
 * to 2^31-1. These columns are NOT NULL and part of primary keys, so an entry without one cannot be loaded.
 */
export function isFrameNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= int32Max
}

/**
 * A value for an `int` column (schema.md: 32-bit). The export schema admits any number (a width of 1080.5,
 * a page of 3e9); such a value becomes null and is counted under `column` instead of failing the load.
 */
export function int32(value: number | null | undefined, column: string, env: FlattenEnv): number | null {
  if (value == null) return null
  if (Number.isInteger(value) && value >= int32Min && value <= int32Max) return value
  countKey(env.stats.invalidIntegers, column)
  return null
}

/**
 * A timestamptz column value: epoch ms UTC, exactly what Date.parse returns (the source's zod schema already
 * rejected strings Date.parse cannot read). Date.parse costs 300-450 ns on Node 20.20 (measured here), about a
 * fifth of flattening an image data row with 11 timestamps; Labelbox writes one shape,
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, which isoToEpochMs reads from char codes instead.
 * Every other string goes to Date.parse, so results never differ (checked against Date.parse in the tests).
 */
export function epochMs(value: string | null | undefined): number | null {
  if (value == null) return null
  const fast = isoToEpochMs(value)
  if (fast !== -1) return fast
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : ms
}

/** The common export shape read by hand, or -1 for anything else (left to Date.parse). */
function isoToEpochMs(text: string): number {
  const length = text.length
  if (length < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return -1
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return -1
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  // Years below 100 (Date.UTC maps them to 19xx), days past 28 (valid or not by month: V8 rolls Feb 31 over)
  // and hour 24 (V8 reads it as the next day) are left to Date.parse.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 28) return -1
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1
  let i = 19
  let ms = 0
  if (text.charCodeAt(i) === 46) {
    // Fraction: milliseconds from the first three digits, further digits truncated (as V8 does).
    const start = ++i
    while (i < length) {
      const digit = text.charCodeAt(i) - 48
      if (digit < 0 || digit > 9) break
      if (i - start < 3) ms = ms * 10 + digit
      i++
    }
    const read = i - start
    if (read === 0) return -1
    if (read === 1) ms *= 100
    else if (read === 2) ms *= 10
  }
  let offsetMinutes = 0
  const zone = text.charCodeAt(i)
  if (zone === 90 && i + 1 === length) {
    // Z
  } else if ((zone === 43 || zone === 45) && i + 6 === length && text.charCodeAt(i + 3) === 58) {
    const offsetHour = digits(text, i + 1, 2)
    const offsetMinute = digits(text, i + 4, 2)
    if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) return -1
    offsetMinutes = (zone === 45 ? -1 : 1) * (offsetHour * 60 + offsetMinute)
  } else {
    return -1
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60000
}

/** The decimal value of `count` ASCII digits at `start`, or -1 if any is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/** A text column read from a field the export schema does not type (inside a looseObject's unknown keys). */
export function looseText(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/** A json column: the exported value as JSON text, null when absent. */
export function jsonText(value: unknown): string | null {
  return value == null ? null : JSON.stringify(value)
}

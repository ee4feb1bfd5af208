import type { V2Frame } from './schemas/v2-export.js'

/**
 * The frames of one frames map (a video label's `annotations.frames`, or a DICOM group's `frames`) held
 * outside the record, for a line too long to parse whole (readV2Export's `streamLinesOver`): the map in the
 * record is empty and carries its store under `frameStoreKey`. Consumers that expand frames read both forms
 * through `frameStoreOf`; to any other code such a record looks like one whose frames map is empty.
 */
export interface FrameStore {
  /** Frames with a valid number (a canonical integer, 0 to 2^31-1), ascending; for a key seen twice, its last value. */
  entries(): Iterable<readonly [key: string, frame: V2Frame]>
  /** Keys that are not valid frame numbers: skipped, counted here as a parsed map's expansion counts them. */
  readonly invalidKeys: number
  /** Frames with a valid number that `entries()` yields. */
  readonly size: number
  /** Frees what the store holds (its spool file); idempotent. Called by the expansion once it is done. */
  release(): void
}

const int32Max = 2147483647

/**
 * The frame number a `frames` or key-frame map key stands for, or -1. Only the canonical decimal form is
 * read ("7", not "07", "+7" or "7.0"): two spellings of one frame would otherwise collide in the primary
 * key, and canonical keys are exactly those JavaScript enumerates in ascending numeric order (array-index
 * keys), which the frame pass relies on to interpolate in one sweep.
 */
export function frameNumber(key: string): number {
  const length = key.length
  if (length === 0 || length > 10) return -1
  let value = 0
  for (let i = 0; i < length; i++) {
    const digit = key.charCodeAt(i) - 48
    if (digit < 0 || digit > 9 || (digit === 0 && i === 0 && length > 1)) return -1
    value = value * 10 + digit
  }
  return value <= int32Max ? value : -1
}

/** The property under which an empty frames map carries its FrameStore. */
export const frameStoreKey: unique symbol = Symbol.for('labelpipe.frameStore')

/** The store behind a frames map, or undefined for an ordinary (parsed) map. */
export function frameStoreOf(frames: object): FrameStore | undefined {
  return (frames as { [frameStoreKey]?: FrameStore })[frameStoreKey]
}

/** Attaches `store` to the (empty) frames map `frames`; the property is a symbol, so JSON and `for...in` skip it. */
export function attachFrameStore(frames: object, store: FrameStore): void {
  Object.defineProperty(frames, frameStoreKey, { value: store, enumerable: false, configurable: true })
}

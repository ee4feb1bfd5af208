// Lines longer than readV2Export's `streamLinesOver` are not parsed whole: their frames are spooled to a temp file
// and the record's frames maps are left empty, each backed by a FrameStore that frameStoreOf returns. Here the
// threshold is lowered to 16 KiB so the sample's long video and DICOM lines stream; flattenDataRows reads both
// forms alike. Then a FrameStore of your own (attachFrameStore): frames kept outside the record, expanded as if
// they were in it. Run: node examples/dist/frame-stores.js [export.ndjson]
import {
  attachFrameStore,
  type FrameStore,
  frameNumber,
  frameStoreKey,
  frameStoreOf,
  newLoadId,
  type V2DataRow,
  type V2Frame,
} from '@labelpipe/core'
import { readV2Export } from '@labelpipe/sources'
import { flattenDataRows } from '@labelpipe/transforms'

const input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname

/** Pulls every row out of a flattener's iterable (its stats count them). */
function drain(rows: Iterable<unknown>): void {
  for (const _ of rows);
}

/** Every frames map of a data row: each video label's, and each DICOM group's. */
function* framesMaps(record: V2DataRow): Generator<Record<string, V2Frame>> {
  for (const project of Object.values(record.projects ?? {})) {
    for (const label of project.labels ?? []) {
      const annotations = label.annotations
      if (annotations?.frames != null) yield annotations.frames
      for (const group of Object.values(annotations?.groups ?? {})) if (group.frames != null) yield group.frames
    }
  }
}

/** Reads the export, looks at its frames maps, and flattens it; returns the frame_objects rows made. */
async function load(streamLinesOver: number | undefined) {
  const flatten = flattenDataRows({ loadId: newLoadId(), source: 'v2' })
  let maps = 0
  let stored = 0
  let framesInStores = 0
  let emptyInJson = 0
  for await (const batch of readV2Export(input, streamLinesOver === undefined ? {} : { streamLinesOver })) {
    for (const { value, at } of batch) {
      for (const frames of framesMaps(value)) {
        maps++
        const store = frameStoreOf(frames)
        if (store === undefined) continue
        stored++
        framesInStores += store.size
        // The store hides under a symbol (frameStoreKey): JSON and for...in see an empty map.
        if (frameStoreKey in frames && JSON.stringify(frames) === '{}') emptyInJson++
      }
      // flattenDataRows reads each store frame by frame, then releases it (its spool goes once all are released).
      drain(flatten(value, at))
    }
  }
  return { maps, stored, framesInStores, emptyInJson, frameObjects: flatten.stats.rowsByTable.frame_objects }
}

const whole = await load(undefined)
const streamed = await load(16 * 1024)
console.log(
  `streamed: ${streamed.stored} of ${streamed.maps} frames maps in FrameStores (${streamed.framesInStores} frames, ${streamed.emptyInJson} print as {})`,
)
console.log(`frame_objects rows: ${whole.frameObjects} parsed whole, ${streamed.frameObjects} streamed`)

// ---- A FrameStore of your own: the frames of one video label kept in a Map (say, read from another store). ----

/** Keys that are frame numbers ("7", not "07"), ascending, as the flattener expects; the others counted. */
function mapFrameStore(frames: ReadonlyMap<string, V2Frame>): FrameStore & { readonly released: boolean } {
  const numbered = [...frames].filter(([key]) => frameNumber(key) !== -1).sort(([a], [b]) => frameNumber(a) - frameNumber(b))
  let released = false
  return {
    entries: () => numbered,
    size: numbered.length,
    invalidKeys: frames.size - numbered.length,
    release: () => {
      released = true
    },
    get released() {
      return released
    },
  }
}

let video: { value: V2DataRow; at: { file: string; line: number; byteOffset: number } } | undefined
for await (const batch of readV2Export(input)) {
  video ??= batch.find(({ value }) => value.media_attributes?.mime_type?.startsWith('video/'))
}
if (video === undefined) throw new Error(`${input} has no video data row`)
const parsed = flattenDataRows({ loadId: newLoadId(), source: 'v2' })
drain(parsed(video.value, video.at))

// The same data row, each frames map emptied and given a store over its frames, plus one key that is no frame number.
const own = flattenDataRows({ loadId: newLoadId(), source: 'v2' })
const record = structuredClone(video.value)
const stores: ReturnType<typeof mapFrameStore>[] = []
for (const frames of framesMaps(record)) {
  const kept = new Map(Object.entries(frames))
  kept.set('007', { objects: {} })
  for (const key of Object.keys(frames)) delete frames[key]
  const store = mapFrameStore(kept)
  attachFrameStore(frames, store)
  stores.push(store)
}
drain(own(record, video.at))
console.log(
  `a FrameStore of your own: ${own.stats.rowsByTable.frame_objects} frame_objects rows (${parsed.stats.rowsByTable.frame_objects} from the parsed line), ` +
    `keys that are no frame number skipped: ${stores.reduce((sum, store) => sum + store.invalidKeys, 0)} (frameNumber('007') = ${frameNumber('007')}), ` +
    `released: ${stores.every((store) => store.released)}`,
)

import type { TableName } from '@labelpipe/core'
import { createWorld, type World } from './generate-ontology.js'
import { ChunkBuffer } from './generate-text.js'
import { CuidFactory, Prng } from './prng.js'

/** The warehouse tables of docs/schema.md, in core's order; `satisfies` keeps the names in step with core. */
export const TABLE_NAMES = [
  'data_rows',
  'data_row_metadata',
  'attachments',
  'project_data_rows',
  'workflow_history',
  'labels',
  'label_reviews',
  'objects',
  'frame_objects',
  'segments',
  'key_frames',
  'classifications',
  'relationships',
] as const satisfies readonly TableName[]

export type GeneratedTable = (typeof TABLE_NAMES)[number]
export type GeneratedTableCounts = { readonly [T in GeneratedTable]: number }

export interface ContextOptions {
  readonly seed: number
  readonly framesPerVideo: number
  readonly frameClassifications: boolean
  readonly chunkSize: number
}

/** Everything one export's writers share: randomness, ids, the world, the output and the counts. */
export class GenerateContext {
  readonly rng: Prng
  readonly ids: CuidFactory
  readonly world: World
  readonly out: ChunkBuffer
  readonly framesPerVideo: number
  readonly frameClassifications: boolean
  readonly counts: { -readonly [T in GeneratedTable]: number }
  /** Video/DICOM features (tracks); schema.md's `objects` has one row per track, the mapping counts none. */
  tracks = 0
  /** Classification answers inside frames (frame-level and on frame objects), outside the mapping. */
  frameAnswers = 0
  /** The simulated clock: data rows are created one after another from world.baseMs on. */
  clockMs: number
  /** Running count of classification answers written by classificationsJson; callers attribute it. */
  answers = 0

  constructor(options: ContextOptions) {
    this.rng = new Prng(options.seed)
    this.ids = new CuidFactory(this.rng.fork())
    this.world = createWorld(options.seed, this.ids)
    this.out = new ChunkBuffer(options.chunkSize)
    this.clockMs = this.world.baseMs
    this.framesPerVideo = options.framesPerVideo
    this.frameClassifications = options.frameClassifications
    this.counts = Object.fromEntries(TABLE_NAMES.map((table) => [table, 0])) as { -readonly [T in GeneratedTable]: number }
  }
}

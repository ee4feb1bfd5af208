import type { Writable } from 'node:stream'
import type { PipelineProgress } from '@labelpipe/core'
import { formatBytes, formatCount, formatProgressLine, loadUnits, type ProgressUnits } from './format.js'

/** A live progress line on a TTY (rewritten in place); nothing on a pipe or file, where the summary is enough. */
export class ProgressReporter {
  readonly #stream: Writable & { readonly isTTY?: boolean; readonly columns?: number }
  readonly #live: boolean
  /** Mutable: a load learns whether it reads v1 labels or v2 data rows once the input is opened. */
  units: ProgressUnits
  #shown = false

  constructor(stream: Writable & { readonly isTTY?: boolean; readonly columns?: number }, quiet: boolean, units = loadUnits) {
    this.#stream = stream
    this.#live = stream.isTTY === true && !quiet
    this.units = units
  }

  /** The latest progress seen, for the summary of a run stopped by a signal. */
  last: PipelineProgress | undefined

  update(progress: PipelineProgress): void {
    this.last = progress
    if (!this.#live || progress.done) return
    const width = (this.#stream.columns ?? 120) - 1
    this.#stream.write(`\r\x1b[2K${formatProgressLine(progress, this.units).slice(0, width)}`)
    this.#shown = true
  }

  clear(): void {
    if (this.#shown) this.#stream.write('\r\x1b[2K')
    this.#shown = false
  }
}

/** A run stopped by SIGINT or SIGTERM, with how far it got: main prints it as the stop summary. */
export class StoppedRun extends Error {
  readonly progress: PipelineProgress | undefined
  readonly units: ProgressUnits

  constructor(progress: PipelineProgress | undefined, units: ProgressUnits, cause: unknown) {
    super('stopped by a signal', { cause })
    this.progress = progress
    this.units = units
  }

  /** `after 12,345 data rows (34.5 MiB read) in 3.2 s`, or nothing before the first progress report. */
  describe(): string {
    const progress = this.progress
    if (progress === undefined) return ''
    return ` after ${formatCount(progress.stages[0]?.records ?? 0)} ${this.units.records} (${formatBytes(progress.bytesRead)} read) in ${(progress.elapsedMs / 1000).toFixed(1)} s`
  }
}

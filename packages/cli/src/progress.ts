import type { Writable } from 'node:stream'
import type { PipelineProgress } from '@labelpipe/core'
import { formatProgressLine, loadUnits, type ProgressUnits } from './format.js'

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

  update(progress: PipelineProgress): void {
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

import type { Writable } from 'node:stream'
import type { PipelineProgress } from '@labelpipe/core'
import { formatProgressLine } from './format.js'

/** A live progress line on a TTY (rewritten in place); nothing on a pipe or file, where the summary is enough. */
export class ProgressReporter {
  readonly #stream: Writable & { readonly isTTY?: boolean; readonly columns?: number }
  readonly #live: boolean
  #shown = false

  constructor(stream: Writable & { readonly isTTY?: boolean; readonly columns?: number }, quiet: boolean) {
    this.#stream = stream
    this.#live = stream.isTTY === true && !quiet
  }

  update(progress: PipelineProgress): void {
    if (!this.#live || progress.done) return
    const width = (this.#stream.columns ?? 120) - 1
    this.#stream.write(`\r\x1b[2K${formatProgressLine(progress).slice(0, width)}`)
    this.#shown = true
  }

  clear(): void {
    if (this.#shown) this.#stream.write('\r\x1b[2K')
    this.#shown = false
  }
}

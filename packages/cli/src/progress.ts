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

  // How far the run got, for the summary of a run stopped by a signal. Kept as numbers: holding the latest
  // PipelineProgress object itself raised peak RSS from 298 to 400 MB on the 1 GB one-row video export (measured
  // three times each way; V8 keeps more young objects alive across scavenges when an old object points at them).
  #records = -1
  #bytesRead = 0
  #elapsedMs = 0

  update(progress: PipelineProgress): void {
    this.#records = progress.stages[0]?.records ?? 0
    this.#bytesRead = progress.bytesRead
    this.#elapsedMs = progress.elapsedMs
    if (!this.#live || progress.done) return
    const width = (this.#stream.columns ?? 120) - 1
    this.#stream.write(`\r\x1b[2K${formatProgressLine(progress, this.units).slice(0, width)}`)
    this.#shown = true
  }

  /** `after 12,345 data rows (34.5 MiB read) in 3.2 s`, or nothing before the first progress report. */
  howFar(): string {
    if (this.#records < 0) return ''
    return ` after ${formatCount(this.#records)} ${this.units.records} (${formatBytes(this.#bytesRead)} read) in ${(this.#elapsedMs / 1000).toFixed(1)} s`
  }

  clear(): void {
    if (this.#shown) this.#stream.write('\r\x1b[2K')
    this.#shown = false
  }
}

/** A run stopped by SIGINT or SIGTERM, with how far it got (ProgressReporter.howFar): main prints it. */
export class StoppedRun extends Error {
  readonly howFar: string

  constructor(howFar: string, cause: unknown) {
    super('stopped by a signal', { cause })
    this.howFar = howFar
  }
}

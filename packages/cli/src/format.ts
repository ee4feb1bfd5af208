import type { PipelineProgress } from '@labelpipe/core'

const mb = 1024 * 1024

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * mb) return `${(bytes / (1024 * mb)).toFixed(2)} GiB`
  if (bytes >= mb) return `${(bytes / mb).toFixed(1)} MiB`
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${bytes} B`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes}m${String(Math.round(seconds - minutes * 60)).padStart(2, '0')}s`
}

/** What the first stage's records and the last stage's rows are called in progress lines. */
export interface ProgressUnits {
  readonly records: string
  readonly rows: string
}

/** `load` of a v2 export; a v1 load reads labels, and `convert` writes data rows. */
export const loadUnits: ProgressUnits = { records: 'data rows', rows: 'table rows' }

/** The live progress line: rows/s, MB/s, % of bytes and ETA when the size is known. */
export function formatProgressLine(progress: PipelineProgress, units: ProgressUnits = loadUnits): string {
  const seconds = Math.max(progress.elapsedMs / 1000, 1e-3)
  const rows = progress.stages.at(-1)?.records ?? 0
  const parts = [
    `${formatCount(progress.stages[0]?.records ?? 0)} ${units.records}`,
    `${formatCount(rows)} ${units.rows} (${formatCount(Math.round(rows / seconds))}/s)`,
    `${(progress.bytesRead / mb / seconds).toFixed(1)} MB/s`,
  ]
  if (progress.totalBytes !== undefined && progress.totalBytes > 0) {
    const fraction = Math.min(progress.bytesRead / progress.totalBytes, 1)
    const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : Number.POSITIVE_INFINITY
    parts.push(`${(fraction * 100).toFixed(1)}% of ${formatBytes(progress.totalBytes)}`, `ETA ${formatSeconds(eta)}`)
  }
  return parts.join(' · ')
}

/** Rows of a two-column table, the first column padded. */
export function formatTable(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([key]) => key.length))
  return rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`).join('\n')
}

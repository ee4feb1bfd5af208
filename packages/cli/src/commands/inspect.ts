import { Writable } from 'node:stream'
import { type Batch, type DeadLetter, newLoadId, runPipeline, runStage, type TableName, type TableRow, tableNames } from '@labelpipe/core'
import { readV2Export } from '@labelpipe/sources'
import { type FlattenStats, flattenDataRows } from '@labelpipe/transforms'
import type { InspectConfig } from '../args.js'
import { formatBytes, formatCount, formatTable } from '../format.js'
import type { CliIo } from '../io.js'

const shownBadLines = 10

export interface InspectReport {
  readonly input: string
  readonly bytes: number
  readonly dataRows: number
  readonly rowsByTable: Readonly<Record<TableName, number>>
  readonly mediaTypes: Readonly<Record<string, number>>
  readonly projects: readonly { readonly projectId: string; readonly name: string | null; readonly dataRows: number }[]
  readonly badLines: number
  readonly firstBadLines: readonly Pick<DeadLetter, 'line' | 'byteOffset' | 'code' | 'reason'>[]
  readonly flatten: FlattenStats
}

/** Tallies the flattened rows instead of writing them: what inspect reports. */
class TallySink extends Writable {
  readonly mediaTypes: Record<string, number> = Object.create(null)
  readonly projects = new Map<string, { name: string | null; dataRows: number }>()

  constructor() {
    super({ objectMode: true, highWaterMark: 4 })
  }

  override _write(batch: Batch<TableRow>, _encoding: BufferEncoding, callback: () => void): void {
    for (const { value } of batch) {
      if (value.table === 'data_rows') {
        const media = value.row.media_type ?? '(unknown)'
        this.mediaTypes[media] = (this.mediaTypes[media] ?? 0) + 1
      } else if (value.table === 'project_data_rows') {
        const project = this.projects.get(value.row.project_id)
        if (project === undefined) this.projects.set(value.row.project_id, { name: value.row.project_name, dataRows: 1 })
        else project.dataRows++
      }
    }
    callback()
  }
}

/** `labelpipe inspect`: reads everything, writes nothing, counts bad lines instead of stopping at the first. */
export async function runInspect(config: InspectConfig, io: CliIo): Promise<InspectReport> {
  const firstBadLines: InspectReport['firstBadLines'][number][] = []
  const reader = readV2Export(config.input === '-' ? io.stdin : config.input, {
    maxErrors: Number.MAX_SAFE_INTEGER,
    deadLetters: ({ line, byteOffset, code, reason }) => {
      if (firstBadLines.length < shownBadLines) firstBadLines.push({ line, byteOffset, code, reason })
    },
    ...(config.maxLineLength === undefined ? {} : { maxLineLength: config.maxLineLength }),
  })
  const flatten = flattenDataRows({ loadId: newLoadId(), source: 'v2' })
  const tally = new TallySink()
  const progress = await runPipeline({
    source: reader,
    transforms: [{ name: 'flattenDataRows', run: runStage(flatten) }],
    sink: tally,
    signal: io.signal,
  })
  return {
    input: config.input,
    bytes: progress.bytesRead,
    dataRows: reader.stats.records,
    rowsByTable: flatten.stats.rowsByTable,
    mediaTypes: tally.mediaTypes,
    projects: [...tally.projects].map(([projectId, { name, dataRows }]) => ({ projectId, name, dataRows })),
    badLines: reader.stats.deadLetters,
    firstBadLines,
    flatten: flatten.stats,
  }
}

export function formatInspectReport(report: InspectReport): string {
  const sections = [
    `${report.input}: ${formatBytes(report.bytes)}, ${formatCount(report.dataRows)} data rows, ${formatCount(report.badLines)} bad lines`,
    'rows per table:',
    formatTable(tableNames.map((table) => [table, formatCount(report.rowsByTable[table])] as const)),
    'media types:',
    formatTable(Object.entries(report.mediaTypes).map(([media, n]) => [media, formatCount(n)] as const)),
    'projects:',
    formatTable(report.projects.map((p) => [p.projectId, `${p.name ?? '(no name)'}: ${formatCount(p.dataRows)} data rows`] as const)),
  ]
  const unusual = unusualCounts(report.flatten)
  if (unusual.length > 0) sections.push('loaded with notes:', formatTable(unusual))
  if (report.badLines > 0) {
    sections.push(
      `bad lines (first ${Math.min(report.badLines, shownBadLines)} of ${formatCount(report.badLines)}):`,
      report.firstBadLines.map((bad) => `  ${bad.code}: ${bad.reason}`).join('\n'),
    )
  }
  return `${sections.join('\n')}\n`
}

/**
 * Every count of FlattenStats beyond rows per table, as "what loaded with notes": read generically, so a new
 * count in the flattener shows up here without a change (camelCase name -> words).
 */
function unusualCounts(stats: FlattenStats): (readonly [string, string])[] {
  const rows: (readonly [string, string])[] = []
  for (const [name, value] of Object.entries(stats)) {
    if (name === 'dataRows' || name === 'rowsByTable') continue
    const label = name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)
    if (typeof value === 'number') {
      if (value > 0) rows.push([label, formatCount(value)])
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, n] of Object.entries(value as Record<string, number>)) if (n > 0) rows.push([`${label}: ${key}`, formatCount(n)])
    }
  }
  return rows
}

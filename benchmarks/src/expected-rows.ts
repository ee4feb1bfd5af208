import type { TableName } from '@labelpipe/core'
import type { GeneratedStats } from './generate-v2-export.js'

/**
 * Rows each table should get from a generated export: the generator counts video/DICOM tracks (one `objects`
 * row each) and classifications inside frames apart from its per-table counts.
 */
export function expectedRows(stats: GeneratedStats): Record<TableName, number> {
  return {
    ...stats.tables,
    objects: stats.tables.objects + stats.tracks,
    classifications: stats.tables.classifications + stats.frameClassifications,
  }
}

export type {
  DataRowFilter,
  ExcludableParam,
  ExportFilters,
  FilterDataRowsOptions,
  FilterStats,
  IncrementalCursors,
  TimeRange,
} from './export-filters.js'
export { excludableParams, filterDataRows, filterTime } from './export-filters.js'
export type { DataRowFlattener, FlattenOptions } from './flatten-data-rows.js'
export { flattenDataRows } from './flatten-data-rows.js'
export type { FlattenStats } from './flatten-stats.js'
export type { PartitionColumn } from './project-partitions.js'
export { hivePartitionValue, partitionByProject, partitionColumns } from './project-partitions.js'
export type { V1Media } from './v1-annotations.js'
export type { ProjectIdOf, V1ToV2Converter, V1ToV2Options } from './v1-labels-to-data-rows.js'
export { v1LabelsToDataRows } from './v1-labels-to-data-rows.js'
export type { V1ConvertStats } from './v1-stats.js'

export type { DataRowFlattener, FlattenOptions } from './flatten-data-rows.js'
export { flattenDataRows } from './flatten-data-rows.js'
export type { FlattenStats } from './flatten-stats.js'

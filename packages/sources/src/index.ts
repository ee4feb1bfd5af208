export type { ExportFormat } from './detect-format.js'
export { detectExportFormat, detectionHeadBytes } from './detect-format.js'
export type { ReadV2ExportOptions, V2ReadStats } from './read-v2-export.js'
export { readV2Export, V2ExportReader } from './read-v2-export.js'

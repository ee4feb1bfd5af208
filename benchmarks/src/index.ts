// The public API of @labelpipe/benchmarks, for tests and benchmark cases.

export { expectedRows } from './expected-rows.js'
export type { GeneratedTable, GeneratedTableCounts } from './generate-context.js'
export type { GeneratedV1Stats, GenerateV1Options, V1ExportStream } from './generate-v1-export.js'
export { generateV1Export, writeV1Export } from './generate-v1-export.js'
export type { GeneratedMedia, GeneratedStats, GenerateV2Options, V2ExportStream } from './generate-v2-export.js'
export { generateV2Export, writeV2Export } from './generate-v2-export.js'
export type { Measurement } from './measure.js'
export { measure } from './measure.js'
export type { PostgresServer } from './postgres-server.js'
export { psqlOf, startPostgresServer } from './postgres-server.js'
export { processTreeCpuSeconds } from './process-cpu.js'

export type { HttpFramesErrorCode, HttpFramesErrorDetails, LabelpipeErrorCode, LabelpipeErrorDetails } from './errors.js'
export {
  ExportFormatError,
  HttpFramesError,
  InputError,
  InvalidOptionError,
  InvalidUtf8Error,
  isLabelpipeError,
  LabelpipeError,
  LineTooLongError,
  PipelineAbortedError,
  SinkError,
  StageError,
  TooManyErrorsError,
  TransformError,
  UnsupportedFormatError,
} from './errors.js'
export { FanOutSink, fanOutSink } from './fan-out-sink.js'
export type { FrameStore } from './frame-store.js'
export { attachFrameStore, frameNumber, frameStoreKey, frameStoreOf } from './frame-store.js'
export type { DeadLetter, DeadLetterSink, LineageSource, RunFacts } from './load-run.js'
export { deadLetter, isValidLoadId, newLoadId } from './load-run.js'
export type {
  PipelineProgress,
  PipelineSource,
  PipelineStage,
  RunPipelineOptions,
  SourceProgress,
  StageFunction,
  StageProgress,
} from './pipeline.js'
export { runPipeline } from './pipeline.js'
export type { FieldPath, Located, Position } from './position.js'
export { formatFieldPath, formatPosition } from './position.js'
export type { ColumnMeta, ColumnType } from './schemas/columns.js'
export { col, columnRegistry } from './schemas/columns.js'
export type { CompiledValidator } from './schemas/compile-validator.js'
export { compileValidator } from './schemas/compile-validator.js'
export { isoTimestampWithZone } from './schemas/export-primitives.js'
export type { SchemaFailure } from './schemas/schema-failure.js'
export { schemaFailure } from './schemas/schema-failure.js'
export type { Column, TableName, TableRow, TableRowOf } from './schemas/tables.js'
export {
  attachmentsTable,
  classificationsTable,
  dataRowMetadataTable,
  dataRowsTable,
  frameObjectsTable,
  keyFramesTable,
  labelReviewsTable,
  labelsTable,
  objectsTable,
  primaryKeys,
  projectDataRowsTable,
  relationshipsTable,
  segmentsTable,
  tableColumns,
  tableNames,
  tableSchemas,
  workflowHistoryTable,
} from './schemas/tables.js'
export type {
  V1Answer,
  V1Classification,
  V1ClassificationItem,
  V1Frame,
  V1Label,
  V1LabelContent,
  V1LabelGroup,
  V1Object,
} from './schemas/v1-export.js'
export { v1Answer, v1Classification, v1Frame, v1Label, v1LabelContent, v1Object } from './schemas/v1-export.js'
export type {
  V2Annotations,
  V2Classification,
  V2ClassificationAnswer,
  V2DataRow,
  V2Frame,
  V2Label,
  V2MetadataField,
  V2Object,
  V2Project,
  V2Relationship,
} from './schemas/v2-export.js'
export {
  v2Annotations,
  v2Attachment,
  v2Classification,
  v2ClassificationAnswer,
  v2DataRow,
  v2DicomGroup,
  v2Frame,
  v2Label,
  v2MetadataField,
  v2Object,
  v2ObjectFields,
  v2Project,
  v2Relationship,
} from './schemas/v2-export.js'
export type { Batch, RecordStage } from './stage.js'
export { composeStages, defaultBatchSize, runStage, runStagePerBatch } from './stage.js'

// parquetjs-lite ships no types; this declares the part of its API the lite writer uses (lib/writer.js, lib/schema.js).
declare module 'parquetjs-lite' {
  export interface ParquetFieldDefinition {
    readonly type: 'UTF8' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP_MILLIS'
    readonly optional?: boolean
    readonly compression?: 'UNCOMPRESSED' | 'GZIP' | 'SNAPPY'
    readonly statistics?: boolean
  }

  export class ParquetSchema {
    constructor(fields: Readonly<Record<string, ParquetFieldDefinition>>)
  }

  /** What ParquetWriter.openStream writes to: a callback-style stream (lib/util.js oswrite/osend). */
  export interface ParquetOutput {
    write(chunk: Buffer, callback: (error?: Error | null) => void): void
    end(callback: (error?: Error | null) => void): void
  }

  export interface ParquetWriterOptions {
    readonly rowGroupSize?: number
    readonly pageSize?: number
    readonly useDataPageV2?: boolean
  }

  export class ParquetWriter {
    static openStream(schema: ParquetSchema, output: ParquetOutput, options?: ParquetWriterOptions): Promise<ParquetWriter>
    appendRow(row: Readonly<Record<string, unknown>>): Promise<void>
    close(): Promise<void>
  }
}

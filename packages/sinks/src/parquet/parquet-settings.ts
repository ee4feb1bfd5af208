/** Parquet writers: `parquet-wasm` (arrow-rs in WebAssembly, the default) or `parquetjs-lite` (pure JS). */
export type ParquetEngine = 'parquet-wasm' | 'parquetjs-lite'

export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none'

export const parquetEngines = ['parquet-wasm', 'parquetjs-lite'] as const satisfies readonly ParquetEngine[]

export const parquetCompressions = ['snappy', 'zstd', 'gzip', 'none'] as const satisfies readonly ParquetCompression[]

/** parquetjs-lite's codecs (lib/compression.js): its LZO and BROTLI throw "Not Supported in Lite version", and it has no ZSTD. */
export const liteCompressions: readonly ParquetCompression[] = ['snappy', 'gzip', 'none']

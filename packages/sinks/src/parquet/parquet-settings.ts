/** Parquet writers: `parquet-wasm` (arrow-rs in WebAssembly, the default) or `parquetjs-lite` (pure JS). */
export type ParquetEngine = 'parquet-wasm' | 'parquetjs-lite'

export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none'

export const parquetEngines: readonly ParquetEngine[] = ['parquet-wasm', 'parquetjs-lite']

export const parquetCompressions: readonly ParquetCompression[] = ['snappy', 'zstd', 'gzip', 'none']

/** parquetjs-lite's codecs (lib/compression.js): its LZO and BROTLI throw "Not Supported in Lite version", and it has no ZSTD. */
export const liteCompressions: readonly ParquetCompression[] = ['snappy', 'gzip', 'none']

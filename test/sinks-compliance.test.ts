import { ndjsonSink } from '@labelpipe/sinks/ndjson'
import { parquetSink } from '@labelpipe/sinks/parquet'
import { sinkCompliance } from './sink-compliance.js'

// Small row groups so the compliance runs write several per file and flush long before the end.
sinkCompliance({ name: 'ndjson', extension: '.ndjson', format: 'ndjson', create: (options) => ndjsonSink(options) })
sinkCompliance({
  name: 'ndjson gzip',
  extension: '.ndjson.gz',
  format: 'ndjson',
  create: (options) => ndjsonSink({ ...options, gzip: true }),
})
sinkCompliance({
  name: 'parquet (parquet-wasm)',
  extension: '.parquet',
  format: 'parquet',
  create: (options) => parquetSink({ ...options, rowGroupRows: 50 }),
})
sinkCompliance({
  name: 'parquet (parquetjs-lite)',
  extension: '.parquet',
  format: 'parquet',
  create: (options) => parquetSink({ ...options, engine: 'parquetjs-lite', rowGroupRows: 50 }),
})

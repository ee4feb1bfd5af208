import { z } from 'zod'

/** The column types of docs/schema.md, shared by every sink. */
export type ColumnType = 'text' | 'int' | 'bigint' | 'double' | 'bool' | 'timestamptz' | 'json'

export interface ColumnMeta {
  readonly type: ColumnType
  readonly notNull: boolean
}

/**
 * Every column schema is registered here with its warehouse type, so a table's zod object is the one
 * source of its row type (z.infer), its column order (the shape's key order) and each sink's physical schema.
 */
export const columnRegistry = z.registry<ColumnMeta>()

// In memory: timestamptz is epoch milliseconds UTC (Parquet TIMESTAMP_MILLIS, rendered ISO-8601 in NDJSON);
// json is the JSON text itself, serialized once by the transform so no sink serializes it again.
function register<S extends z.ZodType>(schema: S, meta: ColumnMeta): S {
  columnRegistry.add(schema as z.ZodType, meta)
  return schema
}

function column<S extends z.ZodType>(type: ColumnType, schema: () => S) {
  const nullable = () => register(schema().nullable(), { type, notNull: false })
  return Object.assign(nullable, { notNull: () => register(schema(), { type, notNull: true }) })
}

/** Column constructors: `col.text()` is nullable, `col.text.notNull()` is NOT NULL. */
export const col = {
  text: column('text', () => z.string()),
  int: column('int', () => z.number().int().min(-2147483648).max(2147483647)),
  bigint: column('bigint', () => z.number().int()),
  double: column('double', () => z.number()),
  bool: column('bool', () => z.boolean()),
  timestamptz: column('timestamptz', () => z.number().int()),
  json: column('json', () => z.string()),
}

import { isoTimestampWithZone, type TableRow, type V2MetadataField } from '@labelpipe/core'
import { type FlattenEnv, looseText } from './column-values.js'

// data_row_metadata: one row per metadata value, one per option of a multi-valued enum (schema.md).
// formats.md gives the field shape `{schema_id, schema_name, value, (value_name for enums)}` and says enums
// "may be lists", but not the list's element shape. Decisions, in the order they are tried:
//   - value is a list of strings/objects  -> kind `enum`, one row per element (an empty list: one row, null option)
//   - value_name present, or value is an object -> kind `enum`, one row
//   - value is a number                    -> kind `number`, value_number
//   - value is an ISO-8601 date-time string with Z or an offset -> kind `datetime`, value_datetime
//     and value_text (the exported text: epoch ms drops the offset and sub-ms digits)
//   - value is any other string            -> kind `string`, value_text
//   - value absent or null                 -> kind null, every value column null (the field was exported empty)
//   - anything else (bool, a list of numbers...) -> kind `unknown`, value_text = its JSON, counted
// An option is a string (its schema id; its name from value_name, or value_name[i] for lists) or an object
// `{schema_id | id, schema_name | name}`. ordinal is the row's index among this data row's metadata rows,
// so a multi-valued enum keeps the (data_row_id, ordinal) key unique.

// Zone-less times are deliberately not datetimes (isoTimestampWithZone): Date.parse would read them in the
// machine's zone, so the same export would load differently per host.

export function pushMetadataRows(
  out: TableRow[],
  fields: readonly V2MetadataField[] | null | undefined,
  dataRowId: string,
  env: FlattenEnv,
): void {
  if (fields == null) return
  let ordinal = 0
  for (const field of fields) {
    const value = field.value
    const valueName = field.value_name
    if (Array.isArray(value)) {
      if (!isOptionList(value)) {
        env.stats.metadataValuesOfUnknownType++
        pushRow(out, field, dataRowId, ordinal++, 'unknown', JSON.stringify(value), null, null, null, null, env)
        continue
      }
      if (value.length === 0) {
        pushRow(out, field, dataRowId, ordinal++, 'enum', null, null, null, null, null, env)
        continue
      }
      for (let i = 0; i < value.length; i++) {
        const option: unknown = value[i]
        const name = Array.isArray(valueName) ? looseText(valueName[i]) : null
        pushRow(out, field, dataRowId, ordinal++, 'enum', null, null, null, optionSchemaId(option), optionName(option, name), env)
      }
    } else if (valueName != null || (typeof value === 'object' && value !== null)) {
      const name = optionName(value, looseText(valueName))
      pushRow(out, field, dataRowId, ordinal++, 'enum', null, null, null, optionSchemaId(value), name, env)
    } else if (typeof value === 'number') {
      pushRow(out, field, dataRowId, ordinal++, 'number', null, value, null, null, null, env)
    } else if (typeof value === 'string') {
      const ms = isoTimestampWithZone.test(value) ? Date.parse(value) : Number.NaN
      if (Number.isNaN(ms)) pushRow(out, field, dataRowId, ordinal++, 'string', value, null, null, null, null, env)
      else pushRow(out, field, dataRowId, ordinal++, 'datetime', value, null, ms, null, null, env)
    } else if (value == null) {
      pushRow(out, field, dataRowId, ordinal++, null, null, null, null, null, null, env)
    } else {
      env.stats.metadataValuesOfUnknownType++
      pushRow(out, field, dataRowId, ordinal++, 'unknown', JSON.stringify(value), null, null, null, null, env)
    }
  }
}

function isOptionList(values: readonly unknown[]): boolean {
  for (const element of values) {
    if (typeof element !== 'string' && (typeof element !== 'object' || element === null || Array.isArray(element))) return false
  }
  return true
}

function optionSchemaId(option: unknown): string | null {
  if (typeof option === 'string') return option
  if (typeof option !== 'object' || option === null) return null
  const fields = option as Record<string, unknown>
  return looseText(fields.schema_id) ?? looseText(fields.id)
}

function optionName(option: unknown, valueName: string | null): string | null {
  if (typeof option !== 'object' || option === null) return valueName
  const fields = option as Record<string, unknown>
  return looseText(fields.schema_name) ?? looseText(fields.name) ?? valueName
}

function pushRow(
  out: TableRow[],
  field: V2MetadataField,
  dataRowId: string,
  ordinal: number,
  kind: string | null,
  valueText: string | null,
  valueNumber: number | null,
  valueDatetime: number | null,
  optionSchemaIdValue: string | null,
  optionNameValue: string | null,
  env: FlattenEnv,
): void {
  out.push({
    table: 'data_row_metadata',
    row: {
      data_row_id: dataRowId,
      ordinal,
      schema_id: field.schema_id ?? null,
      name: field.schema_name ?? null,
      kind,
      value_text: valueText,
      value_number: valueNumber,
      value_datetime: valueDatetime,
      option_schema_id: optionSchemaIdValue,
      option_name: optionNameValue,
      _load_id: env.loadId,
      _source: env.source,
    },
  })
  env.stats.rowsByTable.data_row_metadata++
}

import type { TableRow, V2DataRow } from '@labelpipe/core'
import { epochMs, type FlattenEnv, int32, jsonText } from './column-values.js'
import { countKey } from './flatten-stats.js'
import { pushMetadataRows } from './metadata-rows.js'

/** Pushes the data-row tables of one v2 line: data_rows, data_row_metadata, attachments. */
export function pushDataRowRows(out: TableRow[], record: V2DataRow, env: FlattenEnv): void {
  countUnmappedKeys(record, env)
  const dataRow = record.data_row
  const details = dataRow.details
  const media = record.media_attributes
  const mimeType = media?.mime_type ?? null
  out.push({
    table: 'data_rows',
    row: {
      data_row_id: dataRow.id,
      global_key: dataRow.global_key ?? null,
      external_id: dataRow.external_id ?? null,
      row_data: dataRow.row_data ?? null,
      dataset_id: details?.dataset_id ?? null,
      dataset_name: details?.dataset_name ?? null,
      media_type: media?.asset_type ?? mimeMajorType(mimeType),
      mime_type: mimeType,
      width: int32(media?.width, 'data_rows.width', env),
      height: int32(media?.height, 'data_rows.height', env),
      frame_count: int32(media?.frame_count, 'data_rows.frame_count', env),
      frame_rate: media?.frame_rate ?? null,
      created_at: epochMs(details?.created_at),
      updated_at: epochMs(details?.updated_at),
      last_activity_at: epochMs(details?.last_activity_at),
      created_by: details?.created_by ?? null,
      // The whole object, typed columns included: media_attributes carries keys per media (duration, exif
      // rotation, page count...) that formats.md does not list, and it is small.
      media_attributes: jsonText(media),
      _load_id: env.loadId,
      _source: env.source,
    },
  })
  env.stats.rowsByTable.data_rows++
  pushMetadataRows(out, record.metadata_fields, dataRow.id, env)
  const attachments = record.attachments
  if (attachments == null) return
  for (let i = 0; i < attachments.length; i++) {
    const attachment = attachments[i]
    if (attachment === undefined) continue
    out.push({
      table: 'attachments',
      row: {
        data_row_id: dataRow.id,
        // Attachments have no id in older exports (formats.md `id?`): the key is the position in the list.
        ordinal: i,
        attachment_id: attachment.id ?? null,
        type: attachment.type ?? null,
        name: attachment.name ?? null,
        value: attachment.value ?? null,
        _load_id: env.loadId,
        _source: env.source,
      },
    })
    env.stats.rowsByTable.attachments++
  }
}

/**
 * Decision (formats.md lists asset_type without its values): media_type is `media_attributes.asset_type`
 * when exported, else the MIME major type (`image/jpeg` -> `image`). No table of MIME types is invented:
 * `application/pdf` gives `application`, and mime_type keeps the full type for finer filters.
 */
function mimeMajorType(mimeType: string | null): string | null {
  if (mimeType === null) return null
  const slash = mimeType.indexOf('/')
  return slash > 0 ? mimeType.slice(0, slash) : null
}

/** Top-level keys with no table (`embeddings`, `model_runs`, new ones) are not loaded: count them so it is never silent. */
function countUnmappedKeys(record: V2DataRow, env: FlattenEnv): void {
  for (const key in record) {
    switch (key) {
      case 'data_row':
      case 'media_attributes':
      case 'attachments':
      case 'metadata_fields':
      case 'projects':
        break
      default:
        countKey(env.stats.unmappedDataRowKeys, key)
    }
  }
}

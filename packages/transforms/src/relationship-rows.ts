import type { TableRow, V2Relationship } from '@labelpipe/core'
import { type FlattenEnv, looseText } from './column-values.js'

// formats.md marks the relationship shape unconfirmed: `{name, feature_id?, source, target, type}`. The SDK's
// annotation types nest the ends instead, `{..., relationship: {source, target, type}}`: both are read,
// top-level keys first.

/**
 * Pushes a label's relationships. Decision: without a feature_id the key is synthesized as
 * `relationship:<index>` (0-based position in annotations.relationships). The PK is (label_id, feature_id);
 * the index is unique within the label and deterministic for a given export, and the label's rows are
 * replaced as a unit on reload, so it never has to survive a reordering. Labelbox ids are cuids
 * ([a-z0-9]), so the `:` keeps it from colliding with a real id.
 */
export function pushRelationshipRows(
  out: TableRow[],
  relationships: readonly V2Relationship[],
  labelId: string,
  dataRowId: string,
  env: FlattenEnv,
): void {
  for (let i = 0; i < relationships.length; i++) {
    const relationship = relationships[i]
    if (relationship === undefined) continue
    const nested = (relationship as Record<string, unknown>).relationship
    const inner = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : null
    const source = relationship.source ?? (inner === null ? null : looseText(inner.source))
    const target = relationship.target ?? (inner === null ? null : looseText(inner.target))
    if (source === null || target === null) env.stats.relationshipsWithoutEnds++
    out.push({
      table: 'relationships',
      row: {
        label_id: labelId,
        feature_id: relationship.feature_id ?? `relationship:${i}`,
        data_row_id: dataRowId,
        schema_id: relationship.feature_schema_id ?? null,
        name: relationship.name ?? null,
        source_feature_id: source,
        target_feature_id: target,
        type: relationship.type ?? (inner === null ? null : looseText(inner.type)),
        _load_id: env.loadId,
        _source: env.source,
      },
    })
    env.stats.rowsByTable.relationships++
  }
}

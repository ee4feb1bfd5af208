import type { TableRow, V2Project } from '@labelpipe/core'
import { epochMs, type FlattenEnv, int32 } from './column-values.js'
import type { FrameLabel } from './frame-rows.js'
import { pushLabelRows } from './label-rows.js'

/**
 * Pushes one entry of `projects{<project_id>: ...}`: its project_data_rows row, workflow_history, then
 * each label. A project without project_details still yields its project_data_rows row: the data row is
 * in the project (that is what the map entry says), only the details export param was off.
 * Returns `frameLabels` with this project's video/DICOM labels appended (the list is made on the first one).
 */
export function pushProjectRows(
  out: TableRow[],
  projectId: string,
  project: V2Project,
  dataRowId: string,
  frameLabels: FrameLabel[] | null,
  env: FlattenEnv,
): FrameLabel[] | null {
  const details = project.project_details
  const projectName = project.name ?? null
  out.push({
    table: 'project_data_rows',
    row: {
      project_id: projectId,
      data_row_id: dataRowId,
      project_name: projectName,
      batch_id: details?.batch_id ?? null,
      batch_name: details?.batch_name ?? null,
      priority: int32(details?.priority, 'project_data_rows.priority', env),
      workflow_status: details?.workflow_status ?? null,
      task_name: details?.task_name ?? null,
      consensus_expected_label_count: int32(
        details?.consensus_expected_label_count,
        'project_data_rows.consensus_expected_label_count',
        env,
      ),
      _load_id: env.loadId,
      _source: env.source,
    },
  })
  env.stats.rowsByTable.project_data_rows++

  const history = details?.workflow_history
  if (history != null) {
    for (let seq = 0; seq < history.length; seq++) {
      const entry = history[seq]
      if (entry === undefined) continue
      const createdBy = entry.created_by
      out.push({
        table: 'workflow_history',
        row: {
          project_id: projectId,
          data_row_id: dataRowId,
          // Decision: seq is the entry's index in the exported list. Entries carry no id, and the list is the
          // data row's whole history in the project, replaced as a unit on reload (schema.md principle 3).
          seq,
          action: entry.action ?? null,
          created_at: epochMs(entry.created_at),
          // Decision: created_by is written as a string or as a user object; for an object the email (what a
          // person recognises, and what label_details.created_by holds), else its id.
          created_by: createdBy == null ? null : typeof createdBy === 'string' ? createdBy : (createdBy.email ?? createdBy.id ?? null),
          previous_task_name: entry.previous_task_name ?? null,
          next_task_name: entry.next_task_name ?? null,
          raw: JSON.stringify(entry),
          _load_id: env.loadId,
          _source: env.source,
        },
      })
      env.stats.rowsByTable.workflow_history++
    }
  }

  const labels = project.labels
  if (labels == null) return frameLabels
  for (const label of labels) {
    const frameLabel = pushLabelRows(out, label, projectId, projectName, dataRowId, env)
    if (frameLabel !== null) (frameLabels ??= []).push(frameLabel)
  }
  return frameLabels
}

import type { GenerateContext } from './generate-context.js'
import type { ProjectDef } from './generate-ontology.js'
import { TASK_NAMES } from './generate-ontology.js'
import { isoUtc, round3 } from './generate-text.js'

// A data row's place in its projects, planned before anything is written: data_row.details.last_activity_at
// comes first in the line but must be the latest of every workflow step, label and review below it.
//
// Workflow: tasks Initial labeling (ToLabel) -> Initial review (InReview) -> Done, with Rework (InRework)
// on rejection, walked as a small random state machine. Every Submit/Approve/Reject is a workflow_history
// entry; a project that was ever submitted has its labels (1, or up to consensus_expected_label_count), and
// each Approve/Reject is also a review on its first label.

const STATUSES = ['ToLabel', 'InReview', 'InRework', 'Done'] as const
const HOUR = 3_600_000

export interface HistoryEntry {
  readonly action: 'Submit' | 'Approve' | 'Reject'
  readonly ms: number
  readonly user: number
  readonly from: number
  readonly to: number
}

export interface LabelPlan {
  readonly id: string
  readonly createdMs: number
  readonly updatedMs: number
  readonly user: number
  readonly reviews: readonly { readonly id: string; readonly ms: number; readonly user: number; readonly action: string }[]
  readonly skipped: boolean
}

export interface ProjectPlan {
  readonly def: ProjectDef
  readonly state: number
  readonly history: readonly HistoryEntry[]
  readonly labels: readonly LabelPlan[]
  readonly lastMs: number
}

/**
 * `mustLabel`: the project was submitted at least once and its first label is not skipped (video and DICOM
 * rows always carry frames, so `--rows 1 --frames N` yields an N-frame line). `single`: one label even in a
 * consensus project (long videos).
 */
export function planProject(ctx: GenerateContext, def: ProjectDef, startMs: number, mustLabel: boolean, single: boolean): ProjectPlan {
  const { rng, ids, world } = ctx
  const history: HistoryEntry[] = []
  let state = 0
  let ms = startMs + rng.between(HOUR, 240 * HOUR)
  const step = (action: HistoryEntry['action'], to: number, user = rng.int(world.users.length)): void => {
    ms += rng.between(60_000, 72 * HOUR)
    history.push({ action, ms, user, from: state, to })
    state = to
  }
  if (mustLabel || rng.chance(0.85)) {
    step('Submit', 1)
    for (let steps = 0; steps < 5 && state !== 3; steps++) {
      const r = rng.next()
      if (state === 1) {
        if (r < 0.4) break
        if (r < 0.8) step('Approve', 3)
        else step('Reject', 2)
      } else {
        if (r < 0.25) break
        step('Submit', 1)
      }
    }
  }

  const labels: LabelPlan[] = []
  const submits = history.filter((entry) => entry.action === 'Submit')
  const firstSubmit = submits[0]
  if (firstSubmit !== undefined) {
    const lastSubmit = submits[submits.length - 1] ?? firstSubmit
    const count = def.consensus > 1 && !single ? rng.between(1, def.consensus) : 1
    for (let i = 0; i < count; i++) {
      const createdMs = firstSubmit.ms - rng.between(30_000, HOUR)
      const reviews =
        i === 0
          ? history
              .filter((entry) => entry.action !== 'Submit')
              .map((entry) => ({ id: ids.next(entry.ms), ms: entry.ms, user: entry.user, action: entry.action }))
          : []
      labels.push({
        id: ids.next(createdMs),
        createdMs,
        updatedMs: i === 0 ? lastSubmit.ms : createdMs + rng.between(10_000, HOUR),
        user: i === 0 ? firstSubmit.user : rng.int(world.users.length),
        reviews,
        skipped: !(mustLabel && i === 0) && rng.chance(0.04),
      })
    }
  }
  const lastMs = Math.max(ms, ...labels.map((label) => label.updatedMs))
  return { def, state, history, labels, lastMs }
}

/** `"project_details":{…}` of one project; counts its workflow history. */
export function projectDetailsJson(ctx: GenerateContext, plan: ProjectPlan, objectCreators: boolean): string {
  const { rng, world } = ctx
  const batch = rng.pick(plan.def.batches)
  // Both created_by forms core's schema accepts ({id, email} and a bare email) appear, one per project.
  const by = (user: number): string => {
    const u = world.users[user] ?? world.users[0]
    return objectCreators ? `{"id":"${u?.id}","email":"${u?.email}"}` : `"${u?.email}"`
  }
  const history = plan.history.map(
    (entry) =>
      `{"action":"${entry.action}","created_at":"${isoUtc(entry.ms)}","created_by":${by(entry.user)},"previous_task_name":"${TASK_NAMES[entry.from as 0]}","next_task_name":"${TASK_NAMES[entry.to as 0]}"}`,
  )
  ctx.counts.workflow_history += history.length
  return `"project_details":{"batch_id":"${batch.id}","batch_name":"${batch.name}","priority":${rng.between(1, 5)},"workflow_status":"${STATUSES[plan.state as 0]}","task_name":"${TASK_NAMES[plan.state as 0]}","consensus_expected_label_count":${plan.def.consensus},"workflow_history":[${history.join(',')}]}`
}

/** Everything of a label before its annotations: `{"label_kind":…,…,"annotations":`. Counts the label and its reviews. */
export function labelHeadJson(
  ctx: GenerateContext,
  plan: ProjectPlan,
  label: LabelPlan,
  kind: string,
  secondsRange: readonly [number, number],
): string {
  const { rng, world, counts } = ctx
  const email = (user: number): string => (world.users[user] ?? world.users[0])?.email ?? ''
  const reviews = label.reviews.map(
    (review) =>
      `{"id":"${review.id}","created_at":"${isoUtc(review.ms)}","created_by":"${email(review.user)}","action":"${review.action}"}`,
  )
  counts.labels++
  counts.label_reviews += reviews.length
  const consensus = plan.def.consensus > 1 ? String(round3(rng.float(0.4, 1))) : 'null'
  const benchmark = rng.chance(0.05) ? String(round3(rng.float(0.5, 1))) : 'null'
  const secondsToReview = reviews.length > 0 ? Math.round(rng.float(2, 200) * 10) / 10 : 0
  return (
    `{"label_kind":"${kind}","version":"1.0.0","id":"${label.id}","label_details":{"created_at":"${isoUtc(label.createdMs)}","updated_at":"${isoUtc(label.updatedMs)}","created_by":"${email(label.user)}","content_last_updated_at":"${isoUtc(label.updatedMs)}","reviews":[${reviews.join(',')}]},` +
    `"performance_details":{"seconds_to_create":${Math.round(rng.float(secondsRange[0], secondsRange[1]) * 10) / 10},"seconds_to_review":${secondsToReview},"skipped":${label.skipped},"consensus_score":${consensus},"benchmark_score":${benchmark}},"annotations":`
  )
}

import type { TableRow, V2Classification, V2ClassificationAnswer } from '@labelpipe/core'
import { type FlattenEnv, looseText } from './column-values.js'

// classifications: an adjacency list, one row per answer at any depth (schema.md). Decisions:
//   - row_id: 0-based, depth-first pre-order over answers within the label. Callers pass the next free id
//     and get it back, so one label's trees (global first, then each object's in object order) share one
//     sequence and the (label_id, row_id) key is unique.
//   - one row per answer: radio 1 row, checklist 1 row per selected option, text 1 row (answer = content).
//     A question with no answer (none of the three, or an empty checklist) still gets one row with a null
//     answer (answer_kind `checklist` for the empty list, else null), counted: the question was exported.
//     Several kinds of answer on one question: a row for each (radio, checklist, text order), counted.
//   - parent_row_id: the row of the radio/checklist answer the question is nested under (null at depth 0).
//     parent_feature_id: the object the tree hangs on, at every depth (null for global).
//   - depth: 0 for a top-level question; questions nested under an answer of depth d are at d + 1.
//   - path: names from the root joined by '/', each name being `name`, else `value`, else '':
//     radio/checklist rows end with `<question>/<option>`, text and unanswered rows with `<question>`, so
//     `a/yes/b/maybe` is "b answered maybe, under a answered yes". The object's name is not part of the path
//     (parent_feature_id links it). Names are not escaped: a '/' inside a name reads as a separator.
//   - conversational message classifications (outside formats.md; seen in the SDK's expected v2 export,
//     labelbox-python tests/data/annotation_import/conftest.py): a top-level global question with a
//     `message_id` gets scope `message` (its whole subtree too), and its `conversational_checklist_answers`
//     / `conversational_text_answer` (and, by analogy, `conversational_radio_answer`) are read as the plain
//     answer kinds. The message id itself has no column in schema.md (see README, "needs from core").

export type ClassificationScope = 'global' | 'object' | 'frame' | 'object_frame' | 'message'

/** Where a classification tree hangs. Frame expansion builds roots with scope frame/object_frame and a frame. */
export interface ClassificationRoot {
  readonly labelId: string
  readonly dataRowId: string
  readonly scope: ClassificationScope
  readonly parentFeatureId: string | null
  readonly frame: number | null
  readonly groupName: string | null
  readonly env: FlattenEnv
}

type AnswerKind = 'radio' | 'checklist' | 'text'

/** Pushes the rows of one list of top-level questions; returns the next free row id. */
export function pushClassificationRows(
  out: TableRow[],
  classifications: readonly V2Classification[] | null | undefined,
  root: ClassificationRoot,
  rowId: number,
): number {
  if (classifications == null) return rowId
  return pushQuestions(out, classifications, root, root.scope, null, 0, '', rowId)
}

function pushQuestions(
  out: TableRow[],
  questions: readonly V2Classification[],
  root: ClassificationRoot,
  treeScope: ClassificationScope,
  parentRowId: number | null,
  depth: number,
  parentPath: string,
  rowId: number,
): number {
  for (const exported of questions) {
    const name = exported.name ?? exported.value ?? ''
    const path = depth === 0 ? name : `${parentPath}/${name}`
    let question = exported
    // Off the hot path: only questions without a plain answer pay for the conversational lookups.
    if (question.radio_answer == null && question.checklist_answers == null && question.text_answer == null) {
      question = conversationalQuestion(exported) ?? exported
    }
    const scope = depth === 0 && treeScope === 'global' && (exported as Record<string, unknown>).message_id != null ? 'message' : treeScope
    let kinds = 0
    const radio = question.radio_answer
    if (radio != null) {
      kinds++
      rowId = pushAnswer(out, question, 'radio', radio, root, scope, parentRowId, depth, path, rowId)
    }
    const checklist = question.checklist_answers
    if (checklist != null && checklist.length > 0) {
      kinds++
      for (const option of checklist) rowId = pushAnswer(out, question, 'checklist', option, root, scope, parentRowId, depth, path, rowId)
    }
    const text = question.text_answer
    if (text != null) {
      kinds++
      pushRow(out, question, root, scope, rowId++, parentRowId, depth, path, 'text', null, null, text.content ?? null)
    }
    if (kinds === 0) {
      root.env.stats.classificationsWithoutAnswer++
      pushRow(out, question, root, scope, rowId++, parentRowId, depth, path, checklist != null ? 'checklist' : null, null, null, null)
    } else if (kinds > 1) {
      root.env.stats.classificationsWithSeveralAnswers++
    }
  }
  return rowId
}

/**
 * A message classification read as a plain one, or null when `question` has no conversational answer.
 * These keys are outside core's v2Classification schema (looseObject passes them unchecked), so their
 * answers' own fields are read as text only when they are strings.
 */
function conversationalQuestion(question: V2Classification): V2Classification | null {
  const fields = question as Record<string, unknown>
  const radio = looseAnswer(fields.conversational_radio_answer)
  const checklistValue = fields.conversational_checklist_answers
  const text = fields.conversational_text_answer
  const hasText = typeof text === 'object' && text !== null
  if (radio === null && !Array.isArray(checklistValue) && !hasText) return null
  let checklist: V2ClassificationAnswer[] | null = null
  if (Array.isArray(checklistValue)) {
    checklist = []
    for (const option of checklistValue) {
      const answer = looseAnswer(option)
      if (answer !== null) checklist.push(answer)
    }
  }
  return {
    feature_id: question.feature_id,
    feature_schema_id: question.feature_schema_id,
    name: question.name,
    value: question.value,
    radio_answer: radio,
    checklist_answers: checklist,
    text_answer: hasText ? { content: looseText((text as Record<string, unknown>).content) } : null,
  }
}

function looseAnswer(value: unknown): V2ClassificationAnswer | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const fields = value as Record<string, unknown>
  const nested = fields.classifications
  return {
    feature_id: looseText(fields.feature_id),
    feature_schema_id: looseText(fields.feature_schema_id),
    name: looseText(fields.name),
    value: looseText(fields.value),
    // Nested questions under a message answer are passed on as exported: core does not type them (README).
    classifications: Array.isArray(nested) ? (nested as V2Classification[]) : null,
  }
}

function pushAnswer(
  out: TableRow[],
  question: V2Classification,
  kind: AnswerKind,
  answer: V2ClassificationAnswer,
  root: ClassificationRoot,
  scope: ClassificationScope,
  parentRowId: number | null,
  depth: number,
  questionPath: string,
  rowId: number,
): number {
  const option = answer.name ?? answer.value ?? null
  const path = `${questionPath}/${option ?? ''}`
  const answerFeatureId = answer.feature_id ?? null
  pushRow(out, question, root, scope, rowId, parentRowId, depth, path, kind, answerFeatureId, answer.feature_schema_id ?? null, option)
  const nested = answer.classifications
  if (nested == null || nested.length === 0) return rowId + 1
  return pushQuestions(out, nested, root, scope, rowId, depth + 1, path, rowId + 1)
}

function pushRow(
  out: TableRow[],
  question: V2Classification,
  root: ClassificationRoot,
  scope: ClassificationScope,
  rowId: number,
  parentRowId: number | null,
  depth: number,
  path: string,
  kind: AnswerKind | null,
  answerFeatureId: string | null,
  answerSchemaId: string | null,
  answer: string | null,
): void {
  out.push({
    table: 'classifications',
    row: {
      label_id: root.labelId,
      row_id: rowId,
      data_row_id: root.dataRowId,
      parent_row_id: parentRowId,
      parent_feature_id: root.parentFeatureId,
      scope,
      frame: root.frame,
      group_name: root.groupName,
      depth,
      path,
      feature_id: question.feature_id ?? null,
      schema_id: question.feature_schema_id ?? null,
      name: question.name ?? null,
      answer_kind: kind,
      answer_feature_id: answerFeatureId,
      answer_schema_id: answerSchemaId,
      answer,
      _load_id: root.env.loadId,
      _source: root.env.source,
    },
  })
  root.env.stats.rowsByTable.classifications++
}

import { readFileSync } from 'node:fs'
import { type TableRow, type TableRowOf, v2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { flattenDataRows } from './flatten-data-rows.js'

type ClassificationRow = TableRowOf<'classifications'>
const at = { file: 'in.ndjson', line: 1, byteOffset: 0 }

function classificationsOf(rows: Iterable<TableRow>): ClassificationRow[] {
  return [...rows].filter((r) => r.table === 'classifications').map((r) => r.row as ClassificationRow)
}

function flattenAnnotations(annotations: object) {
  const flatten = flattenDataRows({ loadId: 'test', source: 'v2' })
  const record = v2DataRow.parse({ data_row: { id: 'dr-1' }, projects: { 'pj-1': { labels: [{ id: 'lb-1', annotations }] } } })
  return { rows: classificationsOf(flatten(record, at)), stats: flatten.stats }
}

/** [row_id, parent_row_id, parent_feature_id, scope, depth, path, answer_kind, answer] */
function shape(rows: readonly ClassificationRow[]) {
  return rows.map((c) => [c.row_id, c.parent_row_id, c.parent_feature_id, c.scope, c.depth, c.path, c.answer_kind, c.answer])
}

const q = (name: string, answer: object) => ({ feature_id: `ft-${name}`, feature_schema_id: `sc-${name}`, name, value: name, ...answer })
const option = (name: string, classifications: object[] = []) => ({
  feature_id: `fa-${name}`,
  feature_schema_id: `sa-${name}`,
  name,
  value: name,
  classifications,
})

describe('classifications adjacency list', () => {
  it('numbers the image label depth-first, globals then each object, with parents, depth and path', () => {
    const line = readFileSync(new URL('../../../test/fixtures/v2/image.ndjson', import.meta.url), 'utf8').split('\n')[0] ?? ''
    const flatten = flattenDataRows({ loadId: 'test', source: 'v2' })
    const rows = classificationsOf(flatten(v2DataRow.parse(JSON.parse(line)), at)).filter((c) => c.label_id === 'lb-image-1')
    expect(shape(rows)).toEqual([
      [0, null, null, 'global', 0, 'time_of_day/day', 'radio', 'day'],
      [1, 0, null, 'global', 1, 'time_of_day/day/lighting/sunny', 'checklist', 'sunny'],
      [2, 1, null, 'global', 2, 'time_of_day/day/lighting/sunny/shadow_direction/left', 'radio', 'left'],
      [3, 2, null, 'global', 3, 'time_of_day/day/lighting/sunny/shadow_direction/left/notes', 'text', 'long shadows / late afternoon'],
      [4, 0, null, 'global', 1, 'time_of_day/day/lighting/backlit', 'checklist', 'backlit'],
      [5, null, null, 'global', 0, 'scene_description', 'text', 'Busy street, two pedestrians'],
      [6, null, 'ft-bbox-1', 'object', 0, 'occluded/no', 'radio', 'no'],
      [7, null, 'ft-bbox-1', 'object', 0, 'attributes/wearing_hat', 'checklist', 'wearing_hat'],
      [8, 7, 'ft-bbox-1', 'object', 1, 'attributes/wearing_hat/hat_color/red', 'radio', 'red'],
      [9, null, 'ft-bbox-1', 'object', 0, 'attributes/carrying_bag', 'checklist', 'carrying_bag'],
    ])
    expect(rows[3]).toEqual({
      label_id: 'lb-image-1',
      row_id: 3,
      data_row_id: 'dr-image-1',
      parent_row_id: 2,
      parent_feature_id: null,
      scope: 'global',
      frame: null,
      group_name: null,
      depth: 3,
      path: 'time_of_day/day/lighting/sunny/shadow_direction/left/notes',
      feature_id: 'ft-cls-notes',
      schema_id: 'sc-notes',
      name: 'notes',
      answer_kind: 'text',
      answer_feature_id: null,
      answer_schema_id: null,
      answer: 'long shadows / late afternoon',
      _load_id: 'test',
      _source: 'v2',
    })
    expect(rows[8]).toMatchObject({ feature_id: 'ft-cls-hat-color', answer_feature_id: 'ft-ans-red', answer_schema_id: 'sc-red' })
  })

  it('links every child to an earlier radio/checklist row one level up whose path prefixes its own', () => {
    const { rows } = flattenAnnotations({
      classifications: [
        q('a', {
          checklist_answers: [
            option('x', [q('b', { radio_answer: option('y', [q('c', { text_answer: { content: 't' } })]) })]),
            option('z'),
          ],
        }),
      ],
      objects: [
        { feature_id: 'ob-1', classifications: [q('d', { radio_answer: option('w', [q('e', { checklist_answers: [option('v')] })]) })] },
      ],
    })
    expect(rows.map((c) => c.row_id)).toEqual([0, 1, 2, 3, 4, 5])
    const byId = new Map(rows.map((c) => [c.row_id, c]))
    for (const row of rows) {
      if (row.parent_row_id === null) {
        expect(row.depth).toBe(0)
        continue
      }
      const parent = byId.get(row.parent_row_id)
      expect(parent?.row_id).toBeLessThan(row.row_id)
      expect(parent?.depth).toBe((row.depth ?? 0) - 1)
      expect(['radio', 'checklist']).toContain(parent?.answer_kind)
      expect(row.path?.startsWith(`${parent?.path}/`)).toBe(true)
      expect(row.parent_feature_id).toBe(parent?.parent_feature_id)
    }
    expect(shape(rows)).toEqual([
      [0, null, null, 'global', 0, 'a/x', 'checklist', 'x'],
      [1, 0, null, 'global', 1, 'a/x/b/y', 'radio', 'y'],
      [2, 1, null, 'global', 2, 'a/x/b/y/c', 'text', 't'],
      [3, null, null, 'global', 0, 'a/z', 'checklist', 'z'],
      [4, null, 'ob-1', 'object', 0, 'd/w', 'radio', 'w'],
      [5, 4, 'ob-1', 'object', 1, 'd/w/e/v', 'checklist', 'v'],
    ])
  })

  it('gives an unanswered question one row with a null answer, counted', () => {
    const { rows, stats } = flattenAnnotations({
      classifications: [
        q('empty_list', { checklist_answers: [] }),
        q('bare', {}),
        q('null_radio', { radio_answer: null }),
        q('after', { radio_answer: option('ok') }),
      ],
    })
    expect(shape(rows)).toEqual([
      [0, null, null, 'global', 0, 'empty_list', 'checklist', null],
      [1, null, null, 'global', 0, 'bare', null, null],
      [2, null, null, 'global', 0, 'null_radio', null, null],
      [3, null, null, 'global', 0, 'after/ok', 'radio', 'ok'],
    ])
    expect(stats.classificationsWithoutAnswer).toBe(3)
    expect(stats.classificationsWithSeveralAnswers).toBe(0)
  })

  it('writes every answer of a question that has several kinds, radio then checklist then text, counted once', () => {
    const { rows, stats } = flattenAnnotations({
      classifications: [
        q('odd', { radio_answer: option('r'), checklist_answers: [option('c1'), option('c2')], text_answer: { content: 'free' } }),
      ],
    })
    expect(shape(rows)).toEqual([
      [0, null, null, 'global', 0, 'odd/r', 'radio', 'r'],
      [1, null, null, 'global', 0, 'odd/c1', 'checklist', 'c1'],
      [2, null, null, 'global', 0, 'odd/c2', 'checklist', 'c2'],
      [3, null, null, 'global', 0, 'odd', 'text', 'free'],
    ])
    expect(stats.classificationsWithSeveralAnswers).toBe(1)
  })

  it('names path segments by name, else value, else the empty string; a null text content is a null answer', () => {
    const { rows } = flattenAnnotations({
      classifications: [
        { value: 'by_value', radio_answer: { value: 'opt_value', classifications: [{ text_answer: { content: null } }] } },
        { name: 'no_option_name', radio_answer: {} },
      ],
    })
    expect(rows.map((c) => [c.path, c.name, c.answer])).toEqual([
      ['by_value/opt_value', null, 'opt_value'],
      ['by_value/opt_value/', null, null],
      ['no_option_name/', 'no_option_name', null],
    ])
  })

  it('scopes a message classification and its subtree as message, reading conversational answers', () => {
    const { rows, stats } = flattenAnnotations({
      classifications: [
        {
          name: 'tone',
          message_id: 'msg-1',
          conversational_checklist_answers: [
            { name: 'polite', feature_id: 'fa-polite', classifications: [{ name: 'why', text_answer: { content: 'says please' } }] },
          ],
        },
        { name: 'summary', message_id: 'msg-2', conversational_text_answer: { content: 'resolved' } },
        { name: 'topic', message_id: 'msg-3', radio_answer: { name: 'billing' } },
        { name: 'overall', radio_answer: { name: 'good' } },
      ],
    })
    expect(shape(rows)).toEqual([
      [0, null, null, 'message', 0, 'tone/polite', 'checklist', 'polite'],
      [1, 0, null, 'message', 1, 'tone/polite/why', 'text', 'says please'],
      [2, null, null, 'message', 0, 'summary', 'text', 'resolved'],
      [3, null, null, 'message', 0, 'topic/billing', 'radio', 'billing'],
      [4, null, null, 'global', 0, 'overall/good', 'radio', 'good'],
    ])
    expect(rows[0]?.answer_feature_id).toBe('fa-polite')
    expect(stats.classificationsWithoutAnswer).toBe(0)
  })

  it('restarts row ids at 0 for each label', () => {
    const flatten = flattenDataRows({ loadId: 'test', source: 'v2' })
    const label = (id: string) => ({ id, annotations: { classifications: [q('a', { radio_answer: option('b') })] } })
    const record = v2DataRow.parse({
      data_row: { id: 'dr-1' },
      projects: { p1: { labels: [label('l1'), label('l2')] }, p2: { labels: [label('l3')] } },
    })
    expect(classificationsOf(flatten(record, at)).map((c) => [c.label_id, c.row_id])).toEqual([
      ['l1', 0],
      ['l2', 0],
      ['l3', 0],
    ])
  })
})

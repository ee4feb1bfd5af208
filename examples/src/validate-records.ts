// Export records checked against labelpipe's zod schemas, whole or part by part: a v2 data row and each of its
// projects, labels, annotations, objects, frames, classifications…, and a v1 label and its parts, each with a
// compiled validator. Then a failure rendered as the readers render theirs (position, field path), and a time and
// a load id of your own checked before a record or a sink gets them.
// Run: node examples/dist/validate-records.js [export.ndjson] [v1.json]
import { readFile } from 'node:fs/promises'
import {
  compileValidator,
  formatFieldPath,
  formatPosition,
  isoTimestampWithZone,
  isValidLoadId,
  newLoadId,
  schemaFailure,
  v1Answer,
  v1Classification,
  v1Frame,
  v1Label,
  v1LabelContent,
  v1Object,
  v2Annotations,
  v2Attachment,
  v2Classification,
  v2ClassificationAnswer,
  v2DataRow,
  v2DicomGroup,
  v2Frame,
  v2Label,
  v2MetadataField,
  v2Object,
  v2ObjectFields,
  v2Project,
  v2Relationship,
} from '@labelpipe/core'
import { readV1Export } from '@labelpipe/sources'

const v2Input = process.argv[2] ?? new URL('../data/sample-v2.ndjson', import.meta.url).pathname
const v1Input = process.argv[3] ?? new URL('../data/sample-v1.json', import.meta.url).pathname

type Json = Record<string, unknown>
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value.filter((item) => typeof item === 'object' && item !== null) : [])
const values = (value: unknown): Json[] => (typeof value === 'object' && value !== null ? objects(Object.values(value)) : [])

/** Checks parts with one compiled validator per schema, counting valid / checked by schema name. */
function checker() {
  const counts = new Map<string, { valid: number; checked: number }>()
  return {
    check(name: string, isValid: (value: unknown) => boolean, parts: readonly unknown[]) {
      const count = counts.get(name) ?? { valid: 0, checked: 0 }
      for (const part of parts) {
        count.checked++
        if (isValid(part)) count.valid++
      }
      counts.set(name, count)
    },
    report: () => [...counts].map(([name, { valid, checked }]) => `${name} ${valid}/${checked}`).join(', '),
  }
}

// ---- Export v2: one data row a line; its parts where formats.md puts them. ----
const isV2 = {
  dataRow: compileValidator(v2DataRow),
  attachment: compileValidator(v2Attachment),
  metadataField: compileValidator(v2MetadataField),
  project: compileValidator(v2Project),
  label: compileValidator(v2Label),
  annotations: compileValidator(v2Annotations),
  object: compileValidator(v2Object),
  classification: compileValidator(v2Classification),
  answer: compileValidator(v2ClassificationAnswer),
  relationship: compileValidator(v2Relationship),
  frame: compileValidator(v2Frame),
  dicomGroup: compileValidator(v2DicomGroup),
}
const v2 = checker()
/** Classifications and, recursively, their answers and the questions nested in those. */
function checkClassifications(classifications: Json[]) {
  v2.check('v2Classification', isV2.classification, classifications)
  for (const classification of classifications) {
    const answers = [...objects(classification.checklist_answers), ...objects([classification.radio_answer])]
    v2.check('v2ClassificationAnswer', isV2.answer, answers)
    for (const answer of answers) checkClassifications(objects(answer.classifications))
  }
}
function checkFrames(frames: Json[]) {
  v2.check('v2Frame', isV2.frame, frames)
  for (const frame of frames) {
    v2.check('v2Object', isV2.object, values(frame.objects))
    checkClassifications(objects(frame.classifications))
  }
}
const lines = (await readFile(v2Input, 'utf8')).split('\n').filter((line) => line !== '')
for (const line of lines) {
  const record = JSON.parse(line) as Json
  v2.check('v2DataRow', isV2.dataRow, [record])
  v2.check('v2Attachment', isV2.attachment, objects(record.attachments))
  v2.check('v2MetadataField', isV2.metadataField, objects(record.metadata_fields))
  const projects = values(record.projects)
  v2.check('v2Project', isV2.project, projects)
  for (const project of projects) {
    const labels = objects(project.labels)
    v2.check('v2Label', isV2.label, labels)
    for (const label of labels) {
      const annotations = objects([label.annotations])
      v2.check('v2Annotations', isV2.annotations, annotations)
      for (const annotation of annotations) {
        v2.check('v2Object', isV2.object, objects(annotation.objects))
        v2.check('v2Relationship', isV2.relationship, objects(annotation.relationships))
        checkClassifications(objects(annotation.classifications))
        checkFrames(values(annotation.frames))
        const groups = values(annotation.groups)
        v2.check('v2DicomGroup', isV2.dicomGroup, groups)
        for (const group of groups) checkFrames(values(group.frames))
      }
    }
  }
}
console.log(`v2 parts valid: ${v2.report()}`)

// ---- Export v1: an array of labels; a video label's Label holds its frames. ----
const isV1 = {
  label: compileValidator(v1Label),
  content: compileValidator(v1LabelContent),
  frame: compileValidator(v1Frame),
  object: compileValidator(v1Object),
  classification: compileValidator(v1Classification),
  answer: compileValidator(v1Answer),
}
const v1 = checker()
function checkV1Classifications(items: unknown[]) {
  // An object's classifications may nest one list deeper ([[{…}]]): both forms are accepted.
  const classifications = objects(items.flat())
  v1.check('v1Classification', isV1.classification, classifications)
  for (const classification of classifications) {
    const answers = [...objects(classification.answers), ...objects([classification.answer].flat())]
    v1.check('v1Answer', isV1.answer, answers)
    for (const answer of answers) checkV1Classifications(objects(answer.classifications))
  }
}
const labels = objects(JSON.parse(await readFile(v1Input, 'utf8')))
v1.check('v1Label', isV1.label, labels)
for (const label of labels) {
  const content = Array.isArray(label.Label) ? { frames: label.Label } : (label.Label as Json)
  v1.check('v1LabelContent', isV1.content, [content])
  const frames = objects(content.frames)
  v1.check('v1Frame', isV1.frame, frames)
  for (const owner of [content, ...frames]) {
    const found = objects(owner.objects)
    v1.check('v1Object', isV1.object, found)
    checkV1Classifications(objects(owner.classifications))
    for (const object of found) checkV1Classifications(Array.isArray(object.classifications) ? object.classifications : [])
  }
}
console.log(`v1 parts valid: ${v1.report()}`)

// ---- A failure, rendered as readV2Export renders it: position, field path, zod's message. ----
const first = JSON.parse(lines[0] as string) as { projects: Record<string, { labels: Json[] }> }
const [projectId, project] = Object.entries(first.projects)[0] ?? []
if (projectId === undefined || project?.labels[0] === undefined) throw new Error(`${v2Input}: the first data row has no label`)
project.labels[0].id = 42
const result = v2DataRow.safeParse(first)
if (result.success) throw new Error('a label id of 42 passed the schema')
// schemaFailure picks what the readers report: the first issue, or inside a union the deepest field.
const { path, message } = schemaFailure(result.error, first)
console.log(`${formatPosition({ file: 'sample-v2.ndjson', line: 1, byteOffset: 0 })}: ${formatFieldPath(path)}: ${message}`)

// A reader's positions: a v1 label is found by its line, byte and index in the array.
for await (const batch of readV1Export(v1Input, { name: 'sample-v1.json' })) {
  const third = batch[2]
  if (third !== undefined) console.log(`the third v1 label starts at ${formatPosition(third.at)}`)
  break
}

// The schemas' rule for export timestamps: ISO-8601 with a zone, else the same text would be another instant on
// another machine. isoTimestampWithZone is that rule, for times of your own before they go into a record.
for (const time of ['2023-06-12T18:42:24.000+00:00', '2023-06-12 18:42:24']) {
  console.log(`timestamp ${time}: ${isoTimestampWithZone.test(time) ? 'has a zone' : 'no zone, refused'}`)
}

// The names v2 gives an object's fields: a converter of your own must not fill them from keys it does not know.
console.log(`v2 object fields: ${[...v2ObjectFields].slice(0, 3).join(', ')}, … (${v2ObjectFields.size})`)

// Load ids name files and SQL rows: check one of your own before a sink refuses it.
for (const loadId of ['nightly-2026-12-07', 'nightly 2026-12-07', newLoadId()]) {
  console.log(`load id ${JSON.stringify(loadId)}: ${isValidLoadId(loadId) ? 'valid' : 'invalid'}`)
}

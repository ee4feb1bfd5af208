import { type ExportFormatError, type Position, v1Frame, v1Label, v2DataRow } from '@labelpipe/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { recordParser } from './parse-record.js'

const at: Position = { file: 'in.json', line: 3, byteOffset: 124 }

function failure<T>(parse: (text: string, at: Position) => T, value: unknown): ExportFormatError {
  try {
    parse(JSON.stringify(value), at)
  } catch (error) {
    return error as ExportFormatError
  }
  throw new Error('expected the record to be refused')
}

const parseLabel = recordParser(v1Label)
const parseDataRow = recordParser(v2DataRow)
const label = (content: unknown) => ({ ID: 'l1', 'DataRow ID': 'dr1', Label: content })
const bbox = (top: unknown) => ({ top, left: 1, height: 1, width: 1 })
const dataRow = (annotations: unknown) => ({ data_row: { id: 'd1' }, projects: { p: { labels: [{ id: 'l1', annotations }] } } })

// zod 4 reports a union none of whose options matched as one `invalid_union` issue at the union; the parser
// descends into its options and names the deepest field instead of "Label: Invalid input".
describe('recordParser: errors inside a union name the deepest field', () => {
  it('v1 Label object: Label.objects[0].bbox.top', () => {
    const error = failure(parseLabel, label({ objects: [{ featureId: 'f', bbox: bbox('x') }] }))
    expect(error.code).toBe('LP_EXPORT_FORMAT')
    expect(error.path).toEqual(['Label', 'objects', 0, 'bbox', 'top'])
    expect(error.message).toBe('in.json line 3 (byte 124): Label.objects[0].bbox.top: Invalid input: expected number, received string')
  })

  it('v1 Label as inlined video frames: Label[1].frameNumber and a frame object field', () => {
    const frames = [{ frameNumber: 1, objects: [] }, { frameNumber: '2' }]
    expect(failure(parseLabel, label(frames)).path).toEqual(['Label', 1, 'frameNumber'])
    const object = [{ frameNumber: 1, objects: [{ featureId: 'f', keyframe: 'yes', point: { x: 1, y: 2 } }] }]
    expect(failure(parseLabel, label(object)).message).toMatch(/: Label\[0\]\.objects\[0\]\.keyframe: Invalid input: expected boolean/)
  })

  it('v1 nested unions: a classification answer and Label.frames', () => {
    const answer = { classifications: [{ title: 'q', answer: { title: 'a', classifications: [{ answer: [{ value: 5 }] }] } }] }
    expect(failure(parseLabel, label(answer)).path).toEqual([
      'Label',
      'classifications',
      0,
      'answer',
      'classifications',
      0,
      'answer',
      0,
      'value',
    ])
    expect(failure(parseLabel, label({ frames: [{ frameNumber: -1 }] })).path).toEqual(['Label', 'frames', 0, 'frameNumber'])
    const relationship = label({ objects: [], relationships: [{ source: 'a', target: 7 }] })
    expect(failure(parseLabel, relationship).path).toEqual(['Label', 'relationships', 0, 'target'])
  })

  it('v2 segments, in both forms', () => {
    expect(failure(parseDataRow, dataRow({ segments: { f: [[1, 'x']] } })).message).toMatch(
      /: projects\.p\.labels\[0\]\.annotations\.segments\.f\[0\]\[1\]: Invalid input: expected number, received string$/,
    )
    expect(failure(parseDataRow, dataRow({ segments: { Axial: { f: [[1, 2, 3]] } } })).path).toEqual([
      ...['projects', 'p', 'labels', 0, 'annotations', 'segments', 'Axial', 'f', 0],
    ])
  })

  it('v2 key_frame_feature_map: a map of frame -> bool, a list of frames, and the DICOM form', () => {
    const prefix = ['projects', 'p', 'labels', 0, 'annotations', 'key_frame_feature_map', 'f']
    const map = failure(parseDataRow, dataRow({ key_frame_feature_map: { f: { 3: 'yes' } } }))
    // Ambiguous: a bad bool in the map, or a DICOM group "3" that is not a key-frame map. Both options fail one key
    // deep; the tie goes to the option listed first, the plain map.
    expect(map.path).toEqual([...prefix, '3'])
    expect(map.message).toMatch(/: Invalid input: expected boolean, received string$/)
    expect(failure(parseDataRow, dataRow({ key_frame_feature_map: { f: [1, '2'] } })).path).toEqual([...prefix, 1])
    expect(failure(parseDataRow, dataRow({ key_frame_feature_map: { f: { Axial: { 3: 1 } } } })).path).toEqual([...prefix, 'Axial', '3'])
  })

  it('names what a union accepts when no option takes the value at all', () => {
    const error = failure(parseLabel, label(null))
    expect(error.path).toEqual(['Label'])
    expect(error.message).toBe('in.json line 3 (byte 124): Label: Invalid input: expected object or array, received null')
    expect(failure(parseLabel, label({ frames: 5 })).message).toMatch(
      /: Label\.frames: Invalid input: expected string or array, received number$/,
    )
    // A union inside a union at the same value: the accepted types of both are listed once each.
    expect(failure(parseDataRow, dataRow({ key_frame_feature_map: { f: 'all' } })).message).toMatch(
      /\.key_frame_feature_map\.f: Invalid input: expected record or array, received string$/,
    )
  })

  it('prefers an option whose check failed on a value of its type over listing the types', () => {
    // zod itself reports a refinement that lets parsing continue; a tuple's length check stops it, so the union
    // leaves both options' issues to us: "expected number" would be wrong for a list, the length is the problem.
    const schema = z.object({ range: z.union([z.number(), z.tuple([z.number(), z.number()])]) })
    const error = failure(recordParser(schema), { range: [1, 2, 3] })
    expect(error.path).toEqual(['range'])
    expect(error.message).toBe('in.json line 3 (byte 124): range: Too big: expected array to have <=2 items')
  })

  it('prefixes the path of a part cut out of a larger record', () => {
    const parseFrame = recordParser(v1Frame)
    const text = JSON.stringify({ frameNumber: 2, classifications: [{ title: 'q', answer: { title: 'a', value: 5 } }] })
    let error: ExportFormatError | undefined
    try {
      parseFrame(text, at, () => ({ path: ['Label', 1], byteAt: (byte) => byte }))
    } catch (caught) {
      error = caught as ExportFormatError
    }
    expect(error?.path).toEqual(['Label', 1, 'classifications', 0, 'answer', 'value'])
  })
})

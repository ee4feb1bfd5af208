import { describe, expect, it } from 'vitest'
import { ExportFormatError, InputError, isLabelpipeError, LabelpipeError, SinkError } from './errors.js'

describe('LabelpipeError', () => {
  it('renders where, field path and detail, and keeps them as fields', () => {
    const error = new ExportFormatError('expected object, got array', {
      at: { file: 'export.ndjson', line: 50001, byteOffset: 7340112 },
      path: ['projects', 'p1', 'labels', 0, 'annotations', 'frames'],
    })
    expect(error.message).toBe(
      'export.ndjson line 50001 (byte 7340112): projects.p1.labels[0].annotations.frames: expected object, got array',
    )
    expect(error).toMatchObject({
      code: 'LP_EXPORT_FORMAT',
      file: 'export.ndjson',
      line: 50001,
      byteOffset: 7340112,
      name: 'ExportFormatError',
    })
  })

  it('is recognised by brand across copies, while subclasses keep prototype checks', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('labelpipe.error')]: true })
    expect(foreign instanceof LabelpipeError).toBe(true)
    expect(isLabelpipeError(new SinkError('disk full'))).toBe(true)
    expect(new SinkError('disk full') instanceof ExportFormatError).toBe(false)
    expect(new Error('plain') instanceof LabelpipeError).toBe(false)
  })

  it('describes input failures by their system code', () => {
    const cause = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' })
    expect(new InputError('a.ndjson', 0, cause).message).toBe('cannot read a.ndjson (after byte 0): no such file')
  })
})

import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { detectExportFormat, detectionHeadBytes, type ExportFormat } from '@labelpipe/sources'

/**
 * The format of an export file, from its first bytes (decompressed when gzip, by magic number): `load` picks the
 * v1 or the v2 pipeline by content, never by file name. Undefined for an empty or unrecognised file; the v2
 * reader then reports what it finds.
 */
export async function exportFormatOf(path: string): Promise<ExportFormat | undefined> {
  const raw = createReadStream(path, { highWaterMark: detectionHeadBytes })
  let head: Buffer = Buffer.alloc(0)
  try {
    for await (const chunk of raw as AsyncIterable<Buffer>) {
      head = chunk
      break
    }
    if (head[0] !== 0x1f || head[1] !== 0x8b) return detectExportFormat(head)
    const gunzip = createGunzip()
    gunzip.end(head)
    let text: Buffer = Buffer.alloc(0)
    try {
      for await (const chunk of gunzip) {
        text = Buffer.concat([text, chunk as Buffer])
        if (text.length >= detectionHeadBytes) break
      }
    } catch {
      // A head cut mid-stream ends the gunzip early: what was inflated is enough to decide.
    }
    return detectExportFormat(text)
  } finally {
    raw.destroy()
  }
}

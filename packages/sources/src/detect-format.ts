/** Which export a file holds, judged from its first bytes, never from its name (a v2 export saved as `.json` is common). */
export type ExportFormat = 'v1' | 'v2'

/** How many leading bytes `detectExportFormat` needs to decide in every case it can decide. */
export const detectionHeadBytes = 64 * 1024

const v2Key = /"data_row"\s*:/
// v1 labels are objects with these space-separated keys (formats.md "Export v1"), first in every real sample.
const v1Key = /"(?:DataRow ID|Labeled Data|External ID)"\s*:/

/**
 * Decides from the first bytes (decompressed): a top-level `[` is a v1 label array; an object is v2 when its
 * `"data_row"` key comes before any v1 key, v1 (a single label, as in the SDK's samples) otherwise.
 * Undefined when the head shows neither: the caller reads it as v2 and the schema names what is missing.
 */
export function detectExportFormat(head: Uint8Array | string): ExportFormat | undefined {
  const text = typeof head === 'string' ? head : Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8')
  const start = text.search(/[^\s\uFEFF]/)
  if (start === -1) return undefined
  if (text[start] === '[') return 'v1'
  if (text[start] !== '{') return undefined
  const v2At = text.search(v2Key)
  const v1At = text.search(v1Key)
  if (v2At === -1 && v1At === -1) return undefined
  if (v1At === -1) return 'v2'
  if (v2At === -1) return 'v1'
  return v2At < v1At ? 'v2' : 'v1'
}

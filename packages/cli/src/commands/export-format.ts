import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { InputError } from '@labelpipe/core'
import { detectExportFormat, detectionHeadBytes, type ExportFormat } from '@labelpipe/sources'

/** An export as `load` reads it, and its format (undefined: empty or unrecognised; the v2 reader then reports what it finds). */
export interface OpenedExport {
  /** The path of a regular file, which readers and worker threads open again; else the one stream of the input. */
  readonly input: string | Readable
  readonly format: ExportFormat | undefined
}

/**
 * True when `path` names something that can be read once only: a FIFO, `<(zcat export.gz)`, a device such as
 * /dev/stdin. False for a regular file, and for a directory or a path that does not exist (the reader reports it).
 */
export async function readableOnce(path: string): Promise<boolean> {
  const stats = await stat(path).catch(() => undefined)
  return stats !== undefined && !stats.isFile() && !stats.isDirectory()
}

/**
 * Opens the export at `path` for `load`, which picks the v1 or the v2 pipeline by content, never by file name.
 * A regular file's first bytes are read on their own and the file stays a path. Anything else is opened here,
 * once: reading its head consumes it, so the head is replayed in front of the rest. Opening it anew would start
 * 64 KiB in, losing the first data rows, with no error when the cut falls on a newline.
 */
export async function openExport(path: string): Promise<OpenedExport> {
  if (!(await readableOnce(path))) return { input: path, format: await exportFormatOf(path) }
  const raw = createReadStream(path)
  const chunks = (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let headBytes = 0
  let ended = false
  try {
    while (headBytes < detectionHeadBytes && !ended) {
      const next = await chunks.next()
      if (next.done === true) ended = true
      else {
        head.push(next.value)
        headBytes += next.value.length
      }
    }
  } catch (error) {
    raw.destroy()
    throw new InputError(path, headBytes, error)
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head
    if (!ended) for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value
  }
  const input = Readable.from(replay(), { objectMode: false })
  // Also when the reader stops early, or never starts: the generator's own cleanup would not run then.
  input.once('close', () => raw.destroy())
  return { input, format: await formatOfHead(Buffer.concat(head, headBytes)) }
}

/**
 * The format of a regular file, from its first bytes. A path that cannot be read (missing, a directory, no
 * permission) is an InputError naming it, as the readers report it: this is the first read of a `load`.
 */
async function exportFormatOf(path: string): Promise<ExportFormat | undefined> {
  const raw = createReadStream(path, { highWaterMark: detectionHeadBytes })
  try {
    for await (const chunk of raw as AsyncIterable<Buffer>) return await formatOfHead(chunk)
    return undefined
  } catch (error) {
    throw new InputError(path, 0, error)
  } finally {
    raw.destroy()
  }
}

/** The format of an export's head, decompressed first when it is gzip (by magic number). */
async function formatOfHead(head: Buffer): Promise<ExportFormat | undefined> {
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
}
